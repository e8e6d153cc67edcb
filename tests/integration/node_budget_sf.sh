#!/bin/sh
# SPDX-License-Identifier: MIT
# `tinyfleet-node budget --sf all`: a row per SF7..SF12 with the same assumptions, each the
# figures `--sf N` prints alone; only the radio's share changes, and it grows with the SF.
# Run from the repository root: BUILD=/abs/build sh tests/integration/node_budget_sf.sh

set -u

NAME=node_budget_sf
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

N="$BUILD/tinyfleet-node"

for p in elephant turbine; do
    "$N" budget --profile "$p" --listen-s 2.5 --every-s 600 --sf all --json >"$tmp/all.$p" \
        2>"$tmp/err"
    : >"$tmp/one.$p"
    for sf in 7 8 9 10 11 12; do
        "$N" budget --profile "$p" --listen-s 2.5 --every-s 600 --sf "$sf" --json \
            >>"$tmp/one.$p" 2>>"$tmp/err"
    done
    check "$p: --sf all --json is --sf 7 .. --sf 12, line for line" "$tmp/all.$p" \
        cmp -s "$tmp/all.$p" "$tmp/one.$p"
    check "$p: only the radio changes with the SF, and it grows with each step" "$tmp/all.$p" \
        python3 -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
same = all(x["sensing_ua"] == r[0]["sensing_ua"] and x["compute_ua"] == r[0]["compute_ua"]
           for x in r)
sys.exit(0 if len(r) == 6 and [x["sf"] for x in r] == list(range(7, 13)) and same and
         all(b["radio_ua"] > a["radio_ua"] and b["total_ua"] > a["total_ua"]
             for a, b in zip(r, r[1:])) else 1)' "$tmp/all.$p"
done
"$N" budget --profile whale --sf all --battery d >"$tmp/out" 2>"$tmp/err"
check "the table: a header and six rows, one battery column" "$tmp/out" sh -c "
    [ \$(grep -c '^  *1\{0,1\}[0-9]  ' '$tmp/out') -eq 6 ] && grep -q ' d\$' '$tmp/out'"
"$N" budget --profile whale --sf 13 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "--sf 13: exit 2" "$tmp/err" test "$rc" -eq 2
finish
