"""The card side of vsmartcard's vpcd protocol over TCP.

Each message is a 2-byte big-endian length and a payload. A 1-byte payload is a control
(0 power off, 1 power on, 2 reset, 4 "send the ATR"); anything longer is a command APDU,
answered with a response APDU. Connecting inserts the card; closing the connection removes it.
"""

import socket
import struct
import time

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4


class VpcdLink:
    def __init__(self, host, port, connect_timeout=10.0):
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=2.0)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _quick_ack(self):
        # vpcd sends length and APDU as two packets; with delayed ACKs each APDU would wait ~40 ms.
        # Linux clears TCP_QUICKACK after use, so it is set again before every read.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)

    def _read_exactly(self, count):
        chunks = b""
        while len(chunks) < count:
            self._quick_ack()
            chunk = self.sock.recv(count - len(chunks))
            if not chunk:
                return None
            chunks += chunk
        return chunks

    def receive(self):
        """Returns the next payload (bytes), or None when vpcd closed the connection."""
        header = self._read_exactly(2)
        if header is None:
            return None
        (length,) = struct.unpack(">H", header)
        if length == 0:
            return b""
        return self._read_exactly(length)

    def send(self, payload):
        self.sock.sendall(struct.pack(">H", len(payload)) + payload)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
