"""wire-diff BASELINE_KYSOD NEW_KYSOD: run the scripted conversation against each and compare."""
import argparse
import json
import os
import sys
import tempfile
import time
import traceback

from . import daemon, normalise, report, scenario, scenario_accounts, transcript


def one_run(label, binary, labs, work):
    """The conversation with one kysod: on a copy of the lab, then restarted on its state with a copy of the
    renewed lab. `labs` is ((template, manifest), (renewed template, its manifest))."""
    (template, lab), (renewed, renewed_lab) = labs
    folder = os.path.join(work, label)
    os.makedirs(folder)
    os.chmod(folder, 0o755)
    conf = daemon.copy_lab(template, os.path.join(folder, "lab"))
    run = normalise.Run()
    try:
        kysod = daemon.Daemon(binary, os.path.join(folder, "kysod"), conf)
    except (daemon.HarnessError, OSError) as failure:
        print("%s: %s did not start: %s" % (label, binary, failure), file=sys.stderr)
        return {"binary": binary, "exchanges": [], "error": "kysod did not start: %s" % failure, "exitStatus": []}
    session = transcript.Session(run, kysod)
    result = {"binary": binary, "exchanges": session.exchanges, "error": None, "exitStatus": []}

    def restart():
        result["exitStatus"].append(session.daemon.stop())
        again = daemon.copy_lab(renewed, os.path.join(folder, "lab-renewed"))
        session.daemon = daemon.Daemon(binary, os.path.join(folder, "kysod"), again, name="kysod-restarted")
    try:
        scenario.run(session, lab)
        scenario_accounts.after_restart(session, restart, renewed_lab)
    except Exception:  # an answer the script could not use: keep what was recorded and say where it stopped
        result["error"] = traceback.format_exc(limit=3)
    finally:
        run.end = time.time()
        result["exitStatus"].append(session.daemon.stop())
        status = result["exitStatus"]
        result["log"] = session.daemon.log_path
    print("%s: %d exchanges with %s, exit %s%s" % (label, len(session.exchanges), binary, status,
                                                   " (stopped early)" if result["error"] else ""), file=sys.stderr)
    return result


def main(argv=None):
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    parser = argparse.ArgumentParser(prog="wire-diff", description=__doc__)
    parser.add_argument("baseline", help="the baseline kysod (kyso-module-host beside it)")
    parser.add_argument("new", help="the kysod to compare (kyso-module-host beside it)")
    parser.add_argument("--lab", help="an existing lab made by `kyso-lab init DIR --extra 1` (default: make one)")
    parser.add_argument("--repository", default=os.path.dirname(os.path.dirname(here)),
                        help="the checkout whose Tools/kyso-lab makes the lab (default: this one)")
    parser.add_argument("--work", help="folder for labs, state, logs and transcripts (default: a new one in /tmp)")
    parser.add_argument("--report", help="also write the report to this file")
    parser.add_argument("--compare", action="store_true",
                        help="BASELINE and NEW are transcripts (baseline.json, new.json) from an earlier run: only compare them")
    args = parser.parse_args(argv)
    if args.compare:
        runs = {}
        for label, path in (("baseline", args.baseline), ("new", args.new)):
            with open(path) as source:
                runs[label] = json.load(source)
        return _report(runs, args.report)

    work = args.work or tempfile.mkdtemp(prefix="kyso-wire-diff-")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)
    template = args.lab or os.path.join(work, "lab-template")
    lab = daemon.manifest(args.repository, template) if args.lab else daemon.make_lab(args.repository, template)
    if not any(t["label"] == "kyso-extra-01" for t in lab["tokens"]):
        parser.error("the lab has no kyso-extra-01 (make it with `kyso-lab init DIR --extra 1`)")
    renewed = daemon.renewed_lab(args.repository, template, os.path.join(work, "lab-renewed"))
    labs = ((template, lab), (renewed, daemon.manifest(args.repository, renewed)))
    runs = {}
    for label, binary in (("baseline", args.baseline), ("new", args.new)):
        runs[label] = one_run(label, os.path.abspath(binary), labs, work)
        with open(os.path.join(work, label + ".json"), "w") as out:
            json.dump(runs[label], out, indent=1, ensure_ascii=False)
    print("transcripts, logs and labs in %s" % work, file=sys.stderr)
    return _report(runs, args.report)


def _report(runs, report_path):
    streams = [sys.stdout]
    if report_path:
        streams.append(open(report_path, "w"))

    class Tee:
        def write(self, text):
            for stream in streams:
                stream.write(text)
    differing = report.compare(runs["baseline"], runs["new"], Tee())
    for stream in streams[1:]:
        stream.close()
    return 1 if differing else 0
