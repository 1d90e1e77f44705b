"""Token kinds and how one lab token is made: key pairs generated on the token, a
certificate per key issued by a provider CA over the public key read back from the
token, written back to the token under the same CKA_ID."""
import hashlib
import os
import secrets
import shutil

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import identities, pki
from .softhsm import LabError

KINDS = ("enterprise", "branch", "person", "ec", "two-certs")
PROVIDER_ORDER = ("vnpt", "viettel", "fpt", "bkav")
PROVIDER_SHORT = {"vnpt": "VNPT-CA", "viettel": "Viettel-CA", "fpt": "FPT-CA", "bkav": "BkavCA"}
RSA = "rsa:2048"
EC = "EC:prime256v1"
MAX_LABEL_BYTES = 32  # CK_TOKEN_INFO.label is 32 bytes, blank padded

# (organisation, tax-code province prefix, locality). CN stays under X.509's 64 characters.
COMPANIES = (
    ("CÔNG TY CỔ PHẦN THƯƠNG MẠI VIỆT Á", "01", "Quận Cầu Giấy"),
    ("CÔNG TY TNHH XUẤT NHẬP KHẨU HẢI ĐĂNG", "02", "Quận Ngô Quyền"),
    ("CÔNG TY TNHH VẬN TẢI SÀI GÒN XANH", "03", "Quận 7"),
    ("CÔNG TY CỔ PHẦN THỦY SẢN BIỂN ĐÔNG", "04", "Quận Hải Châu"),
    ("CÔNG TY TNHH DỆT MAY PHƯƠNG ĐÔNG", "01", "Quận Long Biên"),
    ("CÔNG TY CỔ PHẦN LOGISTICS ĐẠI DƯƠNG", "03", "Quận 1"),
)

# (name, female, birth year)
PEOPLE = (
    ("NGUYỄN THỊ HỒNG NHUNG", True, 1992),
    ("TRẦN VĂN ĐỨC", False, 1985),
    ("LÊ HOÀNG PHƯƠNG ANH", True, 2001),
    ("PHẠM QUỐC HƯNG", False, 1978),
)


class Business:
    """The organisation a token belongs to; tokens of one business share its tax code."""

    def __init__(self, company_index=None, tax_code=None):
        if company_index is None:
            company_index = secrets.randbelow(len(COMPANIES))
        self.organisation, self.province_code, self.locality = COMPANIES[company_index]
        self.province = dict(identities.PROVINCES)[self.province_code]
        self.tax_code = tax_code or identities.random_mst(self.province_code)

    def base_subject(self):
        return [(pki.C, "VN"), (pki.ST, self.province), (pki.L, self.locality),
                (pki.O, self.organisation)]


def enterprise_subject(business):
    return business.base_subject() + [(pki.CN, business.organisation),
                                      (pki.UID, "MST:" + business.tax_code)]


def branch_subject(business, branch_number):
    tax_code = "%s-%03d" % (business.tax_code, branch_number)
    return business.base_subject() + [(pki.CN, branch_common_name(business)),
                                      (pki.UID, "MST:" + tax_code)]


def branch_common_name(business):
    """`CHI NHÁNH <PROVINCE> - <organisation>`, shortened to X.509's 64-unit bound for CN
    (cryptography 48 counts UTF-8 bytes there, so the lab stays within 64 bytes)."""
    organisation = business.organisation
    for legal_form in ("CÔNG TY CỔ PHẦN ", "CÔNG TY TNHH "):
        candidate = "CHI NHÁNH %s - %s" % (business.province.upper(), organisation)
        if len(candidate.encode("utf-8")) <= 64:
            return candidate
        organisation = organisation.replace(legal_form, "")
    candidate = "CHI NHÁNH %s - %s" % (business.province.upper(), organisation)
    while len(candidate.encode("utf-8")) > 64:
        candidate = candidate[:-1]
    return candidate.rstrip()


def person_subject(business, person_index=None):
    if person_index is None:
        person_index = secrets.randbelow(len(PEOPLE))
    person, female, birth_year = PEOPLE[person_index]
    cccd = identities.random_cccd(business.province_code, female, birth_year)
    return business.base_subject() + [(pki.CN, person), (pki.UID, "CCCD:" + cccd),
                                      (pki.UID, "MST:" + business.tax_code)]


class TokenSpec:
    """What to put on one token: (CKA_ID hex, key type, provider, subject pairs) per key."""

    def __init__(self, label, kind, provider, keys, valid_days=730):
        self.label, self.kind, self.provider, self.keys = label, kind, provider, keys
        self.valid_days = valid_days


