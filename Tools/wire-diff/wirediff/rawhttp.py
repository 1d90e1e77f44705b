"""HTTP/1.1 over kysod's Unix socket, keeping the answer's bytes exactly as they came.

A library client (http.client) would parse the status line and headers into its own shape and lose
their spelling and order, which are part of the wire format this tool compares; so requests are written
and answers read here with plain sockets. Framing is what kysod uses: none for a 204, `content-length`,
or the connection closing (a bare 400, the event stream).
"""
import os
import socket
import time


class Answer:
    """The bytes kysod sent: head (status line and headers, without the blank line) and body."""

    def __init__(self, raw, closed, error=None):
        self.raw = raw
        self.closed = closed          # kysod closed the connection after this answer
        self.error = error            # a socket error met while sending or reading, if any
        head, sep, body = raw.partition(b"\r\n\r\n")
        self.head = head if sep else raw
        self.body = body if sep else b""
        lines = self.head.decode("latin-1").split("\r\n")
        self.status_line = lines[0] if lines else ""
        self.header_lines = [line for line in lines[1:] if line]

    @property
    def status(self):
        parts = self.status_line.split(" ")
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0

    def header(self, name):
        for line in self.header_lines:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


def build_request(method, path, headers=(), body=None, version="HTTP/1.1", chunked=False):
    """The request's bytes; `chunked` sends the body with Transfer-Encoding: chunked (4 KiB chunks)."""
    lines = ["%s %s %s" % (method, path, version), "Host: localhost", "User-Agent: kyso-wire-diff", "Accept: */*"]
    lines += ["%s: %s" % pair for pair in headers]
    if body is not None:
        if not any(name.lower() == "content-type" for name, _ in headers):
            lines.append("Content-Type: application/json")
        if chunked:
            lines.append("Transfer-Encoding: chunked")
            pieces = [body[i:i + 4096] for i in range(0, len(body), 4096)]
            body = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
        else:
            lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + (body or b"")


def pipelined(*requests):
    """Several requests sent at once on one connection (HTTP/1.1 keep-alive)."""
    return b"".join(requests)


def _head_complete(buffer):
    return b"\r\n\r\n" in buffer


def _content_length(buffer, head_request=False):
    head = buffer.partition(b"\r\n\r\n")[0].decode("latin-1")
    status = head.split(" ", 2)[1] if head.count(" ") >= 1 else ""
    if head_request or status in ("204", "304") or status.startswith("1"):
        return 0  # no body by definition (RFC 9112 section 6.3), whatever the headers say
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-length" and value.strip().isdigit():
            return int(value.strip())
    return None


def _closing(buffer):
    head = buffer.partition(b"\r\n\r\n")[0].decode("latin-1").lower()
    return any(line.replace(" ", "") == "connection:close" for line in head.split("\r\n")[1:])


def exchange(socket_path, request, timeout=30.0, stream_events=0, idle=1.0, answers=1):
    """Sends `request` on a new connection and returns the Answer.

    `answers` > 1 reads that many answers one after the other (pipelined requests), all in one Answer.
    `stream_events` > 0 reads an event stream: that many events (each ends with a blank line), or until
    `idle` seconds pass with nothing new, then hangs up (a short read; the stream itself never ends)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    buffer = b""
    error = None
    closed = False
    try:
        sock.connect(socket_path)
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError) as failure:
            # kysod answers an oversized body early and closes; its answer may still be readable.
            error = "send: %s" % type(failure).__name__
        deadline = time.monotonic() + timeout
        head_request = request.startswith(b"HEAD ")
        done = b""  # earlier answers of a pipelined exchange
        while True:
            if _head_complete(buffer):
                body = buffer.partition(b"\r\n\r\n")[2]
                length = _content_length(buffer, head_request)
                if stream_events and length is None:
                    if body.count(b"\n\n") >= stream_events:
                        break
                    sock.settimeout(idle)
                elif length is not None and len(body) >= length:
                    answers -= 1
                    if answers <= 0 and not _closing(buffer):
                        break
                    if answers <= 0:
                        # kysod closes after this answer: read to the close, so that whatever else it sends
                        # (a second 400 after a bad request line) is in the record every time, not by timing.
                        sock.settimeout(min(timeout, 5.0))
                        try:
                            while True:
                                chunk = sock.recv(65536)
                                if not chunk:
                                    closed = True
                                    break
                                buffer += chunk
                        except socket.timeout:
                            error = (error or "") + " no close"
                        except ConnectionResetError:
                            closed = True
                        break
                    end = len(buffer) - len(body) + length
                    done, buffer = done + buffer[:end], buffer[end:]
                    continue
            if time.monotonic() > deadline:
                error = (error or "") + " timeout"
                break
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                if stream_events:
                    break
                error = (error or "") + " timeout"
                break
            except ConnectionResetError:
                closed = True
                error = (error or "") + " reset"
                break
            if not chunk:
                closed = True
                break
            buffer += chunk
    finally:
        sock.close()
    return Answer(done + buffer, closed, error.strip() if error else None)


def hold(socket_path, request=None, timeout=10.0):
    """A connection kept open to fill a limit: idle, or (with `request`) an event stream whose head has come."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(socket_path)
    if request:
        sock.sendall(request)
        buffer = b""
        while not _head_complete(buffer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            buffer += chunk
    return sock


def exchange_as(uid, gid, socket_path, request, **options):
    """`exchange` from a child process that dropped to uid/gid with no supplementary groups, so kysod's
    SO_PEERCRED check sees another user. Returns (Answer, the child's pid)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            answer = exchange(socket_path, request, **options)
            payload = bytes([1 if answer.closed else 0]) + (answer.error or "").encode()[:200].ljust(200) + answer.raw
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            os._exit(0)
        except BaseException:
            os._exit(3)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as source:
        payload = source.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or len(payload) < 201:
        return Answer(b"", False, "client as uid %d failed (status %d)" % (uid, status)), pid
    error = payload[1:201].decode().strip() or None
    return Answer(payload[201:], payload[0] == 1, error), pid
