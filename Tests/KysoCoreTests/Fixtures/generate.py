#!/usr/bin/env python3
"""Generates the certificate fixtures for KysoCoreTests.

Run from anywhere: `python3 Tests/KysoCoreTests/Fixtures/generate.py`. Needs `cryptography` (48 was used).

Every certificate is small DER with fixed dates, so the fixtures never go stale: the tests inject `now`.
Issuer names copy the styles recorded in shared/domain/DOMAIN.md and the lab TEST names of TEAM.md; every key is
freshly generated here, so none of these certificates is a real CA's.

Besides the DER files it writes:
- manifest.json: per fixture, what an independent implementation (this script / OpenSSL through `cryptography`)
  computes (serial, fingerprints, dates, key, RFC 4514 names) and what the fixture was built to show
  (provider, identifiers, tax code, holder kind).
- taxcodes.json: tax-code vectors whose validity is computed by the python-stdnum algorithm reimplemented below.
"""
import datetime
import hashlib
import json
import os
import unicodedata

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

HERE = os.path.dirname(os.path.abspath(__file__))
UID = NameOID.USER_ID
TITLE = NameOID.TITLE
PHONE = ObjectIdentifier("2.5.4.20")
DAY = datetime.timedelta(days=1)


def utc(y, m, d):
    return datetime.datetime(y, m, d, tzinfo=datetime.timezone.utc)


CURRENT = (utc(2024, 1, 1), utc(2027, 1, 1))
EXPIRED = (utc(2019, 1, 1), utc(2021, 1, 1))
FUTURE = (utc(2030, 1, 1), utc(2032, 1, 1))


# --- Tax codes: python-stdnum stdnum/vn/mst.py, reimplemented -------------------------------------------------
WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def mst_check_digit(first9):
    """10 - (weighted sum mod 11); a result of 10 (sum mod 11 == 0) cannot be written as one digit."""
    total = sum(w * int(d) for w, d in zip(WEIGHTS, first9))
    return str(10 - (total % 11))


def mst_valid(number):
    compact = number.replace(" ", "").replace("-", "").replace(".", "")
    if not compact.isdigit() or len(compact) not in (10, 13):
        return False
    if compact[2:9] == "0000000":
        return False
    if len(compact) == 13 and compact[-3:] == "000":
        return False
    return compact[9] == mst_check_digit(compact)


def valid_mst(first9):
    code = first9 + mst_check_digit(first9)
    assert mst_valid(code), code
    return code


# Sample codes from DOMAIN.md, checked rather than trusted.
ORG_MST = "0104359717"
BRANCH_BASE = "0100686209"
PERSON_ORG_MST = "0301824642"
BUDGET_MST = "0400260612"
NACENCOMM_BASE = "0102721191"
for sample in (ORG_MST, BRANCH_BASE, PERSON_ORG_MST, BUDGET_MST, NACENCOMM_BASE):
    assert mst_valid(sample), f"DOMAIN.md sample {sample} fails the stdnum check"
GENERIC_MST = valid_mst("010123456")
BAD_MST = GENERIC_MST[:9] + str((int(GENERIC_MST[9]) + 1) % 10)
assert not mst_valid(BAD_MST)


# --- Names ----------------------------------------------------------------------------------------------------
def attr(oid, value, kind=None):
    return x509.NameAttribute(oid, value, _type=kind) if kind else x509.NameAttribute(oid, value)


def name(*attrs):
    return x509.Name(list(attrs))


def nfd(text):
    return unicodedata.normalize("NFD", text)


