#!/bin/sh
# SPDX-License-Identifier: MIT
# Many gateways, one site ([fusion] scope = site) over one real mosquitto on loopback: three
# tinyfleetd, each with its own nodes and database. A herd walks from gateway A's nodes to
# gateway B's along one zone: one alert (one id) whose nodes hold nodes of both, escalating
# when B's add evidence; a frame heard by two gateways counts once; a persistent subscriber
# sees every seq once, in order. Then kill -9 of the zone's owner mid-alert: another gateway
# continues the same alert within takeover_s, with the next seq, and no second alert opens.
# gw-c lists a dead broker before the live one ([mqtt] host tried in turn).
# Run from the repository root: BUILD=/abs/build sh tests/integration/site_fusion.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=site_fusion
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc

TAKEOVER=6
tcp_port BPORT
tcp_port DEAD # nothing listens there
start_broker "$BPORT" || { nok "mosquitto starts" "$tmp/mosquitto-$BPORT.log"; finish; }
mosquitto_sub -h 127.0.0.1 -p "$BPORT" -i "$SUB_ID" -c -q 1 -t "$PREFIX/alert/#" \
    -F '%t %p' >>"$tmp/sub.out" 2>>"$tmp/sub.err" &
pids="$pids $!"

# gateway X HOSTS: gateway gw-X, its config, database and log in $tmp/X; its LoRa port in LP_X.
gateway() {
    mkdir -p "$tmp/$1"
    free_ports cp lp
    eval "LP_$1=$lp"
    write_conf "$tmp/$1/conf" "gw-$1" "$tmp/$1/db" "127.0.0.1:$cp" "127.0.0.1:$lp" site=test
    cat >>"$tmp/$1/conf" <<EOF
[mqtt]
host = $2
reconnect_max_s = 1
[fusion]
scope = site
takeover_s = $TAKEOVER
[zone.line]
lat = -2.6530
lon = 37.2600
radius_m = 50000
[rule.elephant]
type = cluster
class = elephant
window_s = 300
min_nodes = 2
watch_confidence = 0.5
warning_confidence = 0.7
critical_confidence = 0.99
clear_after_s = 120
update_interval_s = 0
[health]
offline_after_s = 0
battery_low_mv = 0
EOF
}

# node X DEVADDR LAT LON: registered at gateway gw-X.
node() {
    "$T" --db "$tmp/$1/db" node add "$2" --nwkskey "$NK" --appskey "$AK" --lat "$3" --lon "$4" \
        >/dev/null || nok "node add $2 at $1"
}

# start X: gateway gw-X's daemon; pid in PID_X.
start() {
    "$D" -c "$tmp/$1/conf" 2>>"$tmp/$1/log" &
    eval "PID_$1=$!"
    pids="$pids $!"
    wait_for "$tmp/$1/log" "listening" 10
}

# hear X DEVADDR CONF FCNT: one elephant detection through gateway gw-X's forwarder.
hear() {
    detect "$2" "$3" "$4" >"$tmp/frame"
    eval "port=\$LP_$1"
    $EMU --server "127.0.0.1:$port" --eui AA555A0000000101 - <"$tmp/frame" >"$tmp/emu.out" 2>&1 ||
        nok "frame of $2 acknowledged by gw-$1" "$tmp/emu.out"
}

# transitions X: the rows of alert_transitions in gw-X's database.
transitions() {
    python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM alert_transitions").fetchone()[0])' \
        "$tmp/$1/db"
}

gateway a "127.0.0.1:$BPORT"
gateway b "127.0.0.1:$BPORT"
gateway c "127.0.0.1:$DEAD, 127.0.0.1:$BPORT"
node a 26A00000 -2.650 37.250
node a 26A00001 -2.651 37.255
node b 26B00000 -2.652 37.260
node b 26B00001 -2.653 37.265
node b 26A00001 -2.651 37.255 # heard by both: its frame counts once
node c 26C00000 -2.654 37.270
for g in a b c; do
    start "$g" || { nok "gw-$g starts" "$tmp/$g/log"; finish; }
done
sleep 4 # membership, then the claims settle (SITE_OWNER_SETTLE_MS after the first)

# alerts: "ID SEQS... GATEWAYS... LEVEL NODES DETECTIONS" per alert id of the zone, as the
# subscriber saw them.
alerts() {
    python3 - "$tmp/sub.out" "$PREFIX" <<'EOF'
import json, sys
rows = [l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines() if " " in l]
ms = [json.loads(p) for t, p in rows if t == sys.argv[2] + "/alert/elephant/line"]
for i in sorted({m["id"] for m in ms}):
    s = [m for m in ms if m["id"] == i]
    print(i, " ".join(str(m["seq"]) for m in s), " ".join(m["gateway"] for m in s),
          s[-1]["level"], ",".join(s[-1]["nodes"]), s[-1]["detections"])
EOF
}

hear a 26A00000 200 1
wait_for "$tmp/sub.out" '"seq":1,' 10
hear a 26A00001 230 1
hear b 26A00001 230 1 # the same frame, heard by gw-b too
wait_for "$tmp/sub.out" '"seq":2,' 10
hear b 26B00000 240 1
check "B's node escalates A's alert to critical (seq 3)" "$tmp/sub.out" \
    wait_for "$tmp/sub.out" '"seq":3,' 10
hear b 26B00001 180 1
wait_for "$tmp/sub.out" '"seq":4,' 10
sleep 1
alerts >"$tmp/alerts.out"
cat "$tmp/alerts.out"
check "one alert, seqs 1-4 once and in order, by gw-a, nodes of A and B, 4 detections" \
    "$tmp/alerts.out" grep -qx \
    "[0-9]* 1 2 3 4 gw-a gw-a gw-a gw-a critical 26A00000,26A00001,26B00000,26B00001 4" \
    "$tmp/alerts.out"
check "gw-b and gw-c stored no transition (not the owner)" "$tmp/b/log" \
    test "$(transitions b)$(transitions c)" = 00
check "gw-c reached the broker after the dead first entry of its host list" "$tmp/c/log" \
    grep -q "connected to 127.0.0.1:$BPORT" "$tmp/c/log"

# --- kill -9 of the owner mid-alert ----------------------------------------------------------
kill -KILL "$PID_a"
killed=$(date +%s)
sleep 0.5
hear c 26C00000 220 1 # a new node: the next transition is an update
check "another gateway continues the alert within takeover_s ($TAKEOVER s)" "$tmp/sub.out" \
    wait_for "$tmp/sub.out" '"seq":5,' "$TAKEOVER"
took=$(($(date +%s) - killed))
sleep 1
alerts >"$tmp/alerts.out"
cat "$tmp/alerts.out"
echo "taken over after ${took} s"
check "the same id, seq 5 next with gw-c's node, by gw-b (the lowest id alive); no second alert" \
    "$tmp/alerts.out" grep -qx \
    "[0-9]* 1 2 3 4 5 gw-a gw-a gw-a gw-a gw-b critical 26A00000,26A00001,26B00000,26B00001,26C00000 5" \
    "$tmp/alerts.out"
finish
