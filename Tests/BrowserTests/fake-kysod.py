#!/usr/bin/env python3
"""A stand-in for kysod on a Unix socket, for the host's error-code tests: answers GET /v1/tokens with a saved
token list (states the SoftHSM lab cannot reach: an expired certificate, a locked PIN, a PIN pad) and
POST /v1/tokens/{id}/sign with a saved answer per token id; logs each sign request without its PIN's value.

    fake-kysod.py SOCKET TOKENS.json ANSWERS.json LOG.jsonl
ANSWERS.json: {"TOKEN_ID": {"status": 423, "body": {...problem details...}}, ...}
"""
import http.server, json, os, socketserver, sys

socket_path, tokens_file, answers_file, log_file = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, kind="application/json"):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def do_GET(self):
        if self.path == "/v1/tokens":
            with open(tokens_file) as f:
                self.answer(200, json.load(f))
        else:
            self.answer(404, {"type": "urn:kyso:problem:not-found", "title": "Not found", "status": 404, "code": "not-found"},
                        "application/problem+json")

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
        token = self.path.split("/")[3]
        with open(log_file, "a") as log:
            log.write(json.dumps({"token": token, "hasPIN": "pin" in request, "origin": request.get("origin")}) + "\n")
        with open(answers_file) as f:
            answer = json.load(f).get(token, {"status": 500, "body": {"type": "urn:kyso:problem:x", "title": "x", "status": 500, "code": "internal-error"}})
        self.answer(answer["status"], answer["body"], "application/problem+json" if answer["status"] >= 400 else "application/json")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        connection, _ = super().get_request()
        return connection, ("fake-kysod", 0)  # BaseHTTPRequestHandler expects an address pair


if os.path.exists(socket_path):
    os.unlink(socket_path)
server = Server(socket_path, Handler)
print("ready", flush=True)
server.serve_forever()
