"""`kyso-lab` commands: init, add-token, remove-token, list, env (contract: TEAM.md)."""
import argparse
import concurrent.futures
import json
import os
import shlex
import shutil
import sys
import threading

from . import pki, tokens
from .labdir import Layout
from .softhsm import MODULE, SO_PIN, USER_PIN, LabError, TokenStore, write_config

# SoftHSM key generation is CPU-bound in each pkcs11-tool process; one more worker than
# cores keeps a core busy while another worker waits on process start-up or the lock.
WORKERS = int(os.environ.get("KYSO_LAB_WORKERS", "0")) or (os.cpu_count() or 2) + 1


def standard_set():
    """The token set `init` creates. Việt Á (company 0) owns three tokens that share its
    tax code: an enterprise token, a branch token and a person-in-organisation token."""
    viet_a = tokens.Business(company_index=0)
    return [
        tokens.plan("kyso-vnpt", "enterprise", "vnpt", viet_a),
        tokens.plan("kyso-viettel", "enterprise", "viettel", tokens.Business(1)),
        tokens.plan("kyso-fpt", "enterprise", "fpt", tokens.Business(2)),
        tokens.plan("kyso-bkav", "enterprise", "bkav", tokens.Business(3)),
        tokens.plan("kyso-ec-p256", "ec", "viettel", tokens.Business(4)),
        tokens.plan("kyso-two-certs", "two-certs", "vnpt", tokens.Business(5)),
        tokens.plan("kyso-branch", "branch", "viettel", viet_a, branch_number=1),
        # A non-ASCII token label on purpose: real tokens carry UTF-8 labels too.
        tokens.plan("Nhung Việt Á", "person", "fpt", viet_a, person_index=0),
    ]


def extra_specs(count, prefix, kind, provider=None):
    specs = []
    for i in range(count):
        chosen = provider or tokens.PROVIDER_ORDER[i % len(tokens.PROVIDER_ORDER)]
        specs.append(tokens.plan("%s-%02d" % (prefix, i + 1), kind, chosen))
    return specs


def _create_all(store, layout, specs, authorities, record):
    """Create tokens in parallel; `record(entry)` runs as each finishes. Raises the first error."""
    errors = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(tokens.create, store, layout, spec, authorities) for spec in specs]
        for spec, future in zip(specs, futures):
            try:
                record(future.result())
            except Exception as error:  # report every failed token, not just the first
                errors.append("token %r: %s" % (spec.label, error))
    if errors:
        raise LabError("; ".join(errors))


def _new_manifest(layout, root, cas):
    return {
        "version": 1,
        "dir": layout.dir,
        "softhsm2Conf": layout.conf,
        "module": MODULE,
        "userPin": USER_PIN,
        "soPin": SO_PIN,
        "pki": {
            "root": {"subject": root.cert.subject.rfc4514_string(),
                     "cert": os.path.join(layout.pki, "root.pem"),
                     "key": os.path.join(layout.pki, "root.key")},
            "providers": {
                p: {"subject": cas[p].cert.subject.rfc4514_string(),
                    "cert": os.path.join(layout.pki, "%s-ca.pem" % p),
                    "key": os.path.join(layout.pki, "%s-ca.key" % p)}
                for p in tokens.PROVIDER_ORDER},
        },
        "tokens": [],
    }


