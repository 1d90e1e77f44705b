"""A CMS SignedData as an outline of its DER, with the two parts that differ between honest runs blanked.

Two runs signing the same bytes with the same key produce CMS structures that differ only in the signing
time attribute and, because the signed attributes differ, the signature value (and for ECDSA the signature
is random anyway). Everything else (content type, digest algorithms, the certificate, the signer identifier,
the attribute set and its order, the message digest) must be the same, so the outline keeps it. This reads
DER only far enough to print it (tag, length, value); it is a test aid, not a codec.
"""
import binascii

SIGNING_TIME = "1.2.840.113549.1.9.5"
NAMES = {0x02: "INTEGER", 0x03: "BIT STRING", 0x04: "OCTET STRING", 0x05: "NULL", 0x06: "OID",
         0x0C: "UTF8String", 0x13: "PrintableString", 0x16: "IA5String", 0x17: "UTCTime",
         0x18: "GeneralizedTime", 0x30: "SEQUENCE", 0x31: "SET"}


class DERError(Exception):
    pass


def _parse(data, offset, end):
    nodes = []
    while offset < end:
        if end - offset < 2:
            raise DERError("truncated at %d" % offset)
        tag = data[offset]
        length = data[offset + 1]
        offset += 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or offset + count > end:
                raise DERError("bad length at %d" % offset)
            length = int.from_bytes(data[offset:offset + count], "big")
            offset += count
        if offset + length > end:
            raise DERError("value past the end at %d" % offset)
        value = data[offset:offset + length]
        children = _parse(data, offset, offset + length) if tag & 0x20 else None
        nodes.append((tag, value, children))
        offset += length
    return nodes


def _oid(value):
    numbers, current = [], 0
    for byte in value:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(current)
            current = 0
    if not numbers:
        return ""
    first = min(numbers[0] // 40, 2)
    return ".".join(str(n) for n in [first, numbers[0] - 40 * first] + numbers[1:])


def _is_signer_info(children):
    # SignerInfo: version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature OCTET STRING.
    return (len(children) >= 6 and children[0][0] == 0x02 and children[3][0] == 0xA0
            and children[5][0] == 0x04)


def _render(nodes, depth, lines, aliases, in_signer_info=False):
    for index, (tag, value, children) in enumerate(nodes):
        name = NAMES.get(tag, "[%d]" % (tag & 0x1F) if tag & 0x80 else "tag 0x%02x" % tag)
        pad = "  " * depth
        if children is not None:
            lines.append("%s%s" % (pad, name))
            signer = tag == 0x30 and _is_signer_info(children)
            _render(children, depth + 1, lines, aliases, in_signer_info=signer)
            continue
        if tag == 0x06:
            text = _oid(value)
        elif tag in (0x17, 0x18, 0x0C, 0x13, 0x16):
            text = value.decode("utf-8", "replace")
        else:
            text = binascii.hexlify(value).decode()
        if in_signer_info and index == 5 and tag == 0x04:
            text = "<signature value, %d bytes>" % len(value)
        elif text in aliases:
            text = aliases[text]
        lines.append("%s%s %s" % (pad, name, text))


def outline(der, aliases=None):
    """The outline as text lines; `aliases` maps hex values (a message digest the caller can predict per
    run) to stable names."""
    nodes = _parse(der, 0, len(der))
    _mark_signing_times(nodes)
    lines = []
    _render(nodes, 0, lines, aliases or {})
    return "\n".join(lines)


def _mark_signing_times(nodes):
    """Rewrites, in place, the time inside each signingTime attribute to a placeholder value."""
    for tag, _, children in nodes:
        if children is None:
            continue
        if (tag == 0x30 and len(children) == 2 and children[0][0] == 0x06 and _oid(children[0][1]) == SIGNING_TIME
                and children[1][2]):
            times = children[1][2]
            for i, (time_tag, _, _) in enumerate(times):
                if time_tag in (0x17, 0x18):
                    times[i] = (time_tag, b"<signing time>", None)
        _mark_signing_times(children)
