#!/usr/bin/env bash
# Tools/fuzz/run.sh [SECONDS]: fuzz kysod's HTTP and JSON edge (Tools/fuzz/KysoFuzz) with libFuzzer for SECONDS
# (default 60), starting from Tools/fuzz/corpus with Tools/fuzz/http-json.dict.
#
# Builds the kyso-fuzz product with `--sanitize=fuzzer --sanitize=address` in its own scratch path (.build-fuzz, or
# KYSO_FUZZ_SCRATCH), so the normal build is left alone; every module it links (NIO and its llhttp parser,
# KysoAPI, KysoCore) is instrumented for coverage and checked by AddressSanitizer. New inputs go to a temporary
# folder, so the committed corpus does not change. Prints the execution count; exits non-zero when libFuzzer finds
# a crash, a leak, a timeout or an out-of-memory input, and keeps that input in Tools/fuzz/findings.
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 64 ;; esac
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
scratch="${KYSO_FUZZ_SCRATCH:-$root/.build-fuzz}"
swift="${SWIFT:-swift}"
flags=(--package-path "$root" --scratch-path "$scratch" --product kyso-fuzz
       --sanitize=fuzzer --sanitize=address -Xswiftc -DKYSO_FUZZ)

"$swift" build "${flags[@]}" >&2
binary="$("$swift" build "${flags[@]}" --show-bin-path)/kyso-fuzz"

work="$(mktemp -d "${TMPDIR:-/tmp}/kyso-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/findings"
cp "$here"/corpus/* "$work/corpus/"

set +e
"$binary" "$work/corpus" -dict="$here/http-json.dict" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/findings/" >"$work/log" 2>&1
status=$?
set -e

runs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$work/log" | tail -1)"
if [ -z "$runs" ]; then runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/log" | tail -1)"; fi
if [ "$status" -ne 0 ]; then
    tail -n 60 "$work/log" >&2
    mkdir -p "$here/findings"
    cp "$work"/findings/* "$here/findings/" 2>/dev/null || true
    echo "kyso-fuzz: libFuzzer stopped with status $status after ${runs:-?} executions; inputs kept in $here/findings" >&2
    echo "  replay one with: swift build --product kyso-fuzz && .build/debug/kyso-fuzz $here/findings/<file>" >&2
    exit "$status"
fi
grep -E "^#[0-9]+[[:space:]]+DONE|^stat::" "$work/log" || true
echo "kyso-fuzz: ${runs:-?} executions in ${seconds} s, no crash"
