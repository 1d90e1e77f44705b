"""The lab's TEST PKI: a root standing in for the national root, one intermediate per
provider (names exactly as in TEAM.md "Lab PKI names"), and end-entity certificates in
the Vietnamese enterprise profile issued over public keys read back from tokens.

CA keys are software keys in DIR/pki, unencrypted: this is a throwaway test PKI.
Written against cryptography >= 38 (Debian 12's python3-cryptography) as well as 48.
"""
import datetime
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _attr(oid, value):
    # C must be PrintableString (RFC 5280); everything else UTF8String so diacritics survive.
    if oid == NameOID.COUNTRY_NAME:
        return x509.NameAttribute(oid, value, _ASN1Type.PrintableString)
    return x509.NameAttribute(oid, value, _ASN1Type.UTF8String)


def name(pairs):
    """An X.509 Name from (oid, value) pairs in DER order (one attribute per RDN)."""
    return x509.Name([x509.RelativeDistinguishedName([_attr(oid, v)]) for oid, v in pairs])


C, ST, L, O, OU, CN, UID = (
    NameOID.COUNTRY_NAME, NameOID.STATE_OR_PROVINCE_NAME, NameOID.LOCALITY_NAME,
    NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.COMMON_NAME,
    NameOID.USER_ID,
)

ROOT_SUBJECT = ((C, "VN"), (O, "Kyso Lab TEST"), (CN, "Kyso TEST National Root CA"))

# DER order is the reverse of the RFC 4514 strings in TEAM.md.
PROVIDERS = {
    "vnpt": ((C, "VN"), (O, "VNPT Group"), (OU, "VNPT-CA Trust Network"),
             (CN, "VNPT Certification Authority TEST")),
    "viettel": ((C, "VN"), (L, "Hà Nội"), (O, "Viettel Group"), (CN, "Viettel-CA TEST")),
    "fpt": ((C, "VN"), (O, "FPT Corporation"), (OU, "FPT Information System"),
            (CN, "FPT Certification Authority TEST")),
    "bkav": ((C, "VN"), (L, "Hanoi"), (O, "Bkav Corporation"), (CN, "BkavCA TEST")),
}


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def rfc3339(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Authority:
    """A CA certificate with its software private key."""

    def __init__(self, key, cert):
        self.key = key
        self.cert = cert

    @classmethod
    def load(cls, pki_dir, stem):
        with open(os.path.join(pki_dir, stem + ".key"), "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        with open(os.path.join(pki_dir, stem + ".pem"), "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        return cls(key, cert)

    def save(self, pki_dir, stem):
        key_pem = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        path = os.path.join(pki_dir, stem + ".key")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key_pem)
        with open(os.path.join(pki_dir, stem + ".pem"), "wb") as f:
            f.write(self.cert.public_bytes(serialization.Encoding.PEM))


def _ski(public_key):
    return x509.SubjectKeyIdentifier.from_public_key(public_key)


def _ca_certificate(subject, key, issuer, issuer_key, path_length, years):
    now = utcnow()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(os.urandom(16), "big") >> 1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(_ski(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _new_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def create_root():
    key = _new_rsa_key()
    cert = _ca_certificate(ROOT_SUBJECT, key, name(ROOT_SUBJECT), key, path_length=1, years=20)
    return Authority(key, cert)


def create_provider_ca(provider, root):
    key = _new_rsa_key()
    cert = _ca_certificate(PROVIDERS[provider], key, root.cert.subject, root.key,
                           path_length=0, years=10)
    return Authority(key, cert)


def issue_end_entity(ca, subject_pairs, public_key_der, key_encipherment=False, valid_days=730):
    """An end-entity certificate in the Vietnamese enterprise profile over a token's key.

    `key_encipherment` adds that key usage (RSA keys only), as CAs do for certificates whose
    key may also decrypt: Kyso seals account secrets to such a token.

    Returns (certificate, not_before, not_after); the dates are returned rather than read
    back because the accessor names differ between cryptography 38 and 48.
    """
    public_key = serialization.load_der_public_key(public_key_der)
    now = utcnow()
    not_before = now - datetime.timedelta(days=1)
    not_after = now + datetime.timedelta(days=valid_days)
    # A random 16-byte serial; the top bit cleared keeps the DER INTEGER positive in 16 bytes.
    serial = int.from_bytes(os.urandom(16), "big") >> 1 or 1
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(subject_pairs))
        .issuer_name(ca.cert.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=key_encipherment,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False)
        .add_extension(_ski(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca.key.public_key()), critical=False)
    )
    return builder.sign(ca.key, hashes.SHA256()), not_before, not_after
