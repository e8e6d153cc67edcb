#!/bin/sh
# Run every tests/integration/*.sh against the binaries in BUILD_DIR; each script prints its
# own checks and exits non-zero on failure. Usage: run-integration.sh BUILD_DIR
set -u
BUILD=$(cd "$1" && pwd)
export BUILD
passed=0
failed=0
for t in tests/integration/*.sh; do
    [ -e "$t" ] || continue
    if sh "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "integration: $(basename "$t") FAILED"
    fi
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
