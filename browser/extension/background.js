// Kyso service worker: forwards a page's request to kyso-browser-host over native messaging, with the page's
// origin as the browser reports it (sender.origin), never as the page claims it. One request at a time, each
// on its own connection: the host exits when the connection closes, and an open port keeps this worker alive
// while the person reads the dialog.
"use strict";

// Firefox's promise-based namespace where there is one, Chromium's otherwise.
const api = globalThis.browser || globalThis.chrome;

const HOST = "vn.kyso.browser_host";
const TYPES = new Set(["version", "certificates", "sign", "authenticate"]);
// The fields the host reads; anything else a page adds is dropped here.
const FIELDS = ["certificate", "hash", "data", "output", "mechanism", "nonce"];

let queue = Promise.resolve();

function failure(id, code, message) {
  return { id, ok: false, error: { code, message } };
}

function askHost(message) {
  return new Promise((resolve) => {
    let answered = false;
    const port = api.runtime.connectNative(HOST);
    port.onMessage.addListener((reply) => {
      answered = true;
      resolve(reply);
      port.disconnect();
    });
    port.onDisconnect.addListener(() => {
      if (answered) return;
      // Firefox reports why on the port, Chromium in runtime.lastError.
      const error = port.error || api.runtime.lastError;
      const reason = (error && error.message) || "the host closed the connection";
      resolve(failure(message.id, "host-unavailable", `kyso-browser-host: ${reason}`));
    });
    port.postMessage(message);
  });
}

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const id = String((message && message.id) || "");
  // Only this extension's content script in a tab's top frame.
  if (sender.id !== api.runtime.id || !sender.tab || sender.frameId !== 0) {
    sendResponse(failure(id, "origin-refused", "requests come from a page's top frame only"));
    return false;
  }
  const origin = sender.origin || new URL(sender.url).origin;
  const request = (message && message.request) || {};
  if (!TYPES.has(request.type)) {
    sendResponse(failure(id, "bad-request", `unknown request type ${request.type}`));
    return false;
  }
  const forwarded = { id, type: request.type, origin };
  for (const field of FIELDS) if (typeof request[field] === "string") forwarded[field] = request[field];
  // A failed hand-back (the tab went away) must not leave the queue rejected, or no later request would run.
  queue = queue.then(() => askHost(forwarded)).then(sendResponse).catch(() => {});
  return true; // the answer comes later
});