def cmd_init(args):
    layout = Layout(args.dir)
    existing = layout.existing_own_entries() if os.path.isdir(layout.dir) else []
    if existing and not args.force:
        raise LabError("%s already holds a lab (%s); use --force to replace it"
                       % (layout.dir, ", ".join(existing)))
    specs = standard_set() + extra_specs(args.extra, "kyso-extra", "enterprise")
    os.makedirs(layout.dir, exist_ok=True)
    # --force removes only the lab's own entries, never anything else in DIR.
    for entry in existing:
        path = os.path.join(layout.dir, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    for folder in (layout.tokens, layout.pki, layout.certs):
        os.makedirs(folder)
    write_config(layout.dir)
    store = TokenStore(layout.dir)

    # The CAs are made on their own thread while the first tokens generate keys.
    made = {}

    def make_pki():
        root = pki.create_root()
        root.save(layout.pki, "root")
        cas = {}
        for provider in tokens.PROVIDER_ORDER:
            cas[provider] = pki.create_provider_ca(provider, root)
            cas[provider].save(layout.pki, "%s-ca" % provider)
        made["root"], made["cas"] = root, cas

    pki_thread = threading.Thread(target=make_pki)
    pki_thread.start()
    ready = threading.Lock()

    def authorities():
        with ready:
            pki_thread.join()
        if "cas" not in made:
            raise LabError("creating the TEST PKI failed")
        return made["cas"]

    entries = []
    _create_all(store, layout, specs, authorities, entries.append)
    pki_thread.join()
    manifest = _new_manifest(layout, made["root"], made["cas"])
    manifest["tokens"] = entries
    with layout.locked():
        layout.write_manifest(manifest)


def _open_lab(lab_dir):
    layout = Layout(lab_dir)
    if not os.path.isfile(layout.manifest):
        raise LabError("%s is not a kyso lab (no lab.json); run `kyso-lab init %s` first"
                       % (layout.dir, lab_dir))
    return layout


def cmd_add_token(args):
    layout = _open_lab(args.dir)
    if args.count < 1:
        raise LabError("--count must be at least 1")
    if args.renewal_of:
        old = [t for t in layout.read_manifest()["tokens"] if t["label"] == args.renewal_of]
        if not old or not old[0]["certificates"]:
            raise LabError("no token %r with a certificate in the lab" % args.renewal_of)
        with open(old[0]["certificates"][0]["path"], "rb") as f:
            specs = [tokens.renewal_plan(args.label, f.read(), args.provider or old[0]["provider"])]
    elif args.count == 1:
        specs = [tokens.plan(args.label, args.kind, args.provider or "vnpt")]
    else:
        specs = extra_specs(args.count, args.label, args.kind, args.provider)
    if args.valid_days is not None:
        if args.valid_days < 0:
            raise LabError("--valid-days must be 0 or more")
        for spec in specs:
            spec.valid_days = args.valid_days
    labels = [spec.label for spec in specs]
    known = {t["label"] for t in layout.read_manifest()["tokens"]}
    clash = [label for label in labels if label in known]
    if clash:
        raise LabError("token label(s) already in the lab: %s" % ", ".join(clash))
    cas = {p: pki.Authority.load(layout.pki, "%s-ca" % p) for p in tokens.PROVIDER_ORDER}
    store = TokenStore(layout.dir)

    def record(entry):
        with layout.locked():
            manifest = layout.read_manifest()
            manifest["tokens"].append(entry)
            layout.write_manifest(manifest)

    _create_all(store, layout, specs, cas, record)


def cmd_remove_token(args):
    layout = _open_lab(args.dir)
    with layout.locked():
        manifest = layout.read_manifest()
        matches = [t for t in manifest["tokens"] if t["label"] == args.label]
        if not matches:
            raise LabError("no token labelled %r in %s" % (args.label, layout.dir))
        token = matches[0]
        folder = TokenStore(layout.dir).token_folder(token["serial"])
        if folder:
            shutil.rmtree(folder)
        for cert in token["certificates"]:
            for path in (cert["path"], cert["pemPath"]):
                if os.path.exists(path):
                    os.remove(path)
        manifest["tokens"].remove(token)
        layout.write_manifest(manifest)


def cmd_list(args):
    layout = _open_lab(args.dir)
    with layout.locked():
        manifest = layout.read_manifest()
    store = TokenStore(layout.dir)
    for token in manifest["tokens"]:
        # Live check: a folder removed behind the lab's back shows as not present.
        token["present"] = store.token_folder(token["serial"]) is not None
    json.dump(manifest, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def cmd_env(args):
    layout = _open_lab(args.dir)
    print("export SOFTHSM2_CONF=%s" % shlex.quote(layout.conf))


def parser():
    top = argparse.ArgumentParser(
        prog="kyso-lab",
        description="SoftHSM2 token lab with a Vietnamese-shaped TEST PKI (test PINs only).")
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create DIR with the TEST PKI and the standard token set")
    p.add_argument("dir")
    p.add_argument("--force", action="store_true", help="replace an existing lab in DIR")
    p.add_argument("--extra", type=int, default=0, metavar="N",
                   help="also create N enterprise tokens kyso-extra-01.. (benchmarks)")
    p.set_defaults(run=cmd_init)

    p = sub.add_parser("add-token", help="add a token (also while tests run)")
    p.add_argument("dir")
    p.add_argument("--label", required=True,
                   help="token label (<= 32 bytes UTF-8); with --count N: LABEL-01..LABEL-N")
    p.add_argument("--provider", choices=tokens.PROVIDER_ORDER,
                   help="issuing CA (default vnpt; with --count, rotates when omitted)")
    p.add_argument("--kind", choices=tokens.KINDS, default="enterprise")
    p.add_argument("--count", type=int, default=1, metavar="N")
    p.add_argument("--renewal-of", metavar="LABEL",
                   help="a renewed certificate of LABEL's first one: same holder and tax code, new key, ends later")
    p.add_argument("--valid-days", type=int, metavar="N",
                   help="the certificates end N days from now (default 730, renewals 1095; 0: they end now, expired when used)")
    p.set_defaults(run=cmd_add_token)

    p = sub.add_parser("remove-token", help="delete a token's folder from DIR/tokens")
    p.add_argument("dir")
    p.add_argument("label")
    p.set_defaults(run=cmd_remove_token)

    p = sub.add_parser("list", help="print the lab as JSON")
    p.add_argument("dir")
    p.set_defaults(run=cmd_list)

    p = sub.add_parser("env", help="print the SOFTHSM2_CONF export line")
    p.add_argument("dir")
    p.set_defaults(run=cmd_env)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    if getattr(args, "extra", 0) < 0:
        print("kyso-lab: --extra must not be negative", file=sys.stderr)
        return 2
    try:
        args.run(args)
    except (LabError, OSError) as error:
        print("kyso-lab: %s" % error, file=sys.stderr)
        return 1
    return 0
