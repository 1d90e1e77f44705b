"""One run's conversation: each request as sent and each answer as received, then normalised."""
import hashlib
import json
import os
import time

from . import normalise, rawhttp

NOBODY = 65534


class Session:
    def __init__(self, run, daemon):
        self.run = run
        self.daemon = daemon
        self.exchanges = []
        run.client_pids.add(os.getpid())

    def ask(self, name, method, path, body=None, headers=(), hints=None, as_nobody=False, stream_events=0,
            version="HTTP/1.1", body_label=None, timeout=60.0, chunked=False, then=(), raw=None):
        """Sends one request on a new connection, records it, and returns (Answer, its JSON or None).
        `then` lists (method, path) pairs sent on the same connection right behind it (pipelined); the record
        holds all their answers."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":")).encode()
        elif isinstance(body, str):
            body = body.encode()
        request = rawhttp.build_request(method, path, headers, body, version, chunked)
        request += b"".join(rawhttp.build_request(m, p) for m, p in then)
        if raw is not None:
            request, method, path = raw, "(raw)", repr(raw)
        if chunked:
            headers = list(headers) + [("Transfer-Encoding", "chunked")]
        if then:
            path += "".join("  +  %s %s" % pair for pair in then)
        options = {"timeout": timeout, "stream_events": stream_events, "answers": 1 + len(then)}
        began = time.monotonic()
        if as_nobody:
            answer, child = rawhttp.exchange_as(NOBODY, NOBODY, self.daemon.socket_path, request, **options)
            self.run.client_pids.add(child)
        else:
            answer = rawhttp.exchange(self.daemon.socket_path, request, **options)
        elapsed = time.monotonic() - began
        if b'"pid"' in answer.body:
            self.run.host_pids |= self.daemon.children()
        record = self._record(name, method, path, headers, body, body_label, as_nobody, answer, hints or {})
        record["seconds"] = round(elapsed, 3)  # not compared
        self.exchanges.append(record)
        parsed = None
        if answer.body[:1] in (b"{", b"["):
            try:
                parsed = json.loads(answer.body)
            except ValueError:
                pass
        return answer, parsed

    def _record(self, name, method, path, headers, body, body_label, as_nobody, answer, hints):
        rules, attachments = set(), {}
        content_type = (answer.header("content-type") or "").split(";")[0].strip()
        kind = {"text/event-stream": "events", "text/plain": "metrics"}.get(content_type, "json")
        text = answer.body.decode("utf-8", "surrogateescape")
        normalised = normalise.normalise_body(self.run, text, kind, rules, attachments, hints)
        headers_out = []
        for line in answer.header_lines:
            key, _, value = line.partition(":")
            if key.lower() == "content-length" and normalised != text:
                if value.strip() == str(len(answer.body)):
                    line = "%s: <n>" % key
                    rules.add("content-length")
                else:
                    line += "   (!! the body has %d bytes)" % len(answer.body)
            headers_out.append(line)
        request_body = body_label
        if request_body is None and body is not None:
            request_body = normalise.normalise_text(self.run, body.decode("utf-8", "surrogateescape"), set())
        return {
            "name": name,
            "request": {"method": method, "path": path, "headers": ["%s: %s" % pair for pair in headers],
                        "body": request_body, "asUid": NOBODY if as_nobody else 0},
            "response": {"statusLine": answer.status_line, "headers": headers_out, "body": normalised,
                         "closed": answer.closed, "attachments": attachments},
            "normalised": sorted(rules),
            # Not compared: the answer's bytes before normalisation (to count the byte-identical ones) and a
            # socket error, which for a 413 depends on who was faster (kysod closing or this client sending).
            "rawSha256": hashlib.sha256(answer.raw).hexdigest(),
            "socketError": answer.error,
        }
