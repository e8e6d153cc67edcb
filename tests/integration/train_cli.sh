#!/bin/sh
# SPDX-License-Identifier: MIT
# tinyfleet-train as its README tells a user to run it, on a small scale (--scale 0.05, well
# under a second per run): --out names a folder the run creates, the report links the plot
# the run wrote (tradeoff-<profile>.png for one profile), --data says it reads recordings
# rather than synthesising, and a missing parent folder is one clear error.
# Run from the repository root: BUILD=/abs/build sh tests/integration/train_cli.sh

set -u

NAME=train_cli
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
TR="$BUILD/tinyfleet-train"
N="$BUILD/tinyfleet-node"

"$TR" --profile turbine --scale 0.05 --out "$tmp/new" >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "--out DIR that does not exist yet: created, exit 0" rc_is 0
check "the header, the report and the plot are in it" "$tmp/err" \
    test -s "$tmp/new/turbine_model.h" -a -s "$tmp/new/REPORT-turbine.md" \
    -a -s "$tmp/new/tradeoff-turbine.png"
link=$(sed -n 's/^!\[size vs accuracy\](\([^)]*\)).*/\1/p' "$tmp/new/REPORT-turbine.md")
check "the report links the plot it wrote ($link)" "$tmp/new/REPORT-turbine.md" \
    test -n "$link" -a -f "$tmp/new/$link"

"$TR" --profile turbine --scale 0.05 --out "$tmp/no/such" >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "--out under a missing folder: exit 1, the folder named" \
    eval 'rc_is 1 && stderr_has "cannot create $tmp/no/such"'

# A recordings folder: healthy turbine sound, rendered by the simulator.
mkdir -p "$tmp/rec/healthy"
for i in 1 2 3 4 5 6; do
    "$N" synth --profile turbine --seconds 10 --seed "$i" \
        "$tmp/rec/healthy/h$i.wav" 2>>"$tmp/err" || echo "synth $i failed" >>"$tmp/err"
done
"$TR" --profile turbine --scale 0.05 --data "$tmp/rec" --out "$tmp/fromdata" >"$tmp/out" \
    2>"$tmp/err"
rc=$?
check_run "--data: trained from the recordings, exit 0" rc_is 0
check_run "--data: says it reads the recordings, not that it synthesises" \
    eval 'stderr_has "reading the recordings" && ! stderr_has "synthesising"'

finish
