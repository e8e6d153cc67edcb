#!/bin/sh
# Run every tests/integration/*.sh against the binaries in BUILD_DIR; each script prints its
# own checks, ends with "NAME: N passed, N failed" and exits non-zero on failure. The last
# line adds up the checks of all scripts; a script that fails without counting its failure
# counts as one. Usage: run-integration.sh BUILD_DIR
set -u
BUILD=$(cd "$1" && pwd)
export BUILD
out=$(mktemp "${TMPDIR:-/tmp}/tinyfleet-integration.XXXXXX") || exit 1
trap 'rm -f "$out" "$out.rc"' EXIT
trap 'exit 130' INT TERM
passed=0
failed=0
broken=""
for t in tests/integration/*.sh; do
    [ -e "$t" ] || continue
    { sh "$t"; echo $? >"$out.rc"; } | tee "$out"
    rc=$(cat "$out.rc")
    line=$(grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
    p=$(echo "$line" | sed -n 's/^[^:]*: \([0-9]*\) passed.*/\1/p')
    f=$(echo "$line" | sed -n 's/^[^:]*: [0-9]* passed, \([0-9]*\) failed.*/\1/p')
    if [ "$rc" -ne 0 ]; then
        broken="$broken $(basename "$t")"
        [ "${f:-0}" -eq 0 ] && f=1
    fi
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
done
[ -z "$broken" ] || echo "integration: failing scripts:$broken"
echo "integration: $passed passed, $failed failed"
[ -z "$broken" ]
