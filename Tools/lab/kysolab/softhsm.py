"""The lab's SoftHSM2 token store, driven through OpenSC's pkcs11-tool.

Every subprocess gets SOFTHSM2_CONF=DIR/softhsm2.conf in its own environment, so the
system's /etc/softhsm is never touched. PINs travel as `--pin env:VAR` (pkcs11-tool reads
the variable itself), so they never appear in argv; they are the documented test PINs
of a throwaway lab anyway (TEAM.md: user 123456, SO 12345678).
"""
import os
import re
import subprocess
import time

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
USER_PIN = "123456"
SO_PIN = "12345678"
# Retries for listings that transiently miss a token (see TokenStore.init_token).
ATTEMPTS = 10

_SLOT_LINE = re.compile(r"^Slot \d+ \((0x[0-9a-fA-F]+)\):")


class LabError(Exception):
    """A failure the lab reports in plain words and exits non-zero on."""


def write_config(lab_dir):
    """DIR/softhsm2.conf pointing at DIR/tokens with the file backend."""
    path = os.path.join(lab_dir, "softhsm2.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Kyso token lab: SoftHSM2 configuration for this folder only.\n")
        f.write("directories.tokendir = %s\n" % os.path.join(lab_dir, "tokens"))
        f.write("objectstore.backend = file\n")
        f.write("log.level = ERROR\n")
    return path


class TokenStore:
    """Token operations on one lab folder's SoftHSM2 store."""

    def __init__(self, lab_dir):
        self.lab_dir = lab_dir
        self.tokens_dir = os.path.join(lab_dir, "tokens")
        self.env = dict(os.environ)
        self.env["SOFTHSM2_CONF"] = os.path.join(lab_dir, "softhsm2.conf")
        self.env["KYSO_LAB_USER_PIN"] = USER_PIN
        self.env["KYSO_LAB_SO_PIN"] = SO_PIN

    def _tool(self, *args):
        argv = ["pkcs11-tool", "--module", MODULE] + list(args)
        result = subprocess.run(argv, env=self.env, capture_output=True)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).decode("utf-8", "replace").strip()
            raise LabError("pkcs11-tool %s failed: %s" % (" ".join(args[:4]), detail))
        return result.stdout.decode("utf-8", "replace")

    def slots(self):
        """[(slot_id_hex, label_or_None, serial_or_None)] as pkcs11-tool -L reports them."""
        found = []
        for line in self._tool("--list-slots").splitlines():
            match = _SLOT_LINE.match(line)
            if match:
                found.append([match.group(1), None, None])
            elif found and line.strip().startswith("token label"):
                found[-1][1] = line.split(":", 1)[1].strip()
            elif found and line.strip().startswith("serial num"):
                found[-1][2] = line.split(":", 1)[1].strip()
            elif found and "uninitialized" in line:
                found[-1][1] = found[-1][2] = None
        return [tuple(s) for s in found]

    def init_token(self, label):
        """Initialise the free slot's token with `label` and set the user PIN; returns
        (slot_id_hex, serial). Callers hold the lab lock, so no other token is being
        initialised meanwhile.

        SoftHSM's file backend can hide a token from C_GetSlotList for a moment while
        another process writes to it (seen here: 3 listings in 100 showed 6 of 7 tokens
        during concurrent key generation). The free slot's ID is its index, so a listing
        that misses a token names an ID the next process does not have; that fails with
        CKR_SLOT_ID_INVALID and never hits an existing token (their IDs come from their
        serials). Hence: take the last slot, and retry on a short listing."""
        for attempt in range(ATTEMPTS):
            slots = self.slots()
            if any(existing == label for _, existing, _ in slots):
                raise LabError("a token labelled %r already exists in %s" % (label, self.tokens_dir))
            free_slot, free_label, _ = slots[-1]
            if free_label is not None:
                raise LabError("SoftHSM2 offers no free slot in %s" % self.tokens_dir)
            try:
                self._tool("--slot", free_slot, "--init-token", "--label", label,
                           "--so-pin", "env:KYSO_LAB_SO_PIN", "--login", "--login-type", "so",
                           "--init-pin", "--new-pin", "env:KYSO_LAB_USER_PIN")
                break
            except LabError as error:
                if "CKR_SLOT_ID_INVALID" not in str(error) or attempt == ATTEMPTS - 1:
                    raise
                time.sleep(0.02 * (attempt + 1))
        for attempt in range(ATTEMPTS):
            for slot, existing, serial in self.slots():
                if existing == label:
                    return slot, serial
            time.sleep(0.02 * (attempt + 1))
        raise LabError("token %r was initialised but is not listed afterwards" % label)

    def generate_key_pair(self, slot, key_id_hex, label, key_type):
        """Generate a signing key pair ON the token; returns the public key (SPKI DER)."""
        self._tool("--slot", slot, "--pin", "env:KYSO_LAB_USER_PIN", "--keypairgen",
                   "--key-type", key_type, "--id", key_id_hex, "--label", label,
                   "--usage-sign")
        out = os.path.join(self.lab_dir, ".pub-%s-%s.der" % (slot, key_id_hex))
        try:
            self._tool("--slot", slot, "--read-object", "--type", "pubkey",
                       "--id", key_id_hex, "--output-file", out)
            with open(out, "rb") as f:
                return f.read()
        finally:
            if os.path.exists(out):
                os.remove(out)

    def write_certificate(self, slot, key_id_hex, label, der_path):
        self._tool("--slot", slot, "--pin", "env:KYSO_LAB_USER_PIN", "--write-object",
                   der_path, "--type", "cert", "--id", key_id_hex, "--label", label)

    def token_folder(self, serial):
        """The token's folder in DIR/tokens. SoftHSM names it by a UUID whose last 16 hex
        digits (dashes removed) are the token serial."""
        if os.path.isdir(self.tokens_dir):
            for entry in os.listdir(self.tokens_dir):
                if entry.replace("-", "").lower().endswith(serial.lower()):
                    return os.path.join(self.tokens_dir, entry)
        return None
