"""HTTPS on loopback: /csc/v1/<method> and /csc/v2/<method> for the API, /control/<what> for tests.

The TLS handshake happens in each connection's own thread, so a client that stalls it holds up only
itself. HTTP/1.1 with Content-Length on every answer, so clients keep connections alive.
"""
import base64
import binascii
import http.server
import json
import socketserver
import ssl
import sys
import time
import urllib.parse

from . import behaviour as knobs
from .errors import CSCError

API = {
    "info": "info", "auth/login": "auth_login", "auth/revoke": "auth_revoke", "oauth2/token": "oauth2_token",
    "credentials/list": "credentials_list", "credentials/info": "credentials_info",
    "credentials/authorize": "credentials_authorize", "credentials/sendOTP": "credentials_sendOTP",
    "signatures/signHash": "signatures_signHash", "signatures/signPolling": "signatures_signPolling",
}
V2_ONLY = {"signatures/signPolling"}


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, service, context):
        super().__init__(address, Handler)
        self.service, self.context = service, context

    def finish_request(self, request, client_address):
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            request.close()  # a client that refused our certificate: nothing to answer
            return
        super().finish_request(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # http.server writes the head and the body in separate sends: with Nagle on, a keep-alive client's delayed
    # ACK holds the body back for up to 40 ms, which swamped what the benchmark measures.
    disable_nagle_algorithm = True
    server_version = "KysoCSCTest/1"

    def log_message(self, format, *args):
        pass  # request lines would carry no secrets, but tests read stdout for the ready line only

    def _send(self, status, body):
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(204 if body is None and status == 200 else status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _basic(self):
        value = self.headers.get("Authorization", "")
        if not value.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password

    def _bearer(self):
        value = self.headers.get("Authorization", "")
        return value[7:] if value.startswith("Bearer ") else None

    def do_GET(self):
        self.do_POST()

    def do_POST(self):
        raw = self._body()
        path = urllib.parse.urlsplit(self.path)
        parts = path.path.strip("/").split("/", 2)
        if len(parts) >= 2 and parts[0] == "control":
            return self._control("/".join(parts[1:]), raw, urllib.parse.parse_qs(path.query))
        if len(parts) != 3 or parts[0] != "csc" or parts[1] not in ("v1", "v2") or parts[2] not in API \
                or (parts[2] in V2_ONLY and parts[1] == "v1"):
            return self._send(404, {"error": "invalid_request", "error_description": "Unknown method"})
        version, method = parts[1], parts[2]
        service = self.server.service
        with service.lock:
            service.calls[method] += 1
        delay, failure = knobs.injected(service.behaviour, method)
        if delay:
            time.sleep(delay / 1000)
        if failure:
            return self._send(failure, {"error": "server_error", "error_description": "Injected failure"})
        try:
            self._send(200, self._dispatch(service, version, method, raw))
        except CSCError as error:
            self._send(error.status, error.body())
        except Exception as error:  # a bug or a token failure: the specification's generic answer
            print("csc-test-service: %s failed: %r" % (method, error), file=sys.stderr, flush=True)
            self._send(500, {"error": "server_error", "error_description": "The remote service encountered "
                             "an unexpected condition that prevented it from fulfilling the request."})

    def _dispatch(self, service, version, method, raw):
        handler = getattr(service, API[method])
        if method == "oauth2/token":
            form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode("utf-8", "replace")).items()}
            return handler(version, form, self._basic())
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, ValueError):
            body = None
        if not isinstance(body, dict):
            raise CSCError(400, "invalid_request", "The request is not a JSON object")
        if method == "info":
            return handler(version, body)
        if method == "auth/login":
            return handler(version, body, self._basic())
        bearer = self._bearer()
        return handler(version, body, service.holder(bearer), bearer)

    def _control(self, what, raw, query):
        service = self.server.service
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            return self._send(400, {"error": "not JSON"})
        if what == "stats":
            with service.lock:
                return self._send(200, {"calls": dict(service.calls), "signHashCalls": service.sign_hash_calls,
                                        "signaturesMade": sum(service.signed.values()),
                                        "signed": dict(service.signed)})
        if what == "behaviour":
            try:
                service.behaviour = knobs.merged(service.behaviour, body)
            except ValueError as error:
                return self._send(400, {"error": str(error)})
            return self._send(200, service.behaviour)
        if what == "otp":
            credential = (query.get("credentialID") or [body.get("credentialID")])[0]
            with service.lock:
                otp = service.otps.get(credential)
            return self._send(200 if otp else 404, {"otp": otp})
        if what == "approve":
            decision = body.get("decision", "grant")
            if decision not in ("grant", "refuse"):
                return self._send(400, {"error": "decision must be grant or refuse"})
            return self._send(200, {"decided": service.decide(body.get("responseID"), decision)})
        if what == "expire-sads":
            service.expire_sads()
            return self._send(200, {})
        if what == "credentials":
            return self._send(200, [{"credentialID": c.id, "tokenLabel": c.token_label, "taxCode": c.tax_code,
                                     "keyType": c.key_type} for c in service.credentials.values()])
        return self._send(404, {"error": "unknown control %r" % what})
