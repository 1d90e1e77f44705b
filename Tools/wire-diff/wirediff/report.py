"""Two transcripts side by side: what differs, request by request, and how the rest compared."""
import collections
import difflib
import json

COMPARED = ("statusLine", "headers", "body", "closed", "attachments")
MAX_DIFF_LINES = 120


def _pretty_json(text):
    try:
        return json.dumps(json.loads(text, object_pairs_hook=collections.OrderedDict), indent=1, ensure_ascii=False)
    except ValueError:
        return None


def _pretty_body(body):
    whole = _pretty_json(body)
    if whole is not None:
        return whole
    lines = []
    for line in body.split("\n"):
        if line.startswith("data: ") and _pretty_json(line[6:]) is not None:
            lines.append("data: " + _pretty_json(line[6:]))
        else:
            lines.append(line)
    return "\n".join(lines)


def render_answer(response):
    parts = [response["statusLine"]] + response["headers"] + ["", _pretty_body(response["body"])]
    if response["closed"]:
        parts.append("(kysod closed the connection)")
    for name, text in sorted(response["attachments"].items()):
        parts += ["", "--- attachment %s" % name, text]
    return "\n".join(parts)


def render_request(request):
    who = " (as uid %d)" % request["asUid"] if request["asUid"] else ""
    lines = ["%s %s%s" % (request["method"], request["path"], who)] + ["  " + h for h in request["headers"]]
    if request["body"] is not None:
        lines.append("  body: " + request["body"])
    return "\n".join(lines)


def _records(body):
    """An audit answer's records without their ids (ids shift when one record is missing), as JSON texts."""
    try:
        entries = json.loads(body)["entries"]
    except (ValueError, KeyError, TypeError):
        return None
    return [json.dumps({k: v for k, v in entry.items() if k != "id"}, sort_keys=True, ensure_ascii=False) for entry in entries]


def audit_hint(a, b):
    """For two audit answers: the records (ids aside) that only one of them holds."""
    left, right = _records(a["response"]["body"]), _records(b["response"]["body"])
    if left is None or right is None:
        return ""
    only_left = list((collections.Counter(left) - collections.Counter(right)).elements())
    only_right = list((collections.Counter(right) - collections.Counter(left)).elements())
    if not only_left and not only_right:
        return "the same records (ids aside)"
    return "records (ids aside) only in the baseline: %d%s; only in the new: %d%s" % (
        len(only_left), "".join("\n      - " + r for r in only_left), len(only_right), "".join("\n      + " + r for r in only_right))


def compare(base, new, out):
    """Writes the report to `out` (a file); returns the number of exchanges that differ."""
    differing = 0
    summary = []
    changed = collections.Counter()  # each changed line, counted once per exchange it appears in
    raw_identical = 0
    normalised_equal = collections.Counter()
    count = max(len(base["exchanges"]), len(new["exchanges"]))
    for index in range(count):
        a = base["exchanges"][index] if index < len(base["exchanges"]) else None
        b = new["exchanges"][index] if index < len(new["exchanges"]) else None
        if a is None or b is None:
            differing += 1
            present = a or b
            out.write("\n=== [%d] %s: only the %s run got this far\n%s\n" % (index + 1, present["name"], "baseline" if a else "new",
                                                                             render_request(present["request"])))
            continue
        same_request = a["request"] == b["request"]
        same_answer = all(a["response"][key] == b["response"][key] for key in COMPARED)
        if same_request and same_answer:
            if a["rawSha256"] == b["rawSha256"]:
                raw_identical += 1
            else:
                normalised_equal[", ".join(sorted(set(a["normalised"]) | set(b["normalised"])))] += 1
            continue
        differing += 1
        parts = [key for key in COMPARED if a["response"][key] != b["response"][key]]
        summary.append("  [%d] %s: %s%s" % (index + 1, a["name"], ", ".join(parts) or "request",
                                            "" if parts or same_request else " differs"))
        if "statusLine" in parts:
            summary[-1] += " (%s -> %s)" % (a["response"]["statusLine"], b["response"]["statusLine"])
        hint = audit_hint(a, b) if a["request"]["path"].startswith("/v1/audit") else ""
        if hint:
            summary[-1] += "; " + hint
        out.write("\n=== [%d] %s\n" % (index + 1, a["name"]))
        if same_request:
            out.write(render_request(a["request"]) + "\n")
        else:
            out.write("the requests differ (an earlier answer changed what was sent):\n--- baseline\n%s\n+++ new\n%s\n"
                      % (render_request(a["request"]), render_request(b["request"])))
        left, right = render_answer(a["response"]).splitlines(), render_answer(b["response"]).splitlines()
        lines = list(difflib.unified_diff(left, right, "baseline", "new", n=3, lineterm=""))
        changed.update({line[0] + " " + line[1:].strip() for line in lines[2:] if line[:1] in "-+"})
        if len(lines) > MAX_DIFF_LINES:
            lines = lines[:MAX_DIFF_LINES] + ["... %d more lines (the transcripts baseline.json and new.json hold both answers)"
                                              % (len(lines) - MAX_DIFF_LINES)]
        out.write("\n".join(lines) + "\n")
    for label, run in (("baseline", base), ("new", new)):
        if run.get("error"):
            out.write("\n!!! the %s run stopped early: %s\n" % (label, run["error"]))
    out.write("\n%d exchanges: %d byte for byte identical, %d equal after normalisation, %d different\n"
              % (count, raw_identical, sum(normalised_equal.values()), differing))
    for rules, n in sorted(normalised_equal.items()):
        out.write("  %3d equal after normalising: %s\n" % (n, rules))
    if summary:
        out.write("what differs:\n" + "\n".join(summary) + "\n")
    common = [(n, line) for line, n in changed.most_common(12) if n > 1]
    if common:
        out.write("changed lines found in more than one answer (exchanges: line):\n")
        out.write("".join("  %4d: %s\n" % (n, line[:160]) for n, line in common))
    return differing + (1 if base.get("error") or new.get("error") else 0)
