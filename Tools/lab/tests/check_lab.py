#!/usr/bin/env python3
"""Cross-checks a lab folder against the tokens themselves, independently of kysolab:
`kyso-lab list` JSON vs pkcs11-tool -L/-O, p11tool --list-all-certs and openssl.

usage: check_lab.py LIST_JSON_FILE [--expect-standard]
Prints one line per check; exits non-zero on the first failure.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def fail(message):
    print("FAIL - " + message)
    sys.exit(1)


def ok(message):
    print("ok - " + message)


def run(argv, env, data=None):
    result = subprocess.run(argv, env=env, capture_output=True, input=data)
    if result.returncode != 0:
        fail("%s: %s" % (" ".join(argv), result.stderr.decode("utf-8", "replace").strip()))
    return result.stdout


def valid_mst(code):
    """Tax-code rule written again here (not imported) so the lab's own code is checked."""
    base, _, branch = code.partition("-")
    if not re.fullmatch(r"\d{10}", base) or base[2:9] == "0000000":
        return False
    if branch and (not re.fullmatch(r"\d{3}", branch) or branch == "000"):
        return False
    remainder = sum(w * int(d) for w, d in zip(WEIGHTS, base)) % 11
    return remainder != 0 and str(10 - remainder) == base[9]


def listed_tokens(env):
    """{serial: (slot id, label)} from pkcs11-tool -L."""
    tokens, slot, label = {}, None, None
    for line in run(["pkcs11-tool", "--module", MODULE, "-L"], env).decode().splitlines():
        m = re.match(r"^Slot \d+ \((0x[0-9a-f]+)\)", line)
        if m:
            slot, label = m.group(1), None
        elif "token label" in line:
            label = line.split(":", 1)[1].strip()
        elif "serial num" in line:
            tokens[line.split(":", 1)[1].strip()] = (slot, label)
    return tokens


def check_manifest(lab, expect_standard):
    tokens = lab["tokens"]
    labels = [t["label"] for t in tokens]
    if len(set(labels)) != len(labels):
        fail("duplicate token labels: %s" % labels)
    for t in tokens:
        if len(t["label"].encode("utf-8")) > 32:
            fail("label over 32 bytes: %r" % t["label"])
        if not t.get("present"):
            fail("token %r not present on disk" % t["label"])
        for c in t["certificates"]:
            with open(c["path"], "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != c["sha256"]:
                    fail("sha256 of %s differs from list" % c["path"])
            if not re.fullmatch(r"[0-9a-f]{64}", c["sha256"]):
                fail("fingerprint not lowercase hex: %s" % c["sha256"])
            if not valid_mst(c["taxCode"]):
                fail("invalid tax code %s on %r" % (c["taxCode"], t["label"]))
            if "UID=MST:" + c["taxCode"] not in c["subject"] or not c["subject"].endswith("C=VN"):
                fail("subject %r lacks UID=MST:%s or C=VN" % (c["subject"], c["taxCode"]))
    ok("list: %d tokens, labels unique and <= 32 bytes, fingerprints match files, tax codes valid"
       % len(tokens))
    if not expect_standard:
        return
    kinds = sorted(t["kind"] for t in tokens)
    if kinds != sorted(["enterprise"] * 4 + ["ec", "two-certs", "branch", "person"]):
        fail("standard set kinds: %s" % kinds)
    if {t["provider"] for t in tokens if t["kind"] == "enterprise"} != {"vnpt", "viettel", "fpt", "bkav"}:
        fail("enterprise tokens do not cover the four providers")
    by_kind = {t["kind"]: t for t in tokens}
    if [c["idHex"] for c in by_kind["two-certs"]["certificates"]] != ["01", "02"]:
        fail("two-certs token does not hold CKA_ID 01 and 02")
    if not re.fullmatch(r"\d{10}-001", by_kind["branch"]["certificates"][0]["taxCode"]):
        fail("branch tax code is not ##########-001")
    person = by_kind["person"]["certificates"][0]
    if not re.search(r"UID=CCCD:\d{12}", person["subject"]):
        fail("person certificate lacks UID=CCCD:<12 digits>")
    if by_kind["ec"]["certificates"][0]["keyType"] != "ec-p256":
        fail("ec token is not P-256")
    ok("standard set: 4 providers, ec, two-certs (01, 02), branch -001, person with CCCD")


def check_tokens(lab, env, workdir):
    listed = listed_tokens(env)
    serials = {t["serial"] for t in lab["tokens"]}
    if set(listed) != serials:
        fail("pkcs11-tool -L serials %s != list serials %s" % (sorted(listed), sorted(serials)))
    ok("pkcs11-tool -L shows exactly the %d listed tokens" % len(serials))
    for t in lab["tokens"]:
        slot, label = listed[t["serial"]]
        if label != t["label"] or slot != t["slotIdHex"]:
            fail("token %s: -L says slot %s label %r" % (t["serial"], slot, label))
        objects = run(["pkcs11-tool", "--module", MODULE, "--slot", slot, "--pin",
                       "env:LAB_PIN", "-O"], env).decode()
        for c in t["certificates"]:
            check_key_and_cert(t, c, slot, objects, env, workdir)
    ok("every certificate is on its token with a matching, never-extractable, on-token key "
       "that signs verifiably")


def object_blocks(objects):
    return re.split(r"\n(?=\S)", objects)


def check_key_and_cert(token, cert, slot, objects, env, workdir):
    where = "%r id %s" % (token["label"], cert["idHex"])
    blocks = [b for b in object_blocks(objects) if re.search(r"ID:\s+%s\b" % cert["idHex"], b)]
    kinds = {b.split(";")[0].strip() for b in blocks}
    if {"Certificate Object", "Private Key Object", "Public Key Object"} - kinds:
        fail("%s: objects with this CKA_ID: %s" % (where, kinds))
    private = [b for b in blocks if b.startswith("Private Key Object")][0]
    if "never extractable" not in private or "local" not in private:
        fail("%s: private key was not generated on the token:\n%s" % (where, private))
    out = os.path.join(workdir, "%s-%s.der" % (token["serial"], cert["idHex"]))
    run(["pkcs11-tool", "--module", MODULE, "--slot", slot, "--read-object", "--type", "cert",
         "--id", cert["idHex"], "--output-file", out], env)
    with open(out, "rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != cert["sha256"]:
            fail("%s: certificate on the token differs from %s" % (where, cert["path"]))
    # Sign on the token, verify with the certificate's public key: key and cert belong together.
    data = os.path.join(workdir, "data")
    with open(data, "wb") as f:
        f.write(b"VNACCS lab check " + cert["sha256"].encode())
    sig = out + ".sig"
    argv = ["pkcs11-tool", "--module", MODULE, "--slot", slot, "--pin", "env:LAB_PIN", "--sign",
            "--id", cert["idHex"], "--output-file", sig]
    if cert["keyType"] == "ec-p256":
        # SoftHSM 2.6 (Debian 12) has CKM_ECDSA but not CKM_ECDSA_SHA256: sign the digest.
        digest = data + ".sha256"
        with open(data, "rb") as f, open(digest, "wb") as g:
            g.write(hashlib.sha256(f.read()).digest())
        argv += ["--mechanism", "ECDSA", "--input-file", digest, "--signature-format", "openssl"]
    else:
        argv += ["--mechanism", "SHA256-RSA-PKCS", "--input-file", data]
    run(argv, env)
    pub = out + ".pub.pem"
    with open(pub, "wb") as f:
        f.write(run(["openssl", "x509", "-inform", "DER", "-in", out, "-noout", "-pubkey"], env))
    run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig, data], env)


