#!/bin/sh
# SPDX-License-Identifier: MIT
# `tinyfleet-node fleet` against the real gateway: the example scenarios of config/scenarios/
# on a fast simulated clock. savanna.ini: five ground sensors (four over LoRa through the
# simulated forwarder, one over CoAP) hear a herd walk past; windfarm.ini: three turbines,
# one with a bearing fault that grows. Checks that the gateway stored every frame each node
# says it sent, elephant detections from the nodes the herd passed, health from all, anomaly
# summaries with a higher score on the faulty turbine; and that a bad scenario file is
# refused with its file, line and key.
# Run from the repository root: BUILD=/abs/build sh tests/integration/node_fleet.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=node_fleet
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

N="$BUILD/tinyfleet-node"

# register SCENARIO: `tinyfleet node add` for every node the scenario lists.
register() {
    "$N" fleet --scenario "$1" --list >"$tmp/list" 2>&1 || return 1
    python3 -c 'import json, subprocess, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    subprocess.run([sys.argv[2], "--db", sys.argv[3], "node", "add", j["devaddr"], "--nwkskey",
                    j["nwkskey"], "--appskey", j["appskey"], "--profile", j["profile"]],
                   check=True, capture_output=True)' "$tmp/list" "$T" "$db"
}

# fleet_run SCENARIO ARGS...: the fleet against the daemon; counters in $tmp/fleet.out.
fleet_run() {
    sc=$1
    shift
    "$N" fleet --scenario "$sc" --coap "coap://127.0.0.1:$COAP/up" \
        --forwarder "127.0.0.1:$LORA" "$@" >"$tmp/fleet.out" 2>"$tmp/fleet.err"
    rc=$?
    cat "$tmp/fleet.out" "$tmp/fleet.err" >"$tmp/fleet.show"
}

# gw EXPR: the fleet's counters as st (name -> counters), the daemon's events as ev, frames
# per DevAddr as fr; EXPR holds.
gw() {
    "$T" --db "$db" events --json --limit 100000 >"$tmp/events" 2>&1 || return 1
    python3 -c 'import collections, json, sqlite3, sys
st = {}
for l in open(sys.argv[1]):
    j = json.loads(l)
    st[j["node"]] = j
ev = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
c = sqlite3.connect("file:" + sys.argv[3] + "?mode=ro", uri=True)
fr = collections.Counter("%08X" % r[0] for r in c.execute("SELECT devaddr FROM frames"))
sys.exit(0 if eval("(" + sys.argv[4] + ")") else 1)' "$tmp/fleet.out" "$tmp/events" "$db" "$1"
}

free_ports COAP LORA
write_conf "$conf" test "$db" "127.0.0.1:$COAP" "127.0.0.1:$LORA"

# --- a bad scenario ---------------------------------------------------------------------------
printf '[fleet]\nspeed = 10\n[node.a]\ndevaddr = 2601\n' >"$tmp/bad.ini"
"$N" fleet --scenario "$tmp/bad.ini" >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "a bad devaddr: exit 2, FILE:LINE: [section] key: what" eval \
    'rc_is 2 && stderr_has "bad.ini:4: \[node.a\] devaddr: 8 hex digits expected"'
printf '[fleet]\nnwkskey = 44024241ED4CE9A68C6A8BC055233FD3\n[node.a]\ndevaddr = 26010001\nprofile = whale\n' \
    >"$tmp/bad.ini"
"$N" fleet --scenario "$tmp/bad.ini" >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "a node without both keys: exit 2, names the node" eval \
    'rc_is 2 && stderr_has "\[node.a\]: nwkskey and appskey missing"'

check "tinyfleetd starts and logs 'listening'" "$log" start_daemon "$log"

# --- the herd ---------------------------------------------------------------------------------
SAV=config/scenarios/savanna.ini
check "savanna.ini: its 5 nodes registered" "$tmp/list" register "$SAV"
fleet_run "$SAV" --speed 400 --duration-s 900
check "savanna.ini at x400 for 900 s: exit 0, a PUSH_ACK per LoRa frame, nothing lost" "$tmp/fleet.show" sh -c "
    test $rc -eq 0 && python3 -c '
