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
# shellcheck source=tests/integration/site.inc
. tests/integration/site.inc

tcp_port BPORT
tcp_port DEAD # nothing listens there
start_broker "$BPORT" || { nok "mosquitto starts" "$tmp/mosquitto-$BPORT.log"; finish; }
mosquitto_sub -h 127.0.0.1 -p "$BPORT" -i "$SUB_ID" -c -q 1 -t "$PREFIX/alert/#" \
    -F '%t %p' >>"$tmp/sub.out" 2>>"$tmp/sub.err" &
pids="$pids $!"

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
# shellcheck disable=SC2154 # PID_a is set by start, through eval
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
