#!/bin/sh
# SPDX-License-Identifier: MIT
# Adaptive data rate end to end: tinyfleetd with [lora] adr = true and one simulated node
# (`tinyfleet-node fleet`, packet forwarder) sending at SF12, which its forwarder hears at
# 5.5 dB SNR: a strong link. Checks: after its 20th uplink the daemon queues one `duty`
# command with data rate 5 (SF7) and nothing else, the node applies and answers it,
# `tinyfleet commands` shows it acknowledged and `tinyfleet stats` counts it as adr; the
# node's uplinks before are stored at SF12BW125 and those after the answer at SF7BW125 (datr
# of the reception rows); and tinyfleetd does the same with adr = false: nothing queued.
# The fleet sends confirmed uplinks: its nodes open receive windows only then.
# Run from the repository root: BUILD=/abs/build sh tests/integration/downlink_adr.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=downlink_adr
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

N="$BUILD/tinyfleet-node"
SNK=44024241ED4CE9A68C6A8BC055233FD3
SAK=EC925802AE430CA77FD3DD73CB2CC588
DEVA=26015001

free_ports COAP LORA
# write_conf ends in [lora]: the two keys go there.
write_conf "$conf" test "$db" "" "127.0.0.1:$LORA" synchronous=normal dedup_window_ms=50
printf 'adr = true\nadr_interval_s = 60\n' >>"$conf"
cat >"$tmp/fleet.ini" <<EOT
[fleet]
speed = 70
duration_s = 1500
seed = 3
bearer = lora
gateway_eui = AA555A0000000009
nwkskey = $SNK
appskey = $SAK
health_s = 5
confirmed = true
sf = 12
[node.a1]
devaddr = $DEVA
profile = elephant
EOT

q() {
    sqlite3 -batch "$db" "$1"
}

check "tinyfleetd starts with [lora] adr = true" "$log" start_daemon "$log"
check "node $DEVA registered" "$tmp/out" sh -c \
    "'$T' --db '$db' node add $DEVA --nwkskey $SNK --appskey $SAK >'$tmp/out' 2>&1"
"$N" fleet --scenario "$tmp/fleet.ini" --forwarder "127.0.0.1:$LORA" >"$tmp/fleet.out" \
    2>"$tmp/fleet.err"
rc=$?
cat "$tmp/fleet.out" "$tmp/fleet.err" >"$tmp/fleet.show"
check "fleet: exit 0" "$tmp/fleet.show" test "$rc" -eq 0

"$T" --db "$db" commands --json >"$tmp/cmds" 2>&1
"$T" --db "$db" stats --json >"$tmp/stats" 2>&1
q "SELECT f.fcnt, r.datr FROM frames f JOIN receptions r ON r.frame_id = f.id ORDER BY f.fcnt" \
    >"$tmp/datr"
cat "$tmp/cmds" "$tmp/stats" "$tmp/fleet.out" "$tmp/datr" >"$tmp/show"
check "one command queued by ADR: duty, data rate 5 (SF7), acknowledged with status applied" \
    "$tmp/show" python3 -c 'import json, sys
c = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(c) == 1 and c[0]["command"] == "duty" and c[0]["state"] == "acknowledged"
         and c[0]["status"] == "applied" else 1)' "$tmp/cmds"
check "its payload: duty, permille 1000, dr 5" "$tmp/show" \
    test "$(q "SELECT substr(hex(payload), 7) FROM commands")" = "04E80305"
check "the node applied and answered one command" "$tmp/show" python3 -c 'import json, sys
st = [json.loads(l) for l in open(sys.argv[1]) if "node" in l][0]
sys.exit(0 if st["dl_applied"] == 1 and st["answers"] == 1 else 1)' "$tmp/fleet.out"
check "tinyfleet stats counts it: downlink adr 1" "$tmp/show" python3 -c 'import json, sys
dl = [j for j in map(json.loads, open(sys.argv[1])) if j.get("bearer") == "downlink"][0]
sys.exit(0 if dl["adr"] == 1 else 1)' "$tmp/stats"
# The 20 uplinks that decided at SF12; after the answer (the first frame on FPort 11), SF7.
check "uplinks stored at SF12BW125 until the command, at SF7BW125 from its answer on" \
    "$tmp/show" python3 -c 'import sys
rows = [l.strip().split("|") for l in open(sys.argv[1])]
ans = int(sys.argv[2])
before = [d for f, d in rows if int(f) < ans]
after = [d for f, d in rows if int(f) >= ans]
sys.exit(0 if len(before) >= 20 and set(before) == {"SF12BW125"} and len(after) >= 1
         and set(after) == {"SF7BW125"} else 1)' "$tmp/datr" \
    "$(q "SELECT min(fcnt) FROM frames WHERE fport = 11")"
check "tinyfleetd alive" /dev/null alive "$dpid"
stop_daemon TERM 10
check "tinyfleetd exits 0 on SIGTERM" /dev/null test "$rc" = 0

# adr = false (the default): another node, the same link; frames by devaddr.
sed -i 's/^adr = true$/adr = false/' "$conf"
check "node 26015002 registered" "$tmp/out" sh -c \
    "'$T' --db '$db' node add 26015002 --nwkskey $SNK --appskey $SAK >'$tmp/out' 2>&1"
check "tinyfleetd starts again with adr = false" "$log" start_daemon "$log"
# Unconfirmed: no receive windows to wait for, so it runs faster; ADR hears those uplinks too.
sed -i "s/^speed = .*/speed = 400/; s/^confirmed = .*/confirmed = false/;
        s/^devaddr = .*/devaddr = 26015002/" "$tmp/fleet.ini"
"$N" fleet --scenario "$tmp/fleet.ini" --forwarder "127.0.0.1:$LORA" >"$tmp/fleet.out" \
    2>"$tmp/fleet.err"
check "adr = false: 20 uplinks or more at SF12, no command queued" "$tmp/fleet.err" \
    test "$(q "SELECT count(*) >= 20 AND (SELECT count(*) FROM commands) = 1 FROM frames
               WHERE devaddr = 637620226")" = 1
stop_daemon TERM 10
finish
