"""What may differ between two honest runs, and nothing else, replaced by a stable placeholder.

Every rule is named; the transcript lists, per answer, the rules that changed it, so a reader can see that
an answer compared equal only because of, say, `time-now`. Everything not covered by a rule is compared
byte for byte (status line, header lines in order and spelling, body).

- time-now: an RFC 3339 time within this run's window (daemon start - 5 s ... last answer + 5 s) becomes
  <now>: startedAt, insertedAt, event and audit times, createdAt, a statement's issuedAt. Times outside the
  window (certificate validity, made when the lab was) are compared as they are.
- uptime: the value of "uptimeSeconds".
- pid: a "pid" that is this harness's (or its uid-65534 child's) becomes <client-pid>, one of kysod's child
  processes (a module host) <host-pid>; any other pid is left alone, so it shows up as a difference.
- nonce: a registration statement's 32 random bytes ("nonce", inside the statement and its text).
- alias: values the run itself made and the harness can name (a statement's base64 and SHA-256, a
  registration signature's base64) become their names, so a later request, audit record or CMS
  messageDigest that carries them compares equal when it carries the same thing.
- unreturned-statement: the dataSha256 of a "register" audit record that no alias names: a registration
  refused after its statement was built (a wrong PIN) audits the statement's hash, and the statement, with
  its time, never reaches the client, so no run can name it.
- statement: a registration's "statement" (base64) is decoded and compared as text under the rules above.
- cms: a CMS signature is compared as its DER outline, without signing time and signature value (der.py).
- random-signature: a raw rsa-pss-sha256 or ecdsa-sha256 signature (random by design) becomes its length
  (PSS) or <ecdsa-signature>; rsa-pkcs1-sha256 raw signatures are deterministic and compared as they are.
- durations: kysod_request_duration_seconds _bucket and _sum values in /metrics (_count is kept).
- metrics-order: /metrics families, and the samples within a family, sorted: swift-prometheus keeps them in
  Swift dictionaries, whose order changes from process to process (per-process hash seed). HELP and TYPE
  lines stay with their family, and every line is still compared.
- content-length: rewritten to <n> only when the body was normalised, after checking it was the real length.
"""
import base64
import binascii
import calendar
import hashlib
import json
import re
import time

from . import der

REGISTRATION_CONTEXT = b"kyso-registration-v1\x00"
TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z")
UPTIME = re.compile(r'("uptimeSeconds":)([0-9.eE+-]+)')
PID = re.compile(r'("pid":)(\d+)')
NONCE = re.compile(r'(\\*"nonce\\*":\\*")([A-Za-z0-9+/=\\]+?)(\\*")')
REGISTER_RECORD = re.compile(r'\{[^{}]*"action":"register"[^{}]*\}')
UNNAMED_HASH = re.compile(r'("dataSha256":")[0-9a-f]{64}(")')
DURATION = re.compile(r"^(kysod_request_duration_seconds_(?:bucket|sum)(?:\{[^}]*\})?) (\S+)$", re.M)


class Run:
    """Per-run state: the time window, the values to alias, the pids that are ours."""

    def __init__(self):
        self.start = time.time()
        self.end = None
        self.aliases = {}
        self.client_pids = set()
        self.host_pids = set()
        self.statements = 0

    def alias(self, value, name):
        if value and value not in self.aliases:
            self.aliases[value] = name

    def alias_statement(self, statement, name):
        """A statement's base64 and hashes (plain, and after the registration context) get `name`."""
        self.alias(base64.b64encode(statement).decode(), "<%s>" % name)
        self.alias(hashlib.sha256(statement).hexdigest(), "<sha256(%s)>" % name)
        self.alias(hashlib.sha256(REGISTRATION_CONTEXT + statement).hexdigest(), "<sha256(context+%s)>" % name)

    def remember_statement(self, statement, signature_b64):
        """A registration's statement and signature get names, in order."""
        self.statements += 1
        k = self.statements
        self.alias_statement(statement, "statement#%d" % k)
        self.alias(signature_b64, "<registration-signature#%d>" % k)
        return k

    def in_window(self, match):
        try:
            moment = calendar.timegm(tuple(int(g) for g in match.groups()[:6]) + (0, 0, 0))
        except (ValueError, OverflowError):
            return False
        end = self.end or time.time()
        return self.start - 5 <= moment <= end + 5


def _apply(rules, name, pattern, replacement, text):
    new = pattern.sub(replacement, text)
    if new != text:
        rules.add(name)
    return new


