/*
 * kyso-web.js: the page side of Kyso's browser bridge (docs/browser.md).
 *
 *   <script src="kyso-web.js"></script>
 *   const certificates = await Kyso.getCertificates();
 *   const signed = await Kyso.sign({ certificate: certificates[0].id, hash: digestBytes });
 *
 * Every call returns a Promise; a failure rejects with a KysoError whose `code` is stable (see ERROR_CODES).
 * The page never sees a PIN: Kyso's own dialog asks the person for it. Requires the Kyso extension and a page
 * served over https:// (or http://localhost while developing).
 */
(function (global) {
  "use strict";

  const CHANNEL = "kyso-web";

  /** Codes a page can act on. */
  const ERROR_CODES = Object.freeze([
    "extension-unavailable", // the Kyso extension is not installed or not enabled in this browser
    "host-unavailable",      // the extension is there but kyso-browser-host is not installed
    "daemon-unavailable",    // kysod is not running
    "access-refused",        // this user may not use kysod (not in group kyso)
    "origin-refused",        // this page's origin may not ask (not https://, not http://localhost)
    "user-cancelled",        // the person refused the site or cancelled the PIN dialog
    "no-token",              // no token with a signing certificate is plugged in
    "certificate-not-found", // the certificate asked for is on no token plugged in now
    "certificate-expired",
    "certificate-not-yet-valid",
    "pin-incorrect",         // wrong PIN: never retried by Kyso; ask the person whether to try again
    "pin-locked",            // the token's PIN is locked (unlock it with the CA's tool)
    "pin-final-try",         // one PIN try left: Kyso refuses to risk it from a web page
    "dialog-unavailable",    // no pinentry program could show Kyso's dialog
    "bad-request",
    "message-too-large",
    "signing-failed",
  ]);

  class KysoError extends Error {
    constructor(code, message) {
      super(message || code);
      this.name = "KysoError";
      this.code = code;
    }
  }

  let counter = 0;
  const pending = new Map();

  global.addEventListener("message", (event) => {
    if (event.source !== global) return;
    const message = event.data;
    if (!message || message.channel !== CHANNEL || message.direction !== "reply") return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    clearTimeout(waiter.timer);
    const reply = message.reply || {};
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new KysoError((reply.error && reply.error.code) || "signing-failed", reply.error && reply.error.message));
  });

  /**
   * Sends one request through the extension. `timeout` bounds the wait only for calls with no dialog; a dialog
   * waits for the person (Kyso's dialog itself gives up after two minutes).
   */
  function call(type, fields, timeout) {
    const id = `kyso-${Date.now()}-${++counter}`;
    return new Promise((resolve, reject) => {
      const timer = timeout
        ? setTimeout(() => {
            pending.delete(id);
            reject(new KysoError("extension-unavailable", "no answer from the Kyso extension: is it installed and enabled?"));
          }, timeout)
        : undefined;
      pending.set(id, { resolve, reject, timer });
      global.postMessage({ channel: CHANNEL, direction: "request", id, request: Object.assign({ type }, fields) }, global.location.origin);
    });
  }

  function base64(bytes) {
    if (typeof bytes === "string") return bytes; // already base64
    const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let text = "";
    for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode.apply(null, view.subarray(i, i + 0x8000));
    return btoa(text);
  }

  /** Whether the extension and host answer: resolves to {host, version, protocolVersion}. */
  async function version(options) {
    const available = await call("version", {}, (options && options.timeout) || 3000);
    return available;
  }

  /**
   * The certificates on the tokens plugged in now, with the Vietnamese profile:
   * [{id, holder, organization, taxCode, ca, notBefore, notAfter, status, keyType, tokenLabel, der}].
   * The first call from a site shows Kyso's dialog asking the person to allow the site.
   */
  async function getCertificates() {
    await version();
    return (await call("certificates", {})).certificates.map((c) => Object.assign(c, {
      notBefore: new Date(c.notBefore), notAfter: new Date(c.notAfter),
    }));
  }

  /**
   * Signs with the certificate `certificate` (an `id` from getCertificates). Give either
   *   hash: a SHA-256 digest (32 bytes: ArrayBuffer, Uint8Array or base64) → a raw signature, or
   *   data: the bytes themselves, with output "cms" (detached CMS SignedData) or "raw".
   * mechanism: "rsa-pss-sha256" for RSA-PSS; PKCS#1 v1.5 (RSA) or ECDSA (EC) otherwise.
   * Resolves to {signature, certificateDer (both base64), algorithm, mechanism, output, certificate}.
   */
  async function sign(options) {
    const fields = { certificate: options.certificate, output: options.output || "raw" };
    if (options.hash !== undefined) fields.hash = base64(options.hash);
    if (options.data !== undefined) fields.data = base64(options.data);
    if (options.mechanism) fields.mechanism = options.mechanism;
    await version();
    return call("sign", fields);
  }

  /**
   * Web eID-style authentication: signs SHA-256(origin) ‖ SHA-256(nonce). `nonce` is the server's challenge,
   * base64 of at least 32 random bytes, fresh and single-use. Resolves to the token the server verifies:
   * {format: "kyso:1", unverifiedCertificate, algorithm, signature, origin}.
   */
  async function authenticate(options) {
    await version();
    return call("authenticate", { nonce: options.nonce, certificate: options.certificate });
  }

  global.Kyso = Object.freeze({ version, getCertificates, sign, authenticate, KysoError, ERROR_CODES });
})(window);
