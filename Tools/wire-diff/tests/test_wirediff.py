"""Unit tests of wire-diff's framing and normalisation: python3 -m unittest discover -s Tools/wire-diff/tests"""
import base64
import calendar
import os
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.realpath(__file__))))

from wirediff import der, normalise, rawhttp  # noqa: E402


class FakeServer:
    """A Unix socket that answers the first request with `answer` and then keeps the connection open."""

    def __init__(self, answer, later=None):
        self.folder = tempfile.mkdtemp(prefix="wire-diff-test-")
        self.path = os.path.join(self.folder, "s.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.answer = answer
        self.later = later  # sent 0.2 s after the answer, then the connection is closed
        self.release = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        connection, _ = self.listener.accept()
        connection.recv(65536)
        connection.sendall(self.answer)
        if self.later is not None:
            time.sleep(0.2)
            connection.sendall(self.later)
            connection.close()
            return
        self.release.wait(10)
        connection.close()

    def close(self):
        self.release.set()
        self.listener.close()


class FramingTests(unittest.TestCase):
    def exchange(self, answer, request=b"GET / HTTP/1.1\r\n\r\n", later=None):
        server = FakeServer(answer, later)
        try:
            began = time.monotonic()
            result = rawhttp.exchange(server.path, request, timeout=5)
            return result, time.monotonic() - began
        finally:
            server.close()

    def test_204_ends_at_its_head(self):
        # kysod sends no content-length with a 204 and keeps the connection: waiting for a close hangs.
        answer, seconds = self.exchange(b"HTTP/1.1 204 No Content\r\nconnection: keep-alive\r\n\r\n")
        self.assertEqual(answer.status, 204)
        self.assertIsNone(answer.error)
        self.assertLess(seconds, 2)

    def test_connection_close_is_read_to_the_close(self):
        # Whatever kysod sends before it closes belongs to the record, however the bytes are split in time.
        first = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        answer, _ = self.exchange(first, later=first)
        self.assertEqual(answer.raw, first + first)
        self.assertTrue(answer.closed)

    def test_content_length_body(self):
        answer, _ = self.exchange(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nX-A: b\r\n\r\nhello")
        self.assertEqual((answer.status, answer.body, answer.header_lines), (200, b"hello", ["content-length: 5", "X-A: b"]))

    def test_head_answer_has_no_body(self):
        answer, seconds = self.exchange(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 120\r\n\r\n", b"HEAD / HTTP/1.1\r\n\r\n")
        self.assertEqual((answer.status, answer.body), (405, b""))
        self.assertLess(seconds, 2)

    def test_chunked_request(self):
        request = rawhttp.build_request("POST", "/x", body=b"A" * 5000, chunked=True)
        self.assertIn(b"Transfer-Encoding: chunked", request)
        self.assertTrue(request.endswith(b"1000\r\n" + b"A" * 4096 + b"\r\n388\r\n" + b"A" * 904 + b"\r\n0\r\n\r\n"))


class NormaliseTests(unittest.TestCase):
    def run_at(self, moment):
        run = normalise.Run()
        run.start = run.end = calendar.timegm(time.strptime(moment, "%Y-%m-%dT%H:%M:%SZ"))
        return run

    def test_times_inside_the_window_only(self):
        run = self.run_at("2026-12-05T07:00:00Z")
        rules = set()
        text = normalise.normalise_text(run, '{"startedAt":"2026-12-05T07:00:03Z","notAfter":"2028-12-04T07:00:00Z"}', rules)
        self.assertEqual(text, '{"startedAt":"<now>","notAfter":"2028-12-04T07:00:00Z"}')
        self.assertEqual(rules, {"time-now"})

    def test_pids_of_others_stay(self):
        run = self.run_at("2026-12-05T07:00:00Z")
        run.client_pids.add(41)
        text = normalise.normalise_text(run, '[{"pid":41},{"pid":42}]', set())
        self.assertEqual(text, '[{"pid":"<client-pid>"},{"pid":42}]')

    def test_statement_aliases(self):
        run = self.run_at("2026-12-05T07:00:00Z")
        statement = b'{"issuedAt":"2026-12-05T07:00:00Z","nonce":"AAAA"}'
        run.remember_statement(statement, "c2ln")
        import hashlib
        audit = '{"dataSha256":"%s"}' % hashlib.sha256(statement).hexdigest()
        self.assertEqual(normalise.normalise_text(run, audit, set()), '{"dataSha256":"<sha256(statement#1)>"}')
        body = '{"statement":"%s"}' % base64.b64encode(statement).decode().replace("/", "\\/")
        self.assertEqual(normalise.normalise_text(run, body, set()), '{"statement":"<statement#1>"}')

    def test_unreturned_statement_hash_in_register_records_only(self):
        run = self.run_at("2026-12-05T07:00:00Z")
        h = "ab" * 32
        text = '{"entries":[{"action":"register","dataSha256":"%s","id":3},{"action":"sign","dataSha256":"%s","id":2}]}' % (h, h)
        self.assertEqual(normalise.normalise_text(run, text, set()),
                         '{"entries":[{"action":"register","dataSha256":"<sha256 of a statement never returned>","id":3},'
                         '{"action":"sign","dataSha256":"%s","id":2}]}' % h)

    def test_metrics_order_and_the_final_newline(self):
        # The final newline once sorted into a family and made two equal expositions differ.
        one = "# HELP b B\n# TYPE b gauge\nb 1.0\n# HELP a A\n# TYPE a counter\na{x=\"2\"} 2\na{x=\"1\"} 1\n"
        two = "# HELP a A\n# TYPE a counter\na{x=\"1\"} 1\na{x=\"2\"} 2\n# HELP b B\n# TYPE b gauge\nb 1.0\n"
        self.assertEqual(normalise.sort_metrics(one), normalise.sort_metrics(two))
        self.assertEqual(len(normalise.sort_metrics(one)), len(one))
        self.assertNotEqual(normalise.sort_metrics(one), normalise.sort_metrics(two.replace("b 1.0", "b 2.0")))


def tlv(tag, value):
    return bytes([tag, len(value)]) + value


class DERTests(unittest.TestCase):
    def test_signing_time_and_signature_blanked_the_rest_kept(self):
        def signer_info(time_text, signature):
            signing_time = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d010905")) + tlv(0x31, tlv(0x17, time_text)))
            return tlv(0x30, tlv(0x02, b"\x01") + tlv(0x04, b"sid") + tlv(0x30, b"") + tlv(0xA0, signing_time)
                       + tlv(0x30, tlv(0x06, b"\x2a\x03")) + tlv(0x04, signature))
        one = der.outline(signer_info(b"261205070000Z", b"\x01" * 64))
        two = der.outline(signer_info(b"261205070001Z", b"\x02" * 64))
        self.assertEqual(one, two)
        self.assertIn("UTCTime <signing time>", one)
        self.assertIn("OCTET STRING <signature value, 64 bytes>", one)
        self.assertNotEqual(one, der.outline(signer_info(b"261205070000Z", b"\x01" * 63)))


if __name__ == "__main__":
    unittest.main()