def normalise_text(run, text, rules):
    """The rules that apply to any JSON or SSE text."""
    text = _apply(rules, "time-now", TIME, lambda m: "<now>" if run.in_window(m) else m.group(0), text)
    text = _apply(rules, "uptime", UPTIME, lambda m: m.group(1) + '"<uptime>"', text)

    def pid(match):
        value = int(match.group(2))
        if value in run.client_pids:
            return match.group(1) + '"<client-pid>"'
        if value in run.host_pids:
            return match.group(1) + '"<host-pid>"'
        return match.group(0)
    text = _apply(rules, "pid", PID, pid, text)
    text = _apply(rules, "nonce", NONCE, lambda m: m.group(1) + "<nonce>" + m.group(3), text)
    for value in sorted(run.aliases, key=len, reverse=True):
        for spelling in (value, value.replace("/", "\\/")):
            if spelling in text:
                text = text.replace(spelling, run.aliases[value])
                rules.add("alias")
    return _apply(rules, "unreturned-statement", REGISTER_RECORD,
                  lambda m: UNNAMED_HASH.sub(lambda h: h.group(1) + "<sha256 of a statement never returned>" + h.group(2), m.group(0)),
                  text)


def _json_string_field(name):
    return re.compile(r'("%s":")((?:[^"\\]|\\.)*)(")' % re.escape(name))


def _unescape(value):
    return json.loads('"%s"' % value)


def cms_outline(run, b64):
    data = base64.b64decode(b64)
    aliases = {}
    for value, name in run.aliases.items():
        if re.fullmatch(r"[0-9a-f]{64}", value):
            aliases[value] = name
    try:
        return der.outline(data, aliases)
    except der.DERError as failure:
        return "<not DER: %s> %s" % (failure, binascii.hexlify(data).decode())


def normalise_body(run, text, kind, rules, attachments, hints):
    """Normalises one answer's body text; `kind` is json, events, metrics or text; `hints` says what the
    request was (sign mechanism and output, or a registration)."""
    if kind == "metrics":
        text = _apply(rules, "durations", DURATION, lambda m: m.group(1) + " <n>", text)
        ordered = sort_metrics(text)
        if ordered != text:
            rules.add("metrics-order")
        return ordered
    if hints.get("registration") and '"statement":"' in text:
        # Name the statement first, so its hashes and base64 are aliased everywhere after.
        statement = _unescape(_json_string_field("statement").search(text).group(2))
        signature = _unescape(_json_string_field("signature").search(text).group(2))
        k = run.remember_statement(base64.b64decode(statement), signature)
        attachments["statement#%d" % k] = normalise_text(run, base64.b64decode(statement).decode("utf-8", "replace"), rules)
        attachments["registration-signature#%d (CMS outline)" % k] = cms_outline(run, signature)
        rules.update({"statement", "cms"})
    elif hints.get("sign") and '"signature":"' in text:
        field = _json_string_field("signature")
        value = _unescape(field.search(text).group(2))
        mechanism, output = hints["sign"]
        if output == "cms":
            attachments["signature (CMS outline)"] = cms_outline(run, value)
            text = field.sub(lambda m: m.group(1) + "<cms>" + m.group(3), text)
            rules.add("cms")
        elif mechanism == "rsa-pss-sha256":
            text = field.sub(lambda m: m.group(1) + "<pss-signature, %d bytes>" % len(base64.b64decode(value)) + m.group(3), text)
            rules.add("random-signature")
        elif mechanism == "ecdsa-sha256":
            text = field.sub(lambda m: m.group(1) + "<ecdsa-signature>" + m.group(3), text)
            rules.add("random-signature")
    return normalise_text(run, text, rules)


def sort_metrics(text):
    """The exposition text with families sorted by name and samples sorted within each family."""
    families, current, blank = [], None, []
    for line in text.split("\n"):
        if not line:
            blank.append(line)  # the final newline (and any empty line) go to the end
            continue
        if line.startswith("# HELP ") or (line.startswith("# TYPE ") and (current is None or current["samples"])):
            current = {"name": line.split(" ")[2], "comments": [], "samples": []}
            families.append(current)
        if current is None:
            current = {"name": "", "comments": [], "samples": []}
            families.append(current)
        (current["comments"] if line.startswith("#") else current["samples"]).append(line)
    families.sort(key=lambda family: family["name"])
    lines = []
    for family in families:
        lines += family["comments"] + sorted(family["samples"])
    return "\n".join(lines + blank)
