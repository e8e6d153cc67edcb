#!/bin/sh
# Run cmocka test binaries one after another and add up their results, so one summary line
# says how the whole unit suite went. Usage: run-units.sh BIN...
set -u
passed=0
failed=0
broken=""
for bin in "$@"; do
    out=$("$bin" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | head -n 1)
    # TODO: the plain-C tests of tests/check.h print "NAME: X passed, Y failed"; read that
    # until they are cmocka runners like the rest.
    if [ -z "$p$f" ]; then
        line=$(printf '%s\n' "$out" | grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
        p=$(printf '%s\n' "$line" | sed -n 's/^[a-z_]*: \([0-9]*\) passed.*/\1/p')
        f=$(printf '%s\n' "$line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
        [ "${f:-0}" = 0 ] && f=""
    fi
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ] || [ -z "$p$f" ]; then
        printf '%s\n' "$out"
        broken="$broken $(basename "$bin")"
        [ -z "$f" ] && failed=$((failed + 1))
    fi
    printf '%-28s %s passed, %s failed\n' "$(basename "$bin")" "${p:-0}" "${f:-0}"
done
echo "unit: $passed passed, $failed failed"
[ -z "$broken" ] || { echo "unit: failing:$broken"; exit 1; }
