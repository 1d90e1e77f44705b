"""A minimal PIV card application (NIST SP 800-73-4) for tests: pure APDU logic, no I/O.

Enough for OpenSC's PIV driver to expose a PKCS#11 token with one certificate (slot 9A) and
its RSA-2048 private key: SELECT, GET DATA (discovery, CHUID, certificate), VERIFY with a retry
counter, GENERAL AUTHENTICATE (raw RSA), GET RESPONSE chaining and command chaining.
"""

import hashlib

PIV_AID = bytes.fromhex("A000000308000010000100")
PIV_AID_PREFIX = PIV_AID[:5]  # SELECT may name the RID only (or any prefix of the full AID)

SW_OK = b"\x90\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_SECURITY_NOT_SATISFIED = b"\x69\x82"
SW_PIN_BLOCKED = b"\x69\x83"
SW_CONDITIONS_NOT_SATISFIED = b"\x69\x85"
SW_WRONG_DATA = b"\x6A\x80"
SW_NOT_FOUND = b"\x6A\x82"
SW_WRONG_P1P2 = b"\x6A\x86"
SW_REFERENCE_NOT_FOUND = b"\x6A\x88"
SW_INS_NOT_SUPPORTED = b"\x6D\x00"
SW_CLA_NOT_SUPPORTED = b"\x6E\x00"

ALG_RSA_2048 = 0x07
KEY_PIV_AUTHENTICATION = 0x9A
PIN_REFERENCE = 0x80
MAX_RESPONSE = 256  # vpcd refuses longer responses (OpenSC's receive buffer is 258 bytes)

# An ATR whose historical bytes carry the PIV AID in compact-TLV (category 0x80, tag 0xF, length 9),
# so OpenSC's PIV driver treats the card as plain PIV with no vendor workarounds (type PIV_II_HIST).
_HISTORICAL = bytes.fromhex("80") + bytes([0xF9]) + bytes.fromhex("A00000030800001000")


def _atr():
    body = bytes([0x80 | len(_HISTORICAL), 0x80, 0x01]) + _HISTORICAL  # T0, TD1 (T=0, TD2 follows), TD2 (T=1)
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3B" + body + bytes([tck])


ATR = _atr()


def tlv(tag, value):
    """BER-TLV with a 1-, 2- or 3-byte tag (given as int) and definite length."""
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82, n >> 8, n & 0xFF])
    return tag_bytes + length + value


def parse_tlvs(data):
    """Parses concatenated BER-TLVs into a list of (tag int, value bytes); raises ValueError."""
    items, i = [], 0
    while i < len(data):
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:  # multi-byte tag
            while True:
                if i >= len(data):
                    raise ValueError("truncated tag")
                tag = (tag << 8) | data[i]
                i += 1
                if not data[i - 1] & 0x80:
                    break
        if i >= len(data):
            raise ValueError("missing length")
        length = data[i]
        i += 1
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 3 or i + count > len(data):
                raise ValueError("bad length")
            length = int.from_bytes(data[i:i + count], "big")
            i += count
        if i + length > len(data):
            raise ValueError("value past end")
        items.append((tag, data[i:i + length]))
        i += length
    return items


class Command:
    """A parsed command APDU (short or extended)."""

    def __init__(self, raw):
        if len(raw) < 4:
            raise ValueError("APDU shorter than 4 bytes")
        self.cla, self.ins, self.p1, self.p2 = raw[0], raw[1], raw[2], raw[3]
        self.data, self.le = b"", None  # le None: no Le field
        body = raw[4:]
        if not body:
            return
        if len(body) == 1:
            self.le = body[0] or 256
        elif body[0] != 0:
            lc = body[0]
            if len(body) == 1 + lc:
                self.data = body[1:]
            elif len(body) == 2 + lc:
                self.data, self.le = body[1:1 + lc], body[-1] or 256
            else:
                raise ValueError("Lc does not match the APDU length")
        else:  # extended length
            if len(body) == 3:
                self.le = int.from_bytes(body[1:3], "big") or 65536
            else:
                lc = int.from_bytes(body[1:3], "big")
                if len(body) == 3 + lc:
                    self.data = body[3:]
                elif len(body) == 5 + lc:
                    self.data, self.le = body[3:3 + lc], int.from_bytes(body[-2:], "big") or 65536
                else:
                    raise ValueError("extended Lc does not match the APDU length")


