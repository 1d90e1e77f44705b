// Kyso content script: carries a page's requests (window.postMessage, from kyso-web.js) to the extension's
// service worker and the answers back. It adds nothing and decides nothing: the service worker takes the
// page's origin from the browser, and kyso-browser-host and the person decide. Top frame only (all_frames is
// false), so a page cannot ask through an embedded frame of another site.
"use strict";

// Firefox's promise-based namespace where there is one, Chromium's otherwise.
const api = globalThis.browser || globalThis.chrome;

const CHANNEL = "kyso-web";

window.addEventListener("message", (event) => {
  // Only the page's own window (not a frame, not another window holding a reference to it).
  if (event.source !== window) return;
  const message = event.data;
  if (!message || message.channel !== CHANNEL || message.direction !== "request") return;
  const id = String(message.id);
  const answer = (reply) => window.postMessage({ channel: CHANNEL, direction: "reply", id, reply }, window.location.origin);
  api.runtime.sendMessage({ id, request: message.request }).then(answer, (error) =>
    answer({ id, ok: false, error: { code: "extension-unavailable", message: String((error && error.message) || error) } }));
});
