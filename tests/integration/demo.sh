#!/bin/sh
# SPDX-License-Identifier: MIT
# `make demo` is the README's first command: run its script (tools/demo.sh, at DEMO_SPEED=150
# instead of the scenario's 72, so about 40 s) and check that the story it tells happened:
# the elephant alert reaches critical on the railway, a whale alert in the shipping lane, a
# machine_anomaly alert for the failing turbine, `tinyfleet alerts` and `tinyfleet stats` at
# the end with every frame accepted and the outbox empty, and nothing the demo started still
# running. The demo's temporary directory is made inside this test's ($TMPDIR), so a process
# of the demo is one whose command line or open files name that directory.
# Run from the repository root: BUILD=/abs/build sh tests/integration/demo.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=demo
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

out=$tmp/demo.out
mkdir -p "$tmp/demo-tmp"
if TMPDIR="$tmp/demo-tmp" DEMO_SPEED=150 sh tools/demo.sh "$BUILD" >"$out" 2>&1; then
    ok "the demo exits 0"
else
    nok "the demo exits 0" "$out"
fi

# has REGEX: the demo's output has a line matching the extended REGEX.
has() { grep -Eq -- "$1" "$out"; }

# The live lines are "sim H:MM:SS  LEVEL  STATE  CLASS  ZONE  MESSAGE", one per MQTT message.
check "an elephant alert opens in the corridor as the herd passes its sensor" "$out" \
    has '^  sim [0-9:]+  WATCH +open +elephant +corridor +Elephant detected by 1 node'
check "the elephant alert on the railway opens, then escalates to critical" "$out" python3 -c '
import re, sys
lines = [l.split() for l in open(sys.argv[1]) if l.startswith("  sim ")]
rail = [(l[2], l[3]) for l in lines if l[4:6] == ["elephant", "railway"]]
assert rail and rail[0][1] == "open", rail
assert any(lvl == "CRITICAL" and st in ("open", "escalate") for lvl, st in rail), rail
' "$out"
check "a whale alert in the shipping lane" "$out" \
    has '^  sim [0-9:]+  [A-Z]+ +open +whale +shipping_lane +Whale detected'
check "a machine_anomaly alert for the failing turbine wtg-07 (26017007)" "$out" \
    has '^  sim [0-9:]+  (WARNING|CRITICAL) +open +machine_anomaly +windfarm +.*26017007'
check "progress lines with the simulated time and the frames received" "$out" \
    has '^  \.\. sim [0-9]+:[0-9]{2}:[0-9]{2}  [0-9]+ frames received by the gateway'
check "tinyfleet alerts printed: the railway alert is critical" "$out" \
    sh -c "sed -n '/^== tinyfleet alerts/,/^== tinyfleet stats/p' '$out' |
        grep -Eq '^[0-9]+ +[0-9]+ +[a-z]+ +critical +elephant +railway '"
check "tinyfleet alerts printed: whale and turbine alerts listed" "$out" \
    sh -c "sed -n '/^== tinyfleet alerts/,/^== tinyfleet stats/p' '$out' |
        grep -Eq ' whale +shipping_lane ' &&
        sed -n '/^== tinyfleet alerts/,/^== tinyfleet stats/p' '$out' |
        grep -Eq ' machine_anomaly +26017007 '"
check "tinyfleet stats printed: frames accepted over both bearers, none refused" "$out" \
    python3 -c '
import re, sys
text = open(sys.argv[1]).read()
stats = text.split("== tinyfleet stats", 1)[1]
rows = {m.group(1): [int(x) for x in m.groups()[1:]]
        for m in re.finditer(r"^(\w+) +(\d+) +(\d+) +(\d+)$", stats, re.M)}
assert rows["accepted"][0] > 0 and rows["accepted"][1] > 0, rows
assert all(v[2] == 0 for k, v in rows.items() if k != "accepted"), rows
assert "mqtt outbox: 0 waiting, 0 dropped" in stats
' "$out"
check "the demo says it stopped everything" "$out" \
    has '^Done: tinyfleetd, tinyfleet-web, mosquitto and the fleet are stopped'
check "the demo printed the status page's URL" "$out" \
    has '^== Status page: http://127\.0\.0\.1:[0-9]+/ \(tinyfleet-web, pid [0-9]+'
check "the status page answered during the demo" "$out" has '^== Status page answered: [0-9]+ nodes, [1-9][0-9]* active alerts'

# Nothing of the demo left: no process whose command line or open files name its temp
# directory (mosquitto and tinyfleetd by their -c files, the subscriber and the fleet by their
# output files), and the PIDs the demo printed are gone.
# shellcheck disable=SC2046 # the PIDs are one word each
check "nothing the demo started is still running" "$out" python3 -c '
import os, sys
root = sys.argv[1]
left = []
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) == os.getpid():
        continue
    try:
        names = [open("/proc/%s/cmdline" % p, "rb").read().decode(errors="replace")]
        for fd in os.listdir("/proc/%s/fd" % p):
            names.append(os.readlink("/proc/%s/fd/%s" % (p, fd)))
    except OSError:
        continue
    if any(root in n for n in names):
        left.append((p, names[0].replace("\0", " ")))
for pid in sys.argv[2:]:
    if os.path.exists("/proc/" + pid):
        st = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[0]
        if st != "Z":
            left.append((pid, "printed by the demo"))
if left:
    print("still running:", left)
    sys.exit(1)
' "$tmp/demo-tmp" $(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$out")
check "the demo removed its temporary directory" "$out" \
    sh -c "[ -z \"\$(ls -A '$tmp/demo-tmp')\" ]"

finish