def renewal_plan(label, old_certificate_der, provider):
    """A token whose certificate renews `old_certificate_der`: the same subject (holder and tax code), a new key,
    and a validity reaching a year past the usual two, so it ends after the certificate it renews."""
    check_label(label)
    old = x509.load_der_x509_certificate(old_certificate_der)
    pairs = [(attribute.oid, attribute.value) for rdn in old.subject.rdns for attribute in rdn]
    return TokenSpec(label, "enterprise", provider, [("01", RSA, provider, pairs)], valid_days=365 * 3)


def check_label(label):
    size = len(label.encode("utf-8"))
    if not label or size > MAX_LABEL_BYTES or label != label.strip():
        raise LabError("token label %r must be 1-%d bytes of UTF-8 without outer spaces (it is %d)"
                       % (label, MAX_LABEL_BYTES, size))


def plan(label, kind, provider, business=None, person_index=None, branch_number=None):
    """The TokenSpec for a token of `kind` whose (first) certificate comes from `provider`."""
    check_label(label)
    if kind not in KINDS:
        raise LabError("unknown kind %r (one of: %s)" % (kind, ", ".join(KINDS)))
    if provider not in pki.PROVIDERS:
        raise LabError("unknown provider %r (one of: %s)" % (provider, ", ".join(PROVIDER_ORDER)))
    business = business or Business()
    if kind == "enterprise":
        keys = [("01", RSA, provider, enterprise_subject(business))]
    elif kind == "ec":
        keys = [("01", EC, provider, enterprise_subject(business))]
    elif kind == "branch":
        number = branch_number or 1 + secrets.randbelow(999)
        keys = [("01", RSA, provider, branch_subject(business, number))]
    elif kind == "person":
        keys = [("01", RSA, provider, person_subject(business, person_index))]
    else:  # two-certs: the same business with a second certificate from the next provider
        other = PROVIDER_ORDER[(PROVIDER_ORDER.index(provider) + 1) % len(PROVIDER_ORDER)]
        subject = enterprise_subject(business)
        keys = [("01", RSA, provider, subject), ("02", RSA, other, subject)]
    return TokenSpec(label, kind, provider, keys)


def _uids(subject_pairs):
    return [value for oid, value in subject_pairs if oid == pki.UID]


def _tax_code(uids):
    for uid in uids:
        if uid.startswith("MST:"):
            return uid[4:]
    return None


def create(store, layout, spec, authorities):
    """Make the token described by `spec`; returns its manifest entry.

    `authorities` maps provider -> pki.Authority (or a callable returning that mapping,
    so key generation on the token can overlap with CA creation)."""
    with layout.locked():
        slot, serial = store.init_token(spec.label)
    try:
        return _fill(store, layout, spec, authorities, slot, serial)
    except BaseException:
        # A half-made token must not linger outside the manifest: remove its folder.
        folder = store.token_folder(serial)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _fill(store, layout, spec, authorities, slot, serial):
    certificates = []
    for id_hex, key_type, provider, subject in spec.keys:
        uids = _uids(subject)
        object_label = "%s %s" % (PROVIDER_SHORT[provider], _tax_code(uids))
        public_key_der = store.generate_key_pair(slot, id_hex, object_label, key_type)
        cas = authorities() if callable(authorities) else authorities
        # The lab's Viettel RSA certificates allow key encipherment, so token-sealed secrets have a lab token.
        encipherment = provider == "viettel" and key_type.startswith("rsa")
        cert, not_before, not_after = pki.issue_end_entity(cas[provider], subject, public_key_der, encipherment,
                                                           spec.valid_days)
        der = cert.public_bytes(serialization.Encoding.DER)
        stem = os.path.join(layout.certs, "%s-%s" % (serial, id_hex))
        with open(stem + ".der", "wb") as f:
            f.write(der)
        with open(stem + ".pem", "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        store.write_certificate(slot, id_hex, object_label, stem + ".der")
        certificates.append({
            "idHex": id_hex,
            "label": object_label,
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "provider": provider,
            "taxCode": _tax_code(uids),
            "uids": uids,
            "keyType": "rsa-2048" if key_type == RSA else "ec-p256",
            "serialNumberHex": "%x" % cert.serial_number,
            "notBefore": pki.rfc3339(not_before),
            "notAfter": pki.rfc3339(not_after),
            "sha256": hashlib.sha256(der).hexdigest(),
            "path": stem + ".der",
            "pemPath": stem + ".pem",
        })
    folder = store.token_folder(serial)
    return {
        "label": spec.label,
        "serial": serial,
        "slotIdHex": slot,
        "pin": store.env["KYSO_LAB_USER_PIN"],
        "soPin": store.env["KYSO_LAB_SO_PIN"],
        "kind": spec.kind,
        "provider": spec.provider,
        "folder": folder,
        "certificates": certificates,
    }
