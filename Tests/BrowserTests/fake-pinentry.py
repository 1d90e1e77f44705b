#!/usr/bin/env python3
"""A scripted pinentry for the browser tests: speaks Assuan like GnuPG's pinentry programs.

FAKE_PINENTRY_DIR holds `answers`, one line per dialog, consumed in order:
  confirm        CONFIRM answers OK (GETPIN would return an empty PIN)
  cancel         the person pressed Cancel (ERR 83886179)
  pin TEXT       GETPIN returns TEXT (CONFIRM answers OK)
and gets `dialogs.jsonl`: one JSON line per dialog with what it was told to show (unescaped) and how it ended.
With no answer left the dialog is cancelled, so an unexpected extra dialog shows up in the log as one.
"""
import fcntl, json, os, sys

folder = os.environ["FAKE_PINENTRY_DIR"]

def unescape(text):
    out, i = bytearray(), 0
    raw = text.encode()
    while i < len(raw):
        if raw[i] == 0x25:
            out.append(int(raw[i + 1:i + 3], 16)); i += 3
        else:
            out.append(raw[i]); i += 1
    return out.decode()

def escape(text):
    return "".join("%%%02X" % ord(c) if c in "%\r\n" else c for c in text)

def next_answer():
    with open(os.path.join(folder, "answers"), "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        lines = f.read().splitlines()
        f.seek(0); f.truncate(); f.write("".join(line + "\n" for line in lines[1:]))
        return lines[0] if lines else "cancel"

def send(line):
    sys.stdout.write(line + "\n"); sys.stdout.flush()

shown = {}
send("OK Pleased to meet you")
for line in sys.stdin:
    line = line.rstrip("\n")
    command, _, argument = line.partition(" ")
    if command in ("SETTITLE", "SETDESC", "SETPROMPT", "SETOK", "SETCANCEL", "SETTIMEOUT"):
        shown[command[3:].lower()] = unescape(argument); send("OK")
    elif command in ("GETPIN", "CONFIRM"):
        answer = next_answer()
        record = dict(shown, command=command, answer=answer.split(" ")[0])
        with open(os.path.join(folder, "dialogs.jsonl"), "a") as log:
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
        if answer == "cancel":
            send("ERR 83886179 Operation cancelled <Pinentry>")
        elif command == "GETPIN" and answer.startswith("pin "):
            send("D " + escape(answer[4:])); send("OK")
        else:
            send("OK")
    elif command == "BYE":
        send("OK closing connection"); break
    else:
        send("OK")
