#!/bin/sh
# SPDX-License-Identifier: MIT
# The committed models through the command a user runs: `tinyfleet-node synth` renders a
# rumble, an upcall and a humpback unit, bearing and shaft faults, and each profile's
# distractors (10 dB SNR, fixed seeds), and `tinyfleet-node classify` must detect every
# target and stay silent on every distractor and on the healthy turbine.
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

# turbine: the whole machine from the first sample, healthy or with a fully developed fault.
healthy() {
    render turbine turbine --at 0 && [ "$(windows turbine)" -gt 0 ] &&
        [ "$(windows turbine none)" -eq "$(windows turbine)" ]
}
anomalous() {
    render turbine "$1" --at 0 --severity 1 && [ "$(windows "$1")" -gt 0 ] &&
        [ "$(windows "$1" machine_anomaly)" -eq "$(windows "$1")" ]
}
check "turbine: the healthy machine is not anomalous" "$tmp/turbine.json" healthy
for f in fault_outer fault_inner fault_imbalance fault_misalign; do
    check "turbine: $f is anomalous in every window" "$tmp/$f.json" anomalous "$f"
done

finish