import json, sys
st = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(st) == 5 and all(s[\"tx_failed\"] == 0 and s[\"frames\"] >= 2 and
         870 <= s[\"windows\"] <= 878 and
         (s[\"bearer\"] == \"coap\" or s[\"push_acks\"] == s[\"frames\"]) for s in st)
         else 1)' '$tmp/fleet.out'"
check "...the gateway stored every frame of every node" "$tmp/events" gw '
all(fr[s["devaddr"]] == s["frames"] for s in st.values())'
check "...elephant detections from at least 3 nodes, as many as their episodes" "$tmp/events" gw '
len({e["devaddr"] for e in ev if e["kind"] == "detection" and e["class"] == "elephant"}) >= 3
and all(len([e for e in ev if e["kind"] == "detection" and e["devaddr"] == s["devaddr"]]) ==
        s["episodes"] for s in st.values())'
check "...health from every node, the CoAP node among them" "$tmp/events" gw '
{e["devaddr"] for e in ev if e["kind"] == "health"} == {s["devaddr"] for s in st.values()} and
st["fence-mid"]["bearer"] == "coap" and st["fence-mid"]["delivered"] == st["fence-mid"]["frames"]'

# --- the wind farm -------------------------------------------------------------------------------
WF=config/scenarios/windfarm.ini
check "windfarm.ini: its 3 nodes registered" "$tmp/list" register "$WF"
fleet_run "$WF" --speed 800 --duration-s 1800
check "windfarm.ini at x800 for 1800 s: exit 0, nothing lost" "$tmp/fleet.show" sh -c "
    test $rc -eq 0 && python3 -c '
import json, sys
st = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(st) == 3 and all(s[\"tx_failed\"] == 0 for s in st) else 1)' '$tmp/fleet.out'"
check "...each turbine learned its machine (learn_s 240) and kept the state" "$tmp/fleet.out" \
    python3 -c '
import json, sys
st = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if all(s["learn"] == "ready" and s["learn_threshold"] > 0 and s["learn_saves"] >= 16
                  for s in st) else 1)' "$tmp/fleet.out"
learned() {
    "$T" --db "$db" node list --json >"$tmp/nodes" 2>&1 && "$T" --db "$db" node list \
        >>"$tmp/nodes" 2>&1 && python3 -c '
import json, sys
st = [json.loads(l) for l in open(sys.argv[1])]
by = {j["devaddr"]: j for j in map(json.loads, [l for l in open(sys.argv[2]) if l[0] == "{"])}
sys.exit(0 if all(by[s["devaddr"]]["learn"] == "ready" and
                  by[s["devaddr"]]["learn_progress"] == 100 and
                  by[s["devaddr"]]["learn_threshold"] == s["learn_threshold"] for s in st) else 1)
' "$tmp/fleet.out" "$tmp/nodes" && [ "$(grep -c "ready, threshold [0-9]" "$tmp/nodes")" -eq 3 ]
}
check "...node list (--json): each turbine ready, with the threshold it learned" "$tmp/nodes" \
    learned
check "...three anomaly summaries per turbine, stored" "$tmp/events" gw '
all(fr[s["devaddr"]] == s["frames"] and
    len([e for e in ev if e["kind"] == "anomaly" and e["devaddr"] == s["devaddr"]]) == 3
    for s in st.values())'
check "...the faulty bearing (wtg-02) scores higher than the healthy turbines at the end" \
    "$tmp/events" gw '
max((e["fcnt"], e["score_mean"]) for e in ev if e["kind"] == "anomaly" and
    e["devaddr"] == st["wtg-02"]["devaddr"])[1] >
max(max((e["fcnt"], e["score_mean"]) for e in ev if e["kind"] == "anomaly" and
    e["devaddr"] == st[n]["devaddr"])[1] for n in ("wtg-01", "wtg-03"))'

# --- the end --------------------------------------------------------------------------------
check "tinyfleetd still running" "$log" alive "$dpid"
stop_daemon TERM 10
check "SIGTERM: exit 0" "$log" test "$rc" = 0

finish
