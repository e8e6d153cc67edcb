#!/bin/sh
# SPDX-License-Identifier: MIT
# Talking back to a fleet, end to end: `tinyfleet-node fleet` with confirmed uplinks, three
# nodes through the simulated packet forwarder and two over CoAP, against tinyfleetd; one of
# each joins over the air (registered with `node add --otaa`). Commands are queued with
# `tinyfleet node command` before the fleet starts, one for an OTAA node before it joined.
# Checks: every OTAA node joined (LoRa: the JoinAccept heard in a join window; CoAP: in the
# 2.04); every confirmed uplink acknowledged (LoRa: a PULL_RESP held by the forwarder until
# its tmst and heard in the node's RX1 or RX2; CoAP: in the 2.04), no PULL_RESP too late,
# unusable or aimed at no window, as many PULL_RESPs as the daemon counted; each command
# applied by its node, answered on FPort 11 and shown acknowledged by `tinyfleet commands`;
# the node's behaviour changed (no more health messages after health-interval 600).
# Run from the repository root: BUILD=/abs/build sh tests/integration/downlink_fleet.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=downlink_fleet
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

N="$BUILD/tinyfleet-node"
SNK=44024241ED4CE9A68C6A8BC055233FD3
SAK=EC925802AE430CA77FD3DD73CB2CC588
APPKEY=2B7E151628AED2A6ABF7158809CF4F3C

free_ports COAP LORA
write_conf "$conf" test "$db" "127.0.0.1:$COAP" "127.0.0.1:$LORA" synchronous=normal \
    dedup_window_ms=50
cat >"$tmp/fleet.ini" <<EOT
[fleet]
speed = 10
duration_s = 120
seed = 5
bearer = lora
gateway_eui = AA555A0000000009
nwkskey = $SNK
appskey = $SAK
health_s = 15
confirmed = true
joineui = 70B3D57ED0000000
appkey = $APPKEY
[node.l1]
devaddr = 26013001
profile = elephant
[node.l2]
devaddr = 26013002
deveui = 0004A30B001C0002
profile = elephant
x = 100
[node.l3]
devaddr = 26013003
profile = whale
x = 200
[node.c1]
devaddr = 26013004
profile = elephant
x = 300
bearer = coap
[node.c2]
devaddr = 26013005
deveui = 0004A30B001C0005
profile = whale
x = 400
bearer = coap
EOT

# fleet_is EXPR: the fleet's node lines as st (name -> counters), its forwarder line as fw,
# `commands --json` as cmds, `stats --json` downlink counters as dl; EXPR holds.
fleet_is() {
    "$T" --db "$db" commands --json >"$tmp/cmds" 2>&1 || return 1
    "$T" --db "$db" stats --json >"$tmp/stats" 2>&1 || return 1
    python3 -c 'import json, sys
st, fw = {}, None
for l in open(sys.argv[1]):
    j = json.loads(l)
    if "forwarder" in j:
        fw = j
    else:
        st[j["node"]] = j
cmds = {c["devaddr"]: c for c in map(json.loads, open(sys.argv[2]))}
dl = [j for j in map(json.loads, open(sys.argv[3])) if j.get("bearer") == "downlink"][0]
ok = eval("(" + sys.argv[4] + ")")
if not ok:
    print(json.dumps({"st": st, "fw": fw, "cmds": cmds, "dl": dl}, indent=1))
sys.exit(0 if ok else 1)' "$tmp/fleet.out" "$tmp/cmds" "$tmp/stats" "$1" >"$tmp/fleet.show" 2>&1
}

check "tinyfleetd starts" "$log" start_daemon "$log"
check "the fleet's 5 nodes registered, 2 of them OTAA" "$tmp/out" sh -c "
    for d in 26013001 26013003 26013004; do
        '$T' --db '$db' node add \$d --nwkskey $SNK --appskey $SAK >'$tmp/out' 2>&1 || exit 1
    done
    for d in 2 5; do
        '$T' --db '$db' node add --otaa --devaddr 2601300\$d --deveui 0004A30B001C000\$d \
            --joineui 70B3D57ED0000000 --appkey $APPKEY >'$tmp/out' 2>&1 || exit 1
    done"
check "commands queued: health-interval for l1 (LoRa), threshold for c1 (CoAP), duty for l3" \
    "$tmp/out" sh -c "
    '$T' --db '$db' node command 26013001 health-interval seconds=600 >'$tmp/out' 2>&1 &&
    '$T' --db '$db' node command 26013004 threshold class=elephant conf=0.9 >>'$tmp/out' 2>&1 &&
    '$T' --db '$db' node command 26013003 duty permille=500 dr=3 >>'$tmp/out' 2>&1 &&
    '$T' --db '$db' node command 26013005 health-now >>'$tmp/out' 2>&1"

"$N" fleet --scenario "$tmp/fleet.ini" --coap "coap://127.0.0.1:$COAP/up" \
    --forwarder "127.0.0.1:$LORA" >"$tmp/fleet.out" 2>"$tmp/fleet.err"
rc=$?
cat "$tmp/fleet.out" "$tmp/fleet.err" >"$tmp/fleet.show"
check "fleet with confirmed uplinks: exit 0, every frame delivered" "$tmp/fleet.show" \
    test "$rc" -eq 0
check "both OTAA nodes joined once, with the DevAddr registered; the gateway switched both" \
    "$tmp/fleet.show" fleet_is '
all(st[n]["joined"] and st[n]["join_accepts"] == 1 and st[n]["join_requests"] == 1
    for n in ("l2", "c2")) and st["l2"]["devaddr"] == "26013002" and
st["c2"]["devaddr"] == "26013005" and dl["join_accept"] == 2 and dl["join_activated"] == 2'
check "every confirmed uplink acknowledged, over LoRa and over CoAP" "$tmp/fleet.show" fleet_is '
len(st) == 5 and all(s["frames"] >= 2 and s["dl_acks"] == s["frames"] and
                     s["dl_dropped"] == 0 for s in st.values())'
check "every PULL_RESP heard in RX1 or RX2 (or a join window) at its tmst: none late, bad or lost" \
    "$tmp/fleet.show" fleet_is '
fw is not None and fw["too_late"] == 0 and fw["bad"] == 0 and fw["left_over"] == 0 and
fw["pull_resps"] == sum(s["dl_accepted"] for s in st.values() if s["bearer"] == "lora") +
    st["l2"]["join_accepts"] and
fw["pull_resps"] == dl["rx1"] + dl["rx2"] and
dl["coap"] == st["c1"]["dl_accepted"] + st["c2"]["dl_accepted"]'
check "each command applied by its node, answered, acknowledged at the gateway" \
    "$tmp/fleet.show" fleet_is '
all(st[n]["dl_applied"] == 1 and st[n]["answers"] == 1 for n in ("l1", "l3", "c1", "c2")) and
st["l2"]["dl_applied"] == 0 and
all(cmds[d]["state"] == "acknowledged" and cmds[d]["status"] == "applied"
    for d in ("26013001", "26013003", "26013004", "26013005"))'
check "health-interval 600 took effect: l1 sent fewer frames than l2" "$tmp/fleet.show" \
    fleet_is 'st["l1"]["frames"] < st["l2"]["frames"]'

check "tinyfleetd alive" /dev/null alive "$dpid"
stop_daemon TERM 10
check "tinyfleetd exits 0 on SIGTERM" /dev/null test "$rc" = 0
finish