def check_p11tool(lab, env):
    out = run(["p11tool", "--provider", MODULE, "--list-all-certs", "pkcs11:"], env).decode()
    urls = re.findall(r"URL: (pkcs11:\S+)", out)
    expected = sum(len(t["certificates"]) for t in lab["tokens"])
    if len(urls) != expected:
        fail("p11tool lists %d certificates, list has %d" % (len(urls), expected))
    for t in lab["tokens"]:
        mine = [u for u in urls if "serial=%s;" % t["serial"] in u]
        ids = sorted(re.search(r";id=%([0-9a-fA-F]{2})", u).group(1).lower() for u in mine)
        if ids != sorted(c["idHex"] for c in t["certificates"]):
            fail("p11tool ids %s for token %r" % (ids, t["label"]))
    ok("p11tool --list-all-certs: the same %d certificates with the same CKA_IDs" % expected)


def check_chains(lab, env):
    root = lab["pki"]["root"]["cert"]
    for t in lab["tokens"]:
        for c in t["certificates"]:
            ca = lab["pki"]["providers"][c["provider"]]["cert"]
            out = run(["openssl", "verify", "-CAfile", root, "-untrusted", ca, c["pemPath"]], env)
            if not out.decode().strip().endswith(": OK"):
                fail("openssl verify %s: %s" % (c["pemPath"], out))
            issuer = run(["openssl", "x509", "-in", ca, "-noout", "-subject"], env).decode()
            if "TEST" not in issuer:
                fail("provider CA not marked TEST: %s" % issuer)
    ok("openssl verify: every certificate chains to root.pem through its provider CA")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lab = json.load(f)
    env = dict(os.environ, SOFTHSM2_CONF=lab["softhsm2Conf"], LAB_PIN=lab["userPin"])
    check_manifest(lab, "--expect-standard" in sys.argv)
    with tempfile.TemporaryDirectory() as workdir:
        check_tokens(lab, env, workdir)
    check_p11tool(lab, env)
    check_chains(lab, env)


if __name__ == "__main__":
    main()
