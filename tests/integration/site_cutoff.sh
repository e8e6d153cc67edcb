#!/bin/sh
# SPDX-License-Identifier: MIT
# Many gateways, one site: a gateway cut off from the broker. Three tinyfleetd on one
# mosquitto, gw-a through a TCP proxy of its own. After the herd of site_fusion.sh (one
# alert, seqs 1-4 by its owner gw-a) the proxy is killed: gw-a keeps warning for its own
# nodes (a new node's transition, seq 5, stored and queued in its outbox), while gw-b takes
# the zone over (gw-a's last will) and publishes its own seq 5 for a node of gw-c. When the
# proxy returns, gw-a drops its superseded seq 5 before its outbox goes out (it would be a
# second seq 5 with other content) and its queued input catches up: gw-b publishes seq 6
# with gw-a's node. The subscriber sees seqs 1-6 of one alert, each once.
# Run from the repository root: BUILD=/abs/build sh tests/integration/site_cutoff.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=site_cutoff
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc
# shellcheck source=tests/integration/site.inc
. tests/integration/site.inc

tcp_port BPORT
tcp_port PPORT
start_broker "$BPORT" || { nok "mosquitto starts" "$tmp/mosquitto-$BPORT.log"; finish; }
mosquitto_sub -h 127.0.0.1 -p "$BPORT" -i "$SUB_ID" -c -q 1 -t "$PREFIX/alert/#" \
    -F '%t %p' >>"$tmp/sub.out" 2>>"$tmp/sub.err" &
pids="$pids $!"

# proxy: gw-a's way to the broker (the PUBACK proxy, losing nothing); pid in $ppid.
proxy() {
    python3 tests/tools/mqtt_puback_proxy.py --listen "127.0.0.1:$PPORT" \
        --broker "127.0.0.1:$BPORT" --lossy 0 2>>"$tmp/proxy.log" &
    ppid=$!
    pids="$pids $ppid"
    wait_for "$tmp/proxy.log" "listening" 5
}

proxy || { nok "the proxy starts" "$tmp/proxy.log"; finish; }
gateway a "127.0.0.1:$PPORT"
gateway b "127.0.0.1:$BPORT"
gateway c "127.0.0.1:$BPORT"
nodes
node a 26A00002 -2.6505 37.252
for g in a b c; do
    start "$g" || { nok "gw-$g starts" "$tmp/$g/log"; finish; }
done
sleep 4 # membership, then the claims settle

walk

# --- cut off ----------------------------------------------------------------------------------
kill -KILL "$ppid"
wait "$ppid" 2>/dev/null
: >"$tmp/proxy.log"
sleep 0.3
hear a 26A00002 210 1
n=0
while [ "$(transitions a)" != 5 ] && [ "$n" -lt 50 ]; do
    sleep 0.1
    n=$((n + 1))
done
check "cut off, gw-a keeps warning for its own node: seq 5 stored" "$tmp/a/log" \
    test "$(transitions a)" = 5
hear c 26C00000 220 1
check "gw-b takes the zone over and publishes seq 5 with gw-c's node" "$tmp/sub.out" \
    wait_for "$tmp/sub.out" '"seq":5,' "$TAKEOVER"

# --- back -------------------------------------------------------------------------------------
proxy || nok "the proxy starts again" "$tmp/proxy.log"
check "gw-a's queued input catches up: gw-b publishes seq 6" "$tmp/sub.out" \
    wait_for "$tmp/sub.out" '"seq":6,' 10
sleep 1
alerts >"$tmp/alerts.out"
cat "$tmp/alerts.out"
check "one alert, seqs 1-6 each once (gw-a's superseded seq 5 never sent), nodes of A, B, C" \
    "$tmp/alerts.out" grep -qx \
    "[0-9]* 1 2 3 4 5 6 gw-a gw-a gw-a gw-a gw-b gw-b critical 26A00000,26A00001,26B00000,26B00001,26C00000,26A00002 6" \
    "$tmp/alerts.out"
check "gw-a logged the transitions it dropped" "$tmp/a/log" \
    grep -q "seq 5 .* not sent: gw-b published that seq already" "$tmp/a/log"
finish