ISSUERS = {
    "vnpt": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "VNPT Group"),
                 attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "VNPT-CA Trust Network"),
                 attr(NameOID.COMMON_NAME, "VNPT Certification Authority")),
    "vnpt-rs": name(attr(NameOID.COUNTRY_NAME, "VN"),
                    attr(NameOID.ORGANIZATION_NAME, "VIETNAM POSTS AND TELECOMMUNICATIONS GROUP"),
                    attr(NameOID.COMMON_NAME, "VNPT SmartCA RS")),
    "viettel": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.LOCALITY_NAME, "Hà Nội"),
                    attr(NameOID.ORGANIZATION_NAME, "Viettel Group"), attr(NameOID.COMMON_NAME, "Viettel-CA")),
    "viettel-rs": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "Viettel Group"),
                       attr(NameOID.COMMON_NAME, "Viettel-CA RS")),
    "fpt": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "FPT Corporation"),
                attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "FPT Information System"),
                attr(NameOID.COMMON_NAME, "FPT Certification Authority")),
    "bkav": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "Bkav Corporation"),
                 attr(NameOID.COMMON_NAME, "BkavCA SHA256")),
    "nacencomm": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "NACENCOMM SCT"),
                      attr(NameOID.COMMON_NAME, "CA2")),
    "ncca": name(attr(NameOID.COUNTRY_NAME, "VN"),
                 attr(NameOID.ORGANIZATION_NAME, "CÔNG TY CỔ PHẦN CÔNG NGHỆ NCCA"),
                 attr(NameOID.COMMON_NAME, "NC-CA SHA256")),
    "cmc": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.STATE_OR_PROVINCE_NAME, "Hà Nội"),
                attr(NameOID.ORGANIZATION_NAME, "CMC Corporation"),
                attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "CMC Technology and Solution"),
                attr(NameOID.COMMON_NAME, "CMC Certification Authority")),
    "unknown": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "Example Trust Ltd"),
                    attr(NameOID.COMMON_NAME, "Example Trust CA")),
    # Same CN as Nacencomm, different organisation: must not be taken for Nacencomm.
    "lookalike": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "I-CA LOOKALIKE JSC"),
                      attr(NameOID.COMMON_NAME, "CA2")),
    "lab-root": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "Kyso Lab TEST"),
                     attr(NameOID.COMMON_NAME, "Kyso TEST National Root CA")),
    "lab-vnpt": name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "VNPT Group"),
                     attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "VNPT-CA Trust Network"),
                     attr(NameOID.COMMON_NAME, "VNPT Certification Authority TEST")),
}


# --- Building -------------------------------------------------------------------------------------------------
def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def leaf(subject, issuer_name, issuer_key, key, validity=CURRENT, hash_alg=None, serial=None, eku=True):
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(serial if serial is not None else x509.random_serial_number())
               .not_valid_before(validity[0]).not_valid_after(validity[1])
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                            key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                                            data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False),
                              critical=True))
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False)
    if isinstance(hash_alg, hashes.SHA1):
        return resign_with_sha1(builder.sign(issuer_key, hashes.SHA256()), issuer_key)
    return builder.sign(issuer_key, hash_alg or hashes.SHA256())


def der_length(n):
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der_tlv(tag, content):
    return bytes([tag]) + der_length(len(content)) + content


SHA256_RSA = bytes.fromhex("300d06092a864886f70d01010b0500")
SHA1_RSA = bytes.fromhex("300d06092a864886f70d0101050500")


