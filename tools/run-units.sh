#!/bin/sh
# Run cmocka test binaries one after another and add up their results, so one summary line
# says how the whole unit suite went. Usage: run-units.sh BIN...
# A binary that exits non-zero, or prints no cmocka summary, counts as failing.
set -u
passed=0
failed=0
skipped=0
broken=""
for bin in "$@"; do
    # the test's folder and name (proto/test_hex and daemon/test_hex are two runners)
    name=${bin#*tests/}
    out=$("$bin" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | head -n 1)
    s=$(printf '%s\n' "$out" | sed -n 's/.*\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | head -n 1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    skipped=$((skipped + ${s:-0}))
    if [ "$rc" -ne 0 ] || [ -z "$p$f" ]; then
        printf '%s\n' "$out"
        broken="$broken $name"
        [ -z "$f" ] && failed=$((failed + 1))
    fi
    printf '%-32s %s passed, %s failed%s\n' "$name" "${p:-0}" "${f:-0}" \
        "${s:+, $s skipped}"
done
if [ "$skipped" -gt 0 ]; then
    echo "unit: $passed passed, $failed failed, $skipped skipped"
else
    echo "unit: $passed passed, $failed failed"
fi
[ -z "$broken" ] || { echo "unit: failing:$broken"; exit 1; }
