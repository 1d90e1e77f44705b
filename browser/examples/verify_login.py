#!/usr/bin/env python3
"""Server-side check of a Kyso authentication token (Kyso.authenticate in kyso-web.js, docs/browser.md).

    verify_login.py TOKEN.json EXPECTED_ORIGIN ISSUED_NONCE   → prints the holder's subject, exits 0; else exits 1

The key signed SHA-256(origin) ‖ SHA-256(nonce), as Web eID does: the origin is the server's own (never the one
in the token), the nonce the base64 text the server issued (≥ 32 random bytes, single use, short-lived).
Needs python3-cryptography.
"""
import base64, hashlib, json, sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding


def verify_kyso_login(token: dict, expected_origin: str, issued_nonce: str) -> x509.Certificate:
    """Raises on any failure; returns the certificate that signed in. Then check its chain to a licensed
    Vietnamese CA, its validity and revocation, and forget the nonce (single use)."""
    if token.get("format") != "kyso:1" or token.get("origin") != expected_origin:
        raise ValueError("not a Kyso token for this site")
    certificate = x509.load_der_x509_certificate(base64.b64decode(token["unverifiedCertificate"]))
    signed = hashlib.sha256(expected_origin.encode()).digest() + hashlib.sha256(issued_nonce.encode()).digest()
    signature = base64.b64decode(token["signature"])
    key = certificate.public_key()
    if token["algorithm"] == "ES256":
        key.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
    elif token["algorithm"] == "PS256":
        key.verify(signature, signed, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    elif token["algorithm"] == "RS256":
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ValueError(f"unknown algorithm {token['algorithm']}")
    return certificate


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        token = json.load(f)
    try:
        certificate = verify_kyso_login(token, sys.argv[2], sys.argv[3])
    except Exception as error:  # InvalidSignature, ValueError, malformed base64 or DER
        print(f"refused: {type(error).__name__} {error}", file=sys.stderr)
        sys.exit(1)
    print(certificate.subject.rfc4514_string())
