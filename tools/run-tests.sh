#!/bin/sh
# SPDX-License-Identifier: MIT
# run-tests.sh STEP... - what `make test` runs: each STEP is a make target, run one after
# another even when one fails, so a run shows everything that is wrong at once. A step that
# prints its own "NAME: N passed, N failed" line (unit tests, integration scripts, fuzz
# targets) adds its counts; any other step (the build, headers, tidy, the firmware budget...)
# counts as one check, passed or failed by its exit status. The last line is the total.
set -u

log=$(mktemp "${TMPDIR:-/tmp}/tinyfleet-test.XXXXXX") || exit 1
status=$log.rc
trap 'rm -f "$log" "$status"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
broken=""
for step in "$@"; do
    # shown as it runs (the integration step takes minutes), kept for the count
    { ${MAKE:-make} --no-print-directory "$step" 2>&1; echo $? >"$status"; } | tee "$log"
    rc=$(cat "$status")
    # The step's own last summary line, if it prints one.
    line=$(grep -E '^[a-z_-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed 's/^[^:]*: \([0-9]*\) passed.*/\1/')
        f=$(echo "$line" | sed 's/^[^:]*: [0-9]* passed, \([0-9]*\) failed.*/\1/')
        # a runner that stopped without counting its failure still failed
        [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    elif [ "$rc" -eq 0 ]; then
        p=1
        f=0
    else
        p=0
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$rc" -eq 0 ] || broken="$broken $step"
done
[ -z "$broken" ] || echo "test: failing steps:$broken"
echo "$passed passed, $failed failed"
[ -z "$broken" ]