def resign_patched(cert, issuer_key, old, new):
    """Replaces bytes inside the TBS (same length) and signs again: how a fixture gets Latin-1 bytes in a
    TeletexString, which cryptography would write as UTF-8."""
    assert len(old) == len(new)
    tbs = cert.tbs_certificate_bytes
    assert tbs.count(old) == 1
    tbs = tbs.replace(old, new)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA256())
    der = der_tlv(0x30, tbs + SHA256_RSA + der_tlv(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


def resign_with_sha1(cert, issuer_key):
    """cryptography 48 refuses SHA-1 certificate signatures; old Vietnamese certificates have them, so swap the
    (same-length) algorithm identifier in the TBS and sign the TBS ourselves."""
    tbs = cert.tbs_certificate_bytes
    assert tbs.count(SHA256_RSA) == 1
    tbs = tbs.replace(SHA256_RSA, SHA1_RSA)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    der = der_tlv(0x30, tbs + SHA1_RSA + der_tlv(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


def ca_cert(subject, issuer_name, issuer_key, key, validity=(utc(2020, 1, 1), utc(2040, 1, 1))):
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(validity[0]).not_valid_after(validity[1])
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(issuer_key, hashes.SHA256()))


def serial_hex(serial):
    """Hex of the DER INTEGER content octets (two's complement, minimal), as Windows and .NET show a serial."""
    length = serial.bit_length() // 8 + 1
    return serial.to_bytes(length, "big", signed=True).hex().upper()


def key_facts(cert):
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return {"keyType": "rsa", "keySizeInBits": key.key_size}
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"keyType": "ec", "keySizeInBits": key.curve.key_size, "curve": key.curve.name}
    raise ValueError("unexpected key")


NAME_OVERRIDES = {TITLE: "T", PHONE: "telephoneNumber", NameOID.EMAIL_ADDRESS: "E",
                  NameOID.SERIAL_NUMBER: "SERIALNUMBER"}


def rfc4514(name_):
    if isinstance(name_, str):
        return name_
    return unicodedata.normalize("NFC", name_.rfc4514_string(NAME_OVERRIDES))


manifest = {"fixtures": {}}


def write(file_name, cert, expect=None, subject=None):
    der = cert.public_bytes(serialization.Encoding.DER)
    with open(os.path.join(HERE, file_name), "wb") as f:
        f.write(der)
    entry = {
        "serialHex": serial_hex(cert.serial_number),
        "serialDecimal": str(cert.serial_number),
        "sha1": hashlib.sha1(der).hexdigest(),
        "sha256": hashlib.sha256(der).hexdigest(),
        "notBefore": cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "notAfter": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "subject": subject or rfc4514(cert.subject),
        "issuer": rfc4514(cert.issuer),
        "signatureHash": cert.signature_hash_algorithm.name,
        **key_facts(cert),
    }
    if expect:
        entry["expect"] = expect
    manifest["fixtures"][file_name] = entry


def main():
    issuer_keys = {label: rsa_key() for label in ISSUERS}

    def issued(label, subject, key=None, **kwargs):
        return leaf(subject, ISSUERS[label], issuer_keys[label], key or rsa_key(), **kwargs)

    # An organisation (VNPT), one attribute stored decomposed (NFD) to prove NFC normalisation.
    write("vnpt-organisation.der", issued("vnpt", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.STATE_OR_PROVINCE_NAME, nfd("Hà Nội")),
        attr(NameOID.COMMON_NAME, "CÔNG TY CỔ PHẦN KYSO THỬ NGHIỆM"), attr(UID, f"MST:{ORG_MST}")),
        # High bit set: DER keeps a leading 00 octet, which Windows shows as part of the serial.
        serial=0xA1B2C3D4E5F60718293A4B5C6D7E8F90),
        {"provider": "vnpt", "holderKind": "organisation", "taxCode": ORG_MST, "taxCodeForm": "enterprise",
         "identifiers": [["MST", ORG_MST]], "commonName": "CÔNG TY CỔ PHẦN KYSO THỬ NGHIỆM"})

    # A person within a branch (Viettel).
    write("viettel-branch-person.der", issued("viettel", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "CHI NHÁNH CÔNG TY TNHH THỬ NGHIỆM"),
        attr(UID, f"MST:{BRANCH_BASE}-199"), attr(UID, "CCCD:025199009534"),
        attr(NameOID.COMMON_NAME, "NGUYỄN HỒNG NHUNG"))),
        {"provider": "viettel", "holderKind": "personInOrganisation", "taxCode": f"{BRANCH_BASE}-199",
         "taxCodeForm": "branch", "identifiers": [["MST", f"{BRANCH_BASE}-199"], ["CCCD", "025199009534"]]})

    # A branch itself (Viettel), EKU absent.
    write("viettel-branch.der", issued("viettel", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.COMMON_NAME, "CHI NHÁNH HẢI PHÒNG - CÔNG TY THỬ NGHIỆM"),
        attr(UID, f"MST:{BRANCH_BASE}-001")), eku=False),
        {"provider": "viettel", "holderKind": "branch", "taxCode": f"{BRANCH_BASE}-001", "taxCodeForm": "branch",
         "identifiers": [["MST", f"{BRANCH_BASE}-001"]]})

    # A person within an organisation (FPT), EC P-256, title and phone.
    write("fpt-person-ec.der", issued("fpt", name(
        attr(UID, "CMND:079073009568"), attr(UID, f"MST:{PERSON_ORG_MST}"),
        attr(NameOID.COMMON_NAME, "TRẦN VĂN BÌNH"), attr(TITLE, "Giám đốc"), attr(PHONE, "+84 28 1234 5678"),
        attr(NameOID.ORGANIZATION_NAME, "CÔNG TY TNHH ABC"), attr(NameOID.COUNTRY_NAME, "VN")),
        key=ec.generate_private_key(ec.SECP256R1())),
        {"provider": "fpt", "holderKind": "personInOrganisation", "taxCode": PERSON_ORG_MST,
         "taxCodeForm": "enterprise", "identifiers": [["CMND", "079073009568"], ["MST", PERSON_ORG_MST]]})

    # An individual (Bkav) whose MST is the 12-digit personal ID; EC P-384 key, SHA-384.
    write("bkav-individual-ec384.der", issued("bkav", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.COMMON_NAME, "LÊ THỊ CẨM"),
        attr(UID, "CCCD:001199012345"), attr(UID, "MST:001199012345")),
        key=ec.generate_private_key(ec.SECP384R1()), hash_alg=hashes.SHA384()),
        {"provider": "bkav", "holderKind": "individual", "taxCode": "001199012345", "taxCodeForm": "personalID",
         "identifiers": [["CCCD", "001199012345"], ["MST", "001199012345"]]})

    # An old-style Nacencomm certificate: RSA-1024 and SHA-1, which swift-certificates alone refuses to load.
    write("nacencomm-sha1-rsa1024.der", issued("nacencomm", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "CÔNG TY CỔ PHẦN CŨ"),
        attr(NameOID.COMMON_NAME, "CHI NHÁNH CÔNG TY CỔ PHẦN CŨ"), attr(UID, f"MST:{NACENCOMM_BASE}-001")),
        key=rsa_key(1024), hash_alg=hashes.SHA1(), validity=EXPIRED),
        {"provider": "nacencomm", "holderKind": "branch", "taxCode": f"{NACENCOMM_BASE}-001", "taxCodeForm": "branch",
         "identifiers": [["MST", f"{NACENCOMM_BASE}-001"]], "sha1Signature": True})

    # A budget unit (NCCA).
    write("ncca-budget-unit.der", issued("ncca", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "UBND TP Đà Nẵng"),
        attr(NameOID.COMMON_NAME, "Sở Y tế"), attr(UID, f"MST:{BUDGET_MST}"), attr(UID, "MNS:1047665"))),
        {"provider": "ncca", "holderKind": "budgetUnit", "taxCode": BUDGET_MST, "taxCodeForm": "enterprise",
         "identifiers": [["MST", BUDGET_MST], ["MNS", "1047665"]]})

    # Names stored as BMPString, as older certificates do (CMC).
    write("cmc-bmpstring.der", issued("cmc", name(
        attr(NameOID.COUNTRY_NAME, "VN"),
        attr(NameOID.ORGANIZATION_NAME, "CÔNG TY CỔ PHẦN DỊCH VỤ ĐÔNG Á", _ASN1Type.BMPString),
        attr(NameOID.COMMON_NAME, "CÔNG TY CỔ PHẦN DỊCH VỤ ĐÔNG Á", _ASN1Type.BMPString),
        attr(UID, f"MST:{GENERIC_MST}", _ASN1Type.BMPString))),
        {"provider": "cmc", "holderKind": "organisation", "taxCode": GENERIC_MST, "taxCodeForm": "enterprise",
         "identifiers": [["MST", GENERIC_MST]], "commonName": "CÔNG TY CỔ PHẦN DỊCH VỤ ĐÔNG Á",
         "stringTypes": {"CN": "bmpString", "O": "bmpString"}})

    # Remote signing (VNPT SmartCA RS): an individual with personal identifiers only.
    write("vnpt-smartca-rs.der", issued("vnpt-rs", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.COMMON_NAME, "PHẠM THỊ HOA"),
        attr(UID, "PID:036199001234"), attr(UID, "HC:B1234567"), attr(UID, "PPID:AB12345"))),
        {"provider": "vnpt", "remoteSigning": True, "holderKind": "individual",
         "identifiers": [["PID", "036199001234"], ["HC", "B1234567"], ["PPID", "AB12345"]]})

    # Remote signing (Viettel-CA RS), TeletexString and IA5String names, the spacing/case variant `mst: `,
    # a BHXH code and an unknown prefix.
    write("viettel-rs-teletex.der", issued("viettel-rs", name(
        attr(NameOID.COUNTRY_NAME, "VN"),
        attr(NameOID.ORGANIZATION_NAME, "Société Générale Viet Nam", _ASN1Type.T61String),
        attr(NameOID.COMMON_NAME, "SOCIETE GENERALE VIET NAM", _ASN1Type.T61String),
        attr(NameOID.EMAIL_ADDRESS, "ketoan@example.vn"),
        attr(UID, f"mst: {GENERIC_MST}"), attr(UID, "BHXH:0123456789"),
        attr(UID, "XYZ:ABC-42"))),
        {"provider": "viettel", "remoteSigning": True, "holderKind": "organisation", "taxCode": GENERIC_MST,
         "taxCodeForm": "enterprise",
         "identifiers": [["MST", GENERIC_MST], ["BHXH", "0123456789"], ["XYZ", "ABC-42"]],
         "stringTypes": {"CN": "teletexString", "O": "teletexString", "E": "ia5String"}})

    # A TeletexString holding Latin-1 bytes, as OpenSSL-era software wrote them.
    latin1 = issued("viettel", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, "Soci~t~ G~n~rale", _ASN1Type.T61String),
        attr(UID, f"MST:{GENERIC_MST}")))
    latin1 = resign_patched(latin1, issuer_keys["viettel"], b"Soci~t~ G~n~rale", "Société Générale".encode("latin-1"))
    write("teletex-latin1.der", latin1,
          {"provider": "viettel", "holderKind": "organisation", "taxCode": GENERIC_MST, "taxCodeForm": "enterprise",
           "identifiers": [["MST", GENERIC_MST]], "stringTypes": {"O": "teletexString"},
           "organization": "Société Générale"},
          subject=f"UID=MST:{GENERIC_MST},O=Société Générale,C=VN")

    write("unknown-issuer.der", issued("unknown", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.COMMON_NAME, "CÔNG TY KHÔNG RÕ CA"),
        attr(UID, f"MST:{GENERIC_MST}"))),
        {"provider": "unknown", "issuerCommonName": "Example Trust CA", "holderKind": "organisation",
         "taxCode": GENERIC_MST, "taxCodeForm": "enterprise", "identifiers": [["MST", GENERIC_MST]]})

    write("lookalike-ca2.der", issued("lookalike", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.COMMON_NAME, "CÔNG TY GIỐNG CA2"),
        attr(UID, f"MST:{GENERIC_MST}"))),
        {"provider": "unknown", "issuerCommonName": "CA2", "holderKind": "organisation", "taxCode": GENERIC_MST,
         "taxCodeForm": "enterprise", "identifiers": [["MST", GENERIC_MST]]})

    write("bad-check-digit.der", issued("vnpt", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.COMMON_NAME, "CÔNG TY SAI MÃ"),
        attr(UID, f"MST:{BAD_MST}"))),
        {"provider": "vnpt", "holderKind": "unknown", "invalidTaxCode": BAD_MST,
         "identifiers": [["MST", BAD_MST]]})

    write("expired.der", issued("vnpt", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.COMMON_NAME, "CÔNG TY HẾT HẠN"),
        attr(UID, f"MST:{ORG_MST}")), validity=EXPIRED),
        {"provider": "vnpt", "holderKind": "organisation", "taxCode": ORG_MST, "taxCodeForm": "enterprise",
         "identifiers": [["MST", ORG_MST]]})

    write("not-yet-valid.der", issued("vnpt", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.COMMON_NAME, "CÔNG TY CHƯA HIỆU LỰC"),
        attr(UID, f"MST:{ORG_MST}")), validity=FUTURE),
        {"provider": "vnpt", "holderKind": "organisation", "taxCode": ORG_MST, "taxCodeForm": "enterprise",
         "identifiers": [["MST", ORG_MST]]})

    # RFC 4514 escaping: specials inside, a leading '#', a leading and a trailing space.
    write("escaping.der", issued("unknown", name(
        attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.ORGANIZATION_NAME, 'Công ty "A", B + C; <D> \\ E'),
        attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "#1 team "), attr(NameOID.COMMON_NAME, " leading space"))),
        {"provider": "unknown", "issuerCommonName": "Example Trust CA", "holderKind": "unknown", "identifiers": []})

    # Lab chain: TEST root -> VNPT TEST intermediate -> leaf; and a rogue leaf naming the same issuer.
    root_key, vnpt_key, rogue_key = rsa_key(), rsa_key(), rsa_key()
    root = ca_cert(ISSUERS["lab-root"], ISSUERS["lab-root"], root_key, root_key)
    vnpt_ca = ca_cert(ISSUERS["lab-vnpt"], ISSUERS["lab-root"], root_key, vnpt_key)
    lab_leaf = leaf(name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.COMMON_NAME, "CÔNG TY LAB TEST"),
                         attr(UID, f"MST:{ORG_MST}")), ISSUERS["lab-vnpt"], vnpt_key, rsa_key())
    rogue_leaf = leaf(name(attr(NameOID.COUNTRY_NAME, "VN"), attr(NameOID.COMMON_NAME, "CÔNG TY GIẢ MẠO"),
                           attr(UID, f"MST:{ORG_MST}")), ISSUERS["lab-vnpt"], rogue_key, rsa_key())
    write("lab-root.der", root)
    write("lab-vnpt-ca.der", vnpt_ca)
    write("lab-vnpt-leaf.der", lab_leaf,
          {"provider": "vnpt", "test": True, "holderKind": "organisation", "taxCode": ORG_MST,
           "taxCodeForm": "enterprise", "identifiers": [["MST", ORG_MST]], "chainVerifies": True})
    write("lab-rogue-leaf.der", rogue_leaf,
          {"provider": "vnpt", "test": True, "holderKind": "organisation", "taxCode": ORG_MST,
           "taxCodeForm": "enterprise", "identifiers": [["MST", ORG_MST]], "chainVerifies": False})

    # Bundles of the lab chain: several PEM blocks in one file, and a certs-only PKCS#7.
    chain = [lab_leaf, vnpt_ca, root]
    with open(os.path.join(HERE, "lab-chain.pem"), "wb") as f:
        f.write(b"Text before the first block is ignored.\n")
        for cert in chain:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(HERE, "lab-chain.p7b"), "wb") as f:
        f.write(pkcs7.serialize_certificates(chain, serialization.Encoding.DER))
    manifest["bundles"] = {"lab-chain.pem": [hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest()
                                             for c in chain]}
    manifest["bundles"]["lab-chain.p7b"] = manifest["bundles"]["lab-chain.pem"]

    with open(os.path.join(HERE, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")

    vectors = []
    for text in [ORG_MST, BRANCH_BASE, PERSON_ORG_MST, BUDGET_MST, NACENCOMM_BASE, GENERIC_MST, BAD_MST,
                 f"{BRANCH_BASE}-199", f"{BRANCH_BASE}-000", f"{ORG_MST}001", "0100000002", "01000000000",
                 "010123456", "01012345678"]:
        vectors.append({"text": text, "valid": mst_valid(text)})
    # Every 9-digit prefix whose weighted sum is 0 mod 11 has no valid check digit at all.
    no_digit = next(f"{n:09d}" for n in range(10_000_001, 10_100_000)
                    if sum(w * int(d) for w, d in zip(WEIGHTS, f"{n:09d}")) % 11 == 0)
    for digit in "0123456789":
        vectors.append({"text": no_digit + digit, "valid": mst_valid(no_digit + digit)})
    with open(os.path.join(HERE, "taxcodes.json"), "w") as f:
        json.dump(vectors, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
