"""Signing on the lab's SoftHSM tokens through OpenSC's pkcs11-tool, as the lab itself drives them.

The service never holds a private key: each signature is one `pkcs11-tool --sign` on the token that
carries the credential's key. The token's user PIN reaches pkcs11-tool as `--pin env:VAR`, never argv.
"""
import os
import subprocess
import tempfile

MODULE = "/usr/lib/softhsm/libsofthsm2.so"

SHA256, SHA384, SHA512 = "2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.2", "2.16.840.1.101.3.4.2.3"
HASH_LENGTHS = {SHA256: 32, SHA384: 48, SHA512: 64}
# DER DigestInfo headers (RFC 8017 9.2 note 1): PKCS#1 v1.5 signs DigestInfo, the token only pads.
DIGEST_INFO = {
    SHA256: bytes.fromhex("3031300d060960864801650304020105000420"),
    SHA384: bytes.fromhex("3041300d060960864801650304020205000430"),
    SHA512: bytes.fromhex("3051300d060960864801650304020305000440"),
}

RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
# signAlgo OIDs that name their hash: the hash they imply.
RSA_WITH_HASH = {"1.2.840.113549.1.1.11": SHA256, "1.2.840.113549.1.1.12": SHA384, "1.2.840.113549.1.1.13": SHA512}
ECDSA_WITH_HASH = {"1.2.840.10045.4.3.2": SHA256, "1.2.840.10045.4.3.3": SHA384, "1.2.840.10045.4.3.4": SHA512}
P256 = "1.2.840.10045.3.1.7"


class SignAlgoError(Exception):
    """signAlgo/hashAlgo that this credential cannot use; the text is the CSC error_description."""


def key_algorithms(key_type):
    """credentials/info key.algo: the OIDs signHash accepts for this key."""
    if key_type.startswith("ec"):
        return [EC_PUBLIC_KEY] + list(ECDSA_WITH_HASH)
    return [RSA_ENCRYPTION] + list(RSA_WITH_HASH)


def resolve(key_type, sign_algo, hash_algo):
    """(mechanism, hash OID) for a signHash request, or SignAlgoError."""
    if key_type.startswith("ec"):
        implied, bare, mechanism = ECDSA_WITH_HASH, EC_PUBLIC_KEY, "ECDSA"
    else:
        implied, bare, mechanism = RSA_WITH_HASH, RSA_ENCRYPTION, "RSA-PKCS"
    if sign_algo in implied:
        if hash_algo and hash_algo != implied[sign_algo]:
            raise SignAlgoError("Invalid parameter hashAlgo")
        return mechanism, implied[sign_algo]
    if sign_algo != bare:
        raise SignAlgoError("Invalid parameter signAlgo")
    if not hash_algo:
        raise SignAlgoError("Missing (or invalid type) string parameter hashAlgo")
    if hash_algo not in HASH_LENGTHS:
        raise SignAlgoError("Invalid parameter hashAlgo")
    return mechanism, hash_algo


class TokenSigner:
    """Signs hashes with one key (CKA_ID) on one lab token (by label)."""

    def __init__(self, softhsm2_conf, token_label, key_id_hex, token_pin, scratch_dir):
        self.token_label = token_label
        self.key_id_hex = key_id_hex
        self.scratch_dir = scratch_dir
        self.env = dict(os.environ)
        self.env["SOFTHSM2_CONF"] = softhsm2_conf
        self.env["CSC_TEST_TOKEN_PIN"] = token_pin

    def sign(self, mechanism, hash_oid, digest):
        data = DIGEST_INFO[hash_oid] + digest if mechanism == "RSA-PKCS" else digest
        with tempfile.TemporaryDirectory(dir=self.scratch_dir) as folder:
            source, target = os.path.join(folder, "in"), os.path.join(folder, "out")
            with open(source, "wb") as f:
                f.write(data)
            argv = ["pkcs11-tool", "--module", MODULE, "--token-label", self.token_label, "--login",
                    "--pin", "env:CSC_TEST_TOKEN_PIN", "--sign", "--mechanism", mechanism,
                    "--id", self.key_id_hex, "--input-file", source, "--output-file", target]
            if mechanism == "ECDSA":
                argv += ["--signature-format", "openssl"]  # DER Ecdsa-Sig-Value, as CMS and X.509 carry it
            result = subprocess.run(argv, env=self.env, capture_output=True)
            if result.returncode != 0:
                raise RuntimeError("pkcs11-tool --sign failed: %s"
                                   % result.stderr.decode("utf-8", "replace").strip())
            with open(target, "rb") as f:
                return f.read()