class PivApplet:
    """The card's state between APDUs: PIN status, pending response and command chain."""

    def __init__(self, private_key, certificate_der, pin=b"123456", retries=3):
        numbers = private_key.private_numbers()
        self._n = numbers.public_numbers.n
        self._d = numbers.d
        self._modulus_bytes = (self._n.bit_length() + 7) // 8
        if self._modulus_bytes != 256:
            raise ValueError("the virtual PIV card signs with RSA-2048 keys only")
        self._certificate = certificate_der
        self._pin = pin
        self._max_retries = retries
        self.retries_left = retries
        self.guid = hashlib.sha256(certificate_der).digest()[:16]  # each certificate gives its own card serial
        self.power_on()

    # --- card life cycle -------------------------------------------------------------------------

    def power_on(self):
        """Power-on or reset: the PIV application is active at once, security status is cleared."""
        self.pin_verified = False
        self._pending = b""
        self._chain = b""

    # --- APDU dispatch ---------------------------------------------------------------------------

    def process(self, raw):
        """Answers one command APDU (bytes) with a response APDU (bytes)."""
        try:
            command = Command(raw)
        except ValueError:
            return SW_WRONG_LENGTH
        if command.ins == 0xC0 and command.cla & 0xF0 == 0x00:
            return self._get_response(command)
        self._pending = b""
        if command.cla & 0xEF != 0x00:  # only plain interindustry class, with or without chaining
            return SW_CLA_NOT_SUPPORTED
        if command.cla & 0x10:  # command chaining: collect until the last command
            self._chain += command.data
            return SW_OK
        if self._chain:
            command.data, self._chain = self._chain + command.data, b""
        handler = {
            0xA4: self._select,
            0xCB: self._get_data,
            0x20: self._verify,
            0x87: self._general_authenticate,
        }.get(command.ins)
        if handler is None:
            return SW_INS_NOT_SUPPORTED
        return handler(command)

    def _respond(self, data, le):
        """Hands out at most Le (and at most 256) bytes; the rest waits for GET RESPONSE (61xx)."""
        limit = min(le or MAX_RESPONSE, MAX_RESPONSE)
        if len(data) <= limit:
            return data + SW_OK
        self._pending = data[limit:]
        return data[:limit] + self._more_available()

    def _more_available(self):
        return bytes([0x61, min(len(self._pending), 0xFF) if len(self._pending) < 256 else 0x00])

    def _get_response(self, command):
        if not self._pending:
            return SW_CONDITIONS_NOT_SATISFIED
        data, self._pending = self._pending, b""
        return self._respond(data, command.le)

    # --- commands --------------------------------------------------------------------------------

    def _select(self, command):
        if command.p1 != 0x04:
            return SW_NOT_FOUND
        aid = command.data
        if not aid or not PIV_AID.startswith(aid) or len(aid) < len(PIV_AID_PREFIX):
            return SW_NOT_FOUND
        template = tlv(0x4F, PIV_AID[5:]) + tlv(0x79, tlv(0x4F, PIV_AID_PREFIX)) \
            + tlv(0x50, b"Kyso virtual PIV") \
            + tlv(0xAC, tlv(0x80, bytes([ALG_RSA_2048])) + tlv(0x06, b"\x00"))
        return self._respond(tlv(0x61, template), command.le)

    def _get_data(self, command):
        if (command.p1, command.p2) != (0x3F, 0xFF):
            return SW_WRONG_P1P2
        try:
            items = parse_tlvs(command.data)
        except ValueError:
            return SW_WRONG_DATA
        if len(items) != 1 or items[0][0] != 0x5C:
            return SW_WRONG_DATA
        tag = items[0][1]
        if tag == b"\x7E":
            return self._respond(self._discovery(), command.le)
        if tag == b"\x5F\xC1\x02":
            return self._respond(tlv(0x53, self._chuid()), command.le)
        if tag == b"\x5F\xC1\x05":
            return self._respond(tlv(0x53, tlv(0x70, self._certificate) + tlv(0x71, b"\x00") + tlv(0xFE, b"")),
                                 command.le)
        return SW_NOT_FOUND

    def _discovery(self):
        # PIN usage policy 40 00: the PIV application PIN satisfies access rules; no global PIN.
        return tlv(0x7E, tlv(0x4F, PIV_AID) + tlv(0x5F2F, b"\x40\x00"))

    def _chuid(self):
        fasc_n = bytes.fromhex("D4E739DA739CED39CE739D836858210842108421C84210C3EB")  # SP 800-73 sample FASC-N
        return tlv(0x30, fasc_n) + tlv(0x34, self.guid) + tlv(0x35, b"20991231") + tlv(0x3E, b"") + tlv(0xFE, b"")

    def _verify(self, command):
        if command.p1 == 0xFF:  # reset security status
            self.pin_verified = False
            return SW_OK
        if command.p1 != 0x00 or command.p2 != PIN_REFERENCE:
            return SW_REFERENCE_NOT_FOUND
        if not command.data:  # status query: no retry is spent
            if self.retries_left == 0:
                return SW_PIN_BLOCKED
            return SW_OK if self.pin_verified else bytes([0x63, 0xC0 | self.retries_left])
        if len(command.data) != 8:
            return SW_WRONG_DATA
        if self.retries_left == 0:
            return SW_PIN_BLOCKED
        if command.data.rstrip(b"\xFF") == self._pin:
            self.retries_left = self._max_retries
            self.pin_verified = True
            return SW_OK
        self.retries_left -= 1
        self.pin_verified = False
        return SW_PIN_BLOCKED if self.retries_left == 0 else bytes([0x63, 0xC0 | self.retries_left])

    def _general_authenticate(self, command):
        if command.p2 != KEY_PIV_AUTHENTICATION:
            return SW_REFERENCE_NOT_FOUND
        if command.p1 != ALG_RSA_2048:
            return SW_WRONG_P1P2
        try:
            items = parse_tlvs(command.data)
            if len(items) != 1 or items[0][0] != 0x7C:
                return SW_WRONG_DATA
            fields = dict(parse_tlvs(items[0][1]))
        except ValueError:
            return SW_WRONG_DATA
        challenge = fields.get(0x81)
        if 0x82 not in fields or challenge is None or len(challenge) != self._modulus_bytes:
            return SW_WRONG_DATA
        if not self.pin_verified:
            return SW_SECURITY_NOT_SATISFIED
        message = int.from_bytes(challenge, "big")
        if message >= self._n:
            return SW_WRONG_DATA
        # Raw RSA: the host (OpenSC) has already applied the PKCS#1 padding.
        signature = pow(message, self._d, self._n).to_bytes(self._modulus_bytes, "big")
        return self._respond(tlv(0x7C, tlv(0x82, signature)), command.le)
