#!/bin/sh
# SPDX-License-Identifier: MIT
# The sensing command end to end: `tinyfleet node command DEVADDR sensing listen_s=6
# every_s=30` queued for one of two simulated nodes (packet forwarder, tinyfleetd), and a bad
# schedule refused by the CLI. Checks: the node applies it (answered, acknowledged at the
# gateway) and listens in periods from then on (its JSON line's listen_periods), while the
# node without the command keeps listening continuously (one period, never stopped).
# The fleet sends confirmed uplinks: its nodes open receive windows only then.
# Run from the repository root: BUILD=/abs/build sh tests/integration/downlink_sensing.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=downlink_sensing
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

N="$BUILD/tinyfleet-node"
SNK=44024241ED4CE9A68C6A8BC055233FD3
SAK=EC925802AE430CA77FD3DD73CB2CC588

free_ports COAP LORA
write_conf "$conf" test "$db" "127.0.0.1:$COAP" "127.0.0.1:$LORA" synchronous=normal \
    dedup_window_ms=50
cat >"$tmp/fleet.ini" <<EOT
[fleet]
speed = 20
duration_s = 180
seed = 7
bearer = lora
gateway_eui = AA555A0000000009
nwkskey = $SNK
appskey = $SAK
health_s = 15
confirmed = true
[node.s1]
devaddr = 26014001
profile = elephant
[node.s2]
devaddr = 26014002
profile = elephant
x = 100
EOT

# fleet_is EXPR: the fleet's node lines as st (name -> counters), `commands --json` as cmds.
fleet_is() {
    "$T" --db "$db" commands --json >"$tmp/cmds" 2>&1 || return 1
    python3 -c 'import json, sys
st = {}
for l in open(sys.argv[1]):
    j = json.loads(l)
    if "node" in j:
        st[j["node"]] = j
cmds = {c["devaddr"]: c for c in map(json.loads, open(sys.argv[2]))}
ok = eval("(" + sys.argv[3] + ")")
if not ok:
    print(json.dumps({"st": st, "cmds": cmds}, indent=1))
sys.exit(0 if ok else 1)' "$tmp/fleet.out" "$tmp/cmds" "$1" >"$tmp/fleet.show" 2>&1
}

check "tinyfleetd starts" "$log" start_daemon "$log"
check "the 2 nodes registered" "$tmp/out" sh -c "
    for d in 26014001 26014002; do
        '$T' --db '$db' node add \$d --nwkskey $SNK --appskey $SAK >'$tmp/out' 2>&1 || exit 1
    done"
# The CLI's bytes (SPEC.md 9.1) and its refusals, on a node of its own: nothing queued.
check "node 26014003 registered for the CLI checks" "$tmp/out" sh -c "
    '$T' --db '$db' node add 26014003 --nwkskey $SNK --appskey $SAK >'$tmp/out' 2>&1"
n=0
for c in "mode=continuous|000000000000000000000000" \
    "listen_s=2.5 every_s=600|01C4090000C0270900000000" \
    "listen_s=10 wake_level=0.05 margin_db=15|02102700000000000066060F"; do
    n=$((n + 1))
    # shellcheck disable=SC2086 # the command's words are meant to split
    run --db "$db" node command 26014003 sensing ${c%|*}
    check_run "sensing ${c%|*}: exit 0, payload as SPEC.md 9.1" eval 'rc_is 0 &&
        [ "$(sqlite3 -batch "$db" "SELECT hex(payload) FROM commands WHERE id = $n")" = \
          "01$(printf %02X $n)0008${c#*|}" ]'
done
for bad in "" "listen_s=40 every_s=30" "listen_s=6" "mode=continuous listen_s=6" \
    "listen_s=6 every_s=60 margin_db=3" "listen_s=6 wake_level=1.5" "listen_s=6 margin_db=61" \
    "mode=sleep" "listen_s=0 every_s=60" "listen=6 every_s=60"; do
    # shellcheck disable=SC2086
    run --db "$db" node command 26014003 sensing $bad
    check_run "sensing $bad: exit 2, queues nothing" eval 'rc_is 2 && stdout_empty &&
        [ "$(sqlite3 -batch "$db" "SELECT count(*) FROM commands")" -eq 3 ]'
done
check "sensing listen_s=6 every_s=30 queued for s1" "$tmp/out" sh -c "
    '$T' --db '$db' node command 26014001 sensing listen_s=6 every_s=30 >'$tmp/out' 2>&1"

"$N" fleet --scenario "$tmp/fleet.ini" --forwarder "127.0.0.1:$LORA" >"$tmp/fleet.out" \
    2>"$tmp/fleet.err"
rc=$?
cat "$tmp/fleet.out" "$tmp/fleet.err" >"$tmp/fleet.show"
check "fleet: exit 0" "$tmp/fleet.show" test "$rc" -eq 0
check "s1 applied the schedule and answered; the gateway shows it acknowledged" \
    "$tmp/fleet.show" fleet_is '
st["s1"]["dl_applied"] == 1 and st["s1"]["answers"] == 1 and
cmds["26014001"]["command"] == "sensing" and cmds["26014001"]["state"] == "acknowledged" and
cmds["26014001"]["status"] == "applied"'
check "s1 listens 6 s of every 30 s since (4 or more periods); s2 still continuously (1)" \
    "$tmp/fleet.show" fleet_is '
st["s1"]["listen_periods"] >= 4 and st["s2"]["listen_periods"] == 1 and
st["s1"]["windows"] < st["s2"]["windows"] / 2'

check "tinyfleetd alive" /dev/null alive "$dpid"
stop_daemon TERM 10
check "tinyfleetd exits 0 on SIGTERM" /dev/null test "$rc" = 0
finish
