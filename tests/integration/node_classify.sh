#!/bin/sh
# SPDX-License-Identifier: MIT
# The committed models through the command a user runs: `tinyfleet-node synth` renders a
# rumble, an upcall and a humpback unit, bearing and shaft faults, and each profile's
# distractors (10 dB SNR, fixed seeds), and `tinyfleet-node classify` must detect every
# target and stay silent on every distractor and, once it learned it, on the healthy turbine.
# Run from the repository root: BUILD=/abs/build sh tests/integration/node_classify.sh

set -u

NAME=node_classify
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
N="$BUILD/tinyfleet-node"

# render PROFILE KIND SYNTH-ARGS...: classify a 20 s (turbine 10 s) rendering of KIND into
# $tmp/KIND.json, one JSON line per window.
render() {
    profile=$1
    kind=$2
    shift 2
    secs=20
    [ "$profile" = turbine ] && secs=10
    "$N" synth --profile "$profile" --seconds "$secs" --event "$kind" --seed 7 "$@" \
        "$tmp/$kind.wav" 2>"$tmp/err" &&
        "$N" classify --profile "$profile" "$tmp/$kind.wav" >"$tmp/$kind.json" 2>>"$tmp/err"
}

# windows KIND [CLASS]: how many windows of KIND's rendering there are (saying CLASS).
windows() {
    if [ $# -eq 1 ]; then
        wc -l <"$tmp/$1.json"
    else
        grep -c "\"class\":\"$2\"" "$tmp/$1.json"
    fi
}

# detects PROFILE KIND CLASS MIN: at least MIN windows say CLASS, and no window another class.
detects() {
    render "$1" "$2" --at 5 --snr 10 &&
        [ "$(windows "$2" "$3")" -ge "$4" ] &&
        [ $(($(windows "$2" "$3") + $(windows "$2" none))) -eq "$(windows "$2")" ]
}

# silent PROFILE KIND: the node would report nothing: no two windows in a row say a class,
# and none says one with confidence 250/255 or more (what opens an episode in the
# aggregator, nodefw/NODE.md). A single window over the threshold alone is not an event.
silent() {
    render "$1" "$2" --at 5 --snr 10 && [ "$(windows "$2")" -gt 0 ] &&
        python3 -c 'import json, sys
w = [json.loads(l) for l in open(sys.argv[1])]
hit = [x["class"] != "none" for x in w]
sys.exit(any(a and b for a, b in zip(hit, hit[1:])) or
         any(h and x["confidence"] >= 250 / 255 for h, x in zip(hit, w)))' "$tmp/$2.json"
}

check "elephant: a rumble is detected" "$tmp/rumble.json" detects elephant rumble elephant 3
for d in wind rain thunder engine voice; do
    check "elephant: $d stays silent" "$tmp/$d.json" silent elephant "$d"
done
check "whale: an upcall is detected" "$tmp/upcall.json" detects whale upcall whale 1
check "whale: a humpback unit is detected" "$tmp/humpback.json" detects whale humpback whale 1
for d in ship shrimp rain; do
    check "whale: $d stays silent" "$tmp/$d.json" silent whale "$d"
done

# turbine: a node judges its own machine after learning it. Each machine (seed 7) is rendered
# for 70 s healthy (severity 0) and with its fault fully developed (severity 1); classify
# learns from the first 60 s of the healthy rendering, then judges the last 10 s of each.
# cut IN OUT FROM TO: seconds FROM..TO of a 4000 Hz WAV.
cut() {
    python3 - "$@" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
a, b = int(sys.argv[3]) * 8000, int(sys.argv[4]) * 8000
body = d[44 + a:44 + b]
h = bytearray(d[:44])
h[4:8] = struct.pack("<I", 36 + len(body))
h[40:44] = struct.pack("<I", len(body))
open(sys.argv[2], "wb").write(bytes(h) + body)
PY
}
# judge KIND: $tmp/KIND.h.json (healthy) and $tmp/KIND.json (fault), learned first.
judge() {
    for sev in 0 1; do
        "$N" synth --profile turbine --seconds 70 --seed 7 --event "$1" --at 0 --severity $sev \
            "$tmp/s$sev.wav" 2>"$tmp/err" || return 1
    done
    cut "$tmp/s0.wav" "$tmp/learn.wav" 0 60 && cut "$tmp/s0.wav" "$tmp/h.wav" 60 70 &&
        cut "$tmp/s1.wav" "$tmp/f.wav" 60 70 &&
        "$N" classify --profile turbine --learn "$tmp/learn.wav" "$tmp/h.wav" \
            >"$tmp/$1.h.json" 2>>"$tmp/err" &&
        "$N" classify --profile turbine --learn "$tmp/learn.wav" "$tmp/f.wav" \
            >"$tmp/$1.json" 2>>"$tmp/err"
}
healthy() {
    judge turbine && [ "$(windows turbine.h)" -gt 30 ] &&
        [ "$(windows turbine.h none)" -eq "$(windows turbine.h)" ]
}
anomalous() {
    judge "$1" && [ "$(windows "$1".h)" -gt 30 ] &&
        [ "$(windows "$1".h none)" -eq "$(windows "$1".h)" ] &&
        [ "$(windows "$1" machine_anomaly)" -ge $(($(windows "$1") * 8 / 10)) ]
}
check "turbine, learned: its healthy machine is not anomalous" "$tmp/turbine.h.json" healthy
for f in fault_outer fault_inner fault_imbalance fault_misalign; do
    check "turbine, learned: $f is anomalous in 80 % of windows or more, not before" \
        "$tmp/$f.json" anomalous "$f"
done

finish
