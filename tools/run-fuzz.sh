#!/bin/sh
# SPDX-License-Identifier: MIT
# run-fuzz.sh SECONDS BIN... - run each libFuzzer target for SECONDS, one after another
# (the machine has 2 cores; parallel targets would only time-slice). Each target starts
# from a temporary copy of tests/fuzz/corpus/<name>/, so `make test` never grows the
# committed corpus. A crash, leak, timeout or OOM fails the run; its input is kept under
# <dir of BIN>/crashes/<name>/ and the path is printed. Extra libFuzzer flags: $FUZZ_ARGS.

set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 SECONDS BIN..." >&2
    exit 2
fi
secs=$1
shift
case $secs in
'' | *[!0-9]*)
    echo "run-fuzz: SECONDS must be a whole number, got '$secs'" >&2
    exit 2
    ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyfleet-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# libFuzzer stops itself after -max_total_time; this outer limit only catches a fuzzer
# that hangs outside an input (where -timeout does not apply).
guard=""
if command -v timeout >/dev/null 2>&1; then
    guard="timeout -k 10 $((secs * 2 + 120))"
fi

pass=0
fail=0
for bin in "$@"; do
    name=$(basename "$bin")
    corpus=$work/$name
    keep=$(dirname "$bin")/crashes/$name
    log=$work/$name.log

    if [ ! -x "$bin" ]; then
        echo "$name: FAILED, $bin is not an executable"
        fail=$((fail + 1))
        continue
    fi
    mkdir -p "$corpus" "$keep"
    if [ -d "$root/tests/fuzz/corpus/$name" ]; then
        cp -R "$root/tests/fuzz/corpus/$name/." "$corpus/"
    else
        echo "$name: note: no seed corpus in tests/fuzz/corpus/$name, starting empty"
    fi

    start=$(date +%s)
    # shellcheck disable=SC2086 # $guard and $FUZZ_ARGS are word lists on purpose
    $guard "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=25 \
        -print_final_stats=1 -artifact_prefix="$keep/" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ -z "$runs" ]; then
        # After a crash libFuzzer prints no final stats; the last status line has the count.
        runs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
    fi
    if [ $rc -eq 0 ]; then
        echo "$name: $took s, ${runs:-0} runs, no crash"
        pass=$((pass + 1))
        continue
    fi

    fail=$((fail + 1))
    echo "$name: FAILED (exit $rc) after $took s, ${runs:-0} runs"
    # The sanitizer's or the target's own diagnosis, and the top of the stack.
    grep -E 'invariant broken|ERROR: |SUMMARY: |^ +#[0-9]+ 0x[0-9a-f]+ in ' "$log" | \
        grep -vE ' in (fuzzer::|__sanitizer|__asan|__ubsan|main |_start|__libc_start)' | \
        head -n 25 | sed 's/^/    /'
    cp "$log" "$keep/last-run.log"
    unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if [ -n "$unit" ] && [ -f "$unit" ]; then
        echo "$name: crash input: $unit ($(wc -c <"$unit" | tr -d ' ') bytes)"
        echo "$name: hex: $(od -An -v -tx1 "$unit" | tr -d ' \n')"
        echo "$name: reproduce: $bin $unit"
    else
        echo "$name: no input was written (a hang or a failure at start-up?)"
    fi
    echo "$name: full log: $keep/last-run.log"
done

echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
