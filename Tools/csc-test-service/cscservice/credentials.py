"""The service's credentials: each certificate on the chosen lab tokens, with its chain from the lab PKI."""
import base64
import datetime
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from . import signer


def _generalized(moment):
    # CSC v1 prints validFrom/validTo as X.509 GeneralizedTime text, e.g. "20180101100000Z".
    return moment.strftime("%Y%m%d%H%M%SZ")


def _dates(cert):
    # cryptography 42+ has the *_utc accessors; Debian 12's 38 only the naive UTC ones.
    before = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return before, after


class Credential:
    def __init__(self, credential_id, token, entry, chain_der, conf, scratch):
        self.id = credential_id
        self.token_label = token["label"]
        self.key_type = entry["keyType"]
        self.chain_der = chain_der
        self.certificate = x509.load_der_x509_certificate(chain_der[0])
        self.tax_code = entry.get("taxCode")
        self.signer = signer.TokenSigner(conf, token["label"], entry["idHex"], token["pin"], scratch)

    def key_info(self, enabled=True):
        info = {"status": "enabled" if enabled else "disabled",
                "algo": signer.key_algorithms(self.key_type),
                "len": 256 if self.key_type.startswith("ec") else self.certificate.public_key().key_size}
        if self.key_type.startswith("ec"):
            info["curve"] = signer.P256
        return info

    def cert_info(self, certificates="single", cert_info=False, now=None):
        now = now or datetime.datetime.now(datetime.timezone.utc)
        before, after = _dates(self.certificate)
        status = "valid" if before <= now <= after else "expired"
        chosen = {"none": [], "single": self.chain_der[:1], "chain": self.chain_der}[certificates]
        info = {"status": status, "certificates": [base64.b64encode(d).decode() for d in chosen]}
        if cert_info:
            info.update({
                "issuerDN": self.certificate.issuer.rfc4514_string(),
                "serialNumber": "%X" % self.certificate.serial_number,
                "subjectDN": self.certificate.subject.rfc4514_string(),
                "validFrom": _generalized(before),
                "validTo": _generalized(after),
            })
        return info


def load(lab_dir, labels, scratch):
    """Credentials in lab token order: every certificate of each token in `labels` (all tokens when empty)."""
    with open(os.path.join(lab_dir, "lab.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    pki = manifest["pki"]
    with open(pki["root"]["cert"], "rb") as f:
        root = x509.load_pem_x509_certificate(f.read()).public_bytes(Encoding.DER)
    found = {}
    for token in manifest["tokens"]:
        if labels and token["label"] not in labels:
            continue
        for entry in token["certificates"]:
            with open(entry["path"], "rb") as f:
                leaf = f.read()
            with open(pki["providers"][entry["provider"]]["cert"], "rb") as f:
                ca = x509.load_pem_x509_certificate(f.read()).public_bytes(Encoding.DER)
            # Shaped like a remote signing provider's ids: the holder's tax code and a key number.
            credential_id = "%s-%s-%s" % (entry.get("taxCode") or "cred", token["serial"], entry["idHex"])
            found[credential_id] = Credential(credential_id, token, entry, [leaf, ca, root],
                                              manifest["softhsm2Conf"], scratch)
    missing = set(labels) - {c.token_label for c in found.values()}
    if missing:
        raise SystemExit("csc-test-service: no lab token labelled %s" % ", ".join(sorted(missing)))
    return found

