#!/usr/bin/env bash
# Self-check of the token lab (Tools/kyso-lab): init, refuse re-init, list, add while
# another process enumerates, duplicate label, remove, --count, init --force; each state
# is cross-checked against pkcs11-tool, p11tool and openssl by Tools/lab/tests/check_lab.py.
# Owns a temporary folder; never touches /etc/softhsm. KYSO_LAB_BENCH=N also times N tokens.
set -euo pipefail

TOOLS="$(cd "$(dirname "$0")" && pwd)"
LAB_TOOL="$TOOLS/kyso-lab"
CHECK="$TOOLS/lab/tests/check_lab.py"
MODULE=/usr/lib/softhsm/libsofthsm2.so
WORK="$(mktemp -d)"
LAB="$WORK/lab"
trap 'rm -rf "$WORK"' EXIT

for tool in softhsm2-util pkcs11-tool p11tool openssl python3; do
    command -v "$tool" >/dev/null || { echo "FAIL - $tool is missing (run scripts/install-deps)"; exit 1; }
done

ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; exit 1; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }
list_and_check() { "$LAB_TOOL" list "$LAB" > "$WORK/list.json"; python3 "$CHECK" "$WORK/list.json" "$@"; }
token_count() { SOFTHSM2_CONF="$LAB/softhsm2.conf" pkcs11-tool --module "$MODULE" -L | grep -c "token label" || true; }

python3 -m unittest discover -s "$TOOLS/lab/tests" -p 'test_*.py' 2>&1 | tail -1 | grep -qx OK \
    || fail "unit tests (python3 -m unittest discover -s Tools/lab/tests)"
ok "unit tests: tax codes and citizen IDs"

start=$(now)
"$LAB_TOOL" init "$LAB"
ok "init took $(since "$start") s"
list_and_check --expect-standard

if "$LAB_TOOL" init "$LAB" 2>"$WORK/err"; then fail "init on an existing lab did not refuse"; fi
grep -q -- "--force" "$WORK/err" || fail "refusal does not mention --force: $(cat "$WORK/err")"
ok "init on an existing lab refuses: $(cat "$WORK/err")"

[ "$("$LAB_TOOL" env "$LAB")" = "export SOFTHSM2_CONF=$LAB/softhsm2.conf" ] || fail "env line"
ok "env prints the SOFTHSM2_CONF export"

# Add a token while another process keeps enumerating slots, as a running test would.
before=$(token_count)
( for _ in $(seq 30); do SOFTHSM2_CONF="$LAB/softhsm2.conf" pkcs11-tool --module "$MODULE" -L >/dev/null; done ) &
watcher=$!
"$LAB_TOOL" add-token "$LAB" --label "Chi nhánh Hải Phòng" --provider bkav --kind branch
wait "$watcher"
[ "$(token_count)" -eq $((before + 1)) ] || fail "add-token: pkcs11-tool -L count did not grow by one"
list_and_check
ok "add-token (branch, bkav, UTF-8 label) during enumeration"

if "$LAB_TOOL" add-token "$LAB" --label "kyso-vnpt" 2>"$WORK/err"; then fail "duplicate label accepted"; fi
[ "$(token_count)" -eq $((before + 1)) ] || fail "a refused add-token changed the token store"
ok "duplicate label refused, nothing changed: $(cat "$WORK/err")"

if "$LAB_TOOL" add-token "$LAB" --label "THIS LABEL IS LONGER THAN 32 BYTES" 2>"$WORK/err"; then
    fail "over-long label accepted"
fi
ok "over-long label refused: $(cat "$WORK/err")"

folder=$(python3 -c "import json,sys; print([t['folder'] for t in json.load(open(sys.argv[1]))['tokens'] if t['kind']=='branch' and t['provider']=='bkav'][0])" "$WORK/list.json")
"$LAB_TOOL" remove-token "$LAB" "Chi nhánh Hải Phòng"
[ ! -e "$folder" ] || fail "remove-token left $folder"
[ "$(token_count)" -eq "$before" ] || fail "remove-token: pkcs11-tool -L count did not shrink"
list_and_check --expect-standard
ok "remove-token deletes the folder and the manifest entry"

if "$LAB_TOOL" remove-token "$LAB" "no-such-token" 2>"$WORK/err"; then fail "unknown label removed"; fi
ok "remove-token of an unknown label fails: $(cat "$WORK/err")"

for kind in enterprise ec two-certs person; do
    "$LAB_TOOL" add-token "$LAB" --label "added-$kind" --provider fpt --kind "$kind"
done
list_and_check
ok "add-token for every other kind"

count=${KYSO_LAB_BENCH:-10}
start=$(now)
"$LAB_TOOL" add-token "$LAB" --label bench --count "$count"
ok "add-token --count $count took $(since "$start") s"
list_and_check

touch "$LAB/not-the-labs-file"
start=$(now)
"$LAB_TOOL" init "$LAB" --force
ok "init --force took $(since "$start") s"
[ -e "$LAB/not-the-labs-file" ] || fail "init --force removed a file that is not the lab's"
list_and_check --expect-standard
ok "init --force rebuilt the standard set and kept foreign files"

echo "all kyso-lab checks passed"
