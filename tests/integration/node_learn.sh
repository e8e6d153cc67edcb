#!/bin/sh
# SPDX-License-Identifier: MIT
# The turbine's learning period through the command a user runs: `tinyfleet-node classify
# --learn` learns a machine from a healthy recording, then its healthy sound is not flagged
# and an inner race fault is, with the score and the learned threshold on every line; the
# same machine 20 dB quieter with a DC offset is still normal; without --learn the command
# says it has not learned (and guesses only with --frozen); too short a recording and --learn on another profile are refused.
# Run from the repository root: BUILD=/abs/build sh tests/integration/node_learn.sh

set -u

NAME=node_learn
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
N="$BUILD/tinyfleet-node"

"$N" synth --profile turbine --seconds 120 --seed 3 "$tmp/learn.wav" 2>"$tmp/err"
"$N" synth --profile turbine --seconds 20 --seed 3 "$tmp/healthy.wav" 2>>"$tmp/err"
"$N" synth --profile turbine --seconds 20 --seed 3 --event fault_inner --at 0 --severity 1 \
    "$tmp/fault.wav" 2>>"$tmp/err"
"$N" synth --profile turbine --seconds 1 --seed 3 "$tmp/short.wav" 2>>"$tmp/err"
# The healthy machine 20 dB quieter and offset by 0.05 full scale (a sensor's gravity offset).
python3 - "$tmp/healthy.wav" "$tmp/quiet.wav" <<'PY' 2>>"$tmp/err"
import struct, sys
d = open(sys.argv[1], "rb").read()
n = (len(d) - 44) // 2
s = struct.unpack("<%dh" % n, d[44:])
s = [max(-32767, min(32767, round(v * 0.1) + 1638)) for v in s]
open(sys.argv[2], "wb").write(d[:44] + struct.pack("<%dh" % n, *s))
PY

judge() {
    "$N" classify --profile turbine --learn "$tmp/learn.wav" "$tmp/$1.wav" >"$tmp/$1.json" \
        2>"$tmp/$1.err"
}
count() {
    grep -c "$2" "$tmp/$1.json"
}

check "healthy after learning: at most 1 window of 74 flagged" "$tmp/healthy.err" \
    eval 'judge healthy && [ "$(count healthy "")" -ge 70 ] &&
          [ "$(count healthy "\"anomalous\":true")" -le 1 ] &&
          [ "$(count healthy "\"learn\":\"ready\",\"score\":[0-9]*,\"threshold\":[0-9]")" -ge 70 ]'
check "quieter with a DC offset: at most 1 window flagged" "$tmp/quiet.err" \
    eval 'judge quiet && [ "$(count quiet "\"anomalous\":true")" -le 1 ]'
check "inner race fault after learning: at least 80 % of windows flagged" "$tmp/fault.err" \
    eval 'judge fault && [ "$(count fault "\"anomalous\":true")" -ge 60 ]'
check_said() {
    "$N" classify --profile turbine "$tmp/healthy.wav" >"$tmp/nolearn.json" 2>"$tmp/nolearn.err"
    [ $? -eq 1 ] && grep -q "not learned yet" "$tmp/nolearn.err" && [ ! -s "$tmp/nolearn.json" ]
}
check "without --learn the turbine says it has not learned (exit 1, no guess)" \
    "$tmp/nolearn.err" check_said
check "--frozen: the model frozen at flash time, on request" "$tmp/err" \
    eval '"$N" classify --profile turbine --frozen "$tmp/healthy.wav" >"$tmp/frozen.json" \
          2>>"$tmp/err" && [ "$(count frozen "anomaly_score")" -ge 70 ]'
check "--learn with --frozen is refused (exit 2)" "$tmp/err" \
    eval '"$N" classify --profile turbine --frozen --learn "$tmp/learn.wav" "$tmp/healthy.wav" \
          >/dev/null 2>>"$tmp/err"; [ $? -eq 2 ]'
check "a 1 s learning recording is refused (exit 1)" "$tmp/short.err" \
    eval '"$N" classify --profile turbine --learn "$tmp/short.wav" "$tmp/healthy.wav" \
          >/dev/null 2>"$tmp/short.err"; [ $? -eq 1 ] && grep -q "too short" "$tmp/short.err"'
check "--learn on the whale profile is refused (exit 2)" "$tmp/err" \
    eval '"$N" classify --profile whale --learn "$tmp/learn.wav" "$tmp/healthy.wav" \
          >/dev/null 2>>"$tmp/err"; [ $? -eq 2 ]'
finish
