#!/bin/sh
# SPDX-License-Identifier: MIT
# run-mutants.sh [PATCH...] - `make mutants`: apply each deliberate bug of tools/mutants/ to
# the work tree, rebuild, run the test its first line names, and expect that test to FAIL.
# A mutant whose test passes has survived: the tests would not notice that careless edit.
#
# A mutant is a patch `git apply` takes at the repository root, whose first line reads
#   # catch: SHELL COMMAND
# (run at the root after `make all`; it must exit non-zero with the mutant applied). The work
# tree must be clean; each mutant is reverted before the next, also when interrupted.
set -u

cd "$(dirname "$0")/.." || exit 1
if ! git diff --quiet HEAD -- . ':!tests/vectors/node_modules'; then
    echo "mutants: the work tree has changes; commit or stash them first" >&2
    exit 2
fi
[ $# -gt 0 ] || set -- tools/mutants/*.patch
applied=""
revert() {
    [ -n "$applied" ] && git apply -R "$applied" && applied=""
}
trap 'revert' EXIT
trap 'exit 130' INT TERM

caught=0
survived=0
for p in "$@"; do
    name=$(basename "$p" .patch)
    cmd=$(sed -n '1s/^# catch: //p' "$p")
    if [ -z "$cmd" ]; then
        echo "mutants: $p: first line must be '# catch: COMMAND'" >&2
        exit 2
    fi
    if ! git apply "$p"; then
        echo "mutants: $p no longer applies; update it" >&2
        exit 2
    fi
    applied=$p
    if ! ${MAKE:-make} -s -j2 all >/dev/null 2>&1; then
        echo "mutants: $name: the build fails with it applied (a mutant must build)" >&2
        exit 2
    fi
    if sh -c "$cmd" >"${TMPDIR:-/tmp}/mutant-$name.log" 2>&1; then
        echo "SURVIVED $name: '$cmd' passed (log: ${TMPDIR:-/tmp}/mutant-$name.log)"
        survived=$((survived + 1))
    else
        echo "caught   $name"
        caught=$((caught + 1))
    fi
    revert
done
# Leave the build matching the tree again.
${MAKE:-make} -s -j2 all >/dev/null 2>&1
echo "mutants: $caught passed, $survived failed"
[ "$survived" -eq 0 ]
