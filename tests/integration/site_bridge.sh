#!/bin/sh
# SPDX-License-Identifier: MIT
# Many gateways, one site over mosquitto bridges: a broker per gateway, each bridged to a
# central one (topic <prefix>/# both, QoS 1, cleansession false), the subscriber on the
# central broker. The herd of site_fusion.sh walks from gw-a's nodes to gw-b's: one alert,
# seqs 1-4 once and in order; then kill -9 of the owner gw-a: its last will crosses the
# bridges and gw-b continues the same alert with seq 5 within takeover_s.
# Run from the repository root: BUILD=/abs/build sh tests/integration/site_bridge.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=site_bridge
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc
# shellcheck source=tests/integration/site.inc
. tests/integration/site.inc

# mqbroker NAME PORT [CENTRAL-PORT]: mosquitto NAME on PORT with its own store, bridged to
# the broker on CENTRAL-PORT when given; true once it runs.
mqbroker() {
    mkdir -p "$tmp/mq-$1"
    {
        echo "listener $2 127.0.0.1"
        echo "user $(id -un)"
        echo "allow_anonymous true"
        echo "set_tcp_nodelay true"
        echo "persistence true"
        echo "persistence_location $tmp/mq-$1/"
        echo "max_queued_messages 100000"
        echo "log_dest stderr"
        if [ -n "${3:-}" ]; then
            echo "connection br-$1"
            echo "address 127.0.0.1:$3"
            echo "topic $PREFIX/# both 1"
            echo "cleansession false"
            echo "remote_clientid br-$1"
            echo "local_clientid br-$1-local"
            echo "restart_timeout 1"
            echo "keepalive_interval 5"
        fi
    } >"$tmp/mq-$1.conf"
    "$MOSQUITTO" -c "$tmp/mq-$1.conf" 2>>"$tmp/mq-$1.log" &
    pids="$pids $!"
    wait_for "$tmp/mq-$1.log" "running" 10
}

tcp_port CPORT
tcp_port PA
tcp_port PB
tcp_port PC
mqbroker central "$CPORT" || { nok "the central mosquitto starts" "$tmp/mq-central.log"; finish; }
for g in a b c; do
    eval "port=\$P$(echo "$g" | tr abc ABC)"
    mqbroker "$g" "$port" "$CPORT" || { nok "gw-$g's mosquitto starts" "$tmp/mq-$g.log"; finish; }
done
for g in a b c; do
    wait_for "$tmp/mq-central.log" "as br-$g " 10 || nok "gw-$g's broker bridged" "$tmp/mq-$g.log"
done
mosquitto_sub -h 127.0.0.1 -p "$CPORT" -i "$SUB_ID" -c -q 1 -t "$PREFIX/alert/#" \
    -F '%t %p' >>"$tmp/sub.out" 2>>"$tmp/sub.err" &
pids="$pids $!"

gateway a "127.0.0.1:$PA"
gateway b "127.0.0.1:$PB"
gateway c "127.0.0.1:$PC"
nodes
for g in a b c; do
    start "$g" || { nok "gw-$g starts" "$tmp/$g/log"; finish; }
done
sleep 4 # membership, then the claims settle, across the bridges

walk

# shellcheck disable=SC2154 # PID_a is set by start, through eval
kill -KILL "$PID_a"
killed=$(date +%s)
sleep 0.5
hear c 26C00000 220 1
check "gw-b continues the alert within takeover_s ($TAKEOVER s), across the bridges" \
    "$tmp/sub.out" wait_for "$tmp/sub.out" '"seq":5,' "$TAKEOVER"
echo "taken over after $(($(date +%s) - killed)) s"
sleep 1
alerts >"$tmp/alerts.out"
cat "$tmp/alerts.out"
check "the same id, seq 5 by gw-b with gw-c's node; no second alert" "$tmp/alerts.out" grep -qx \
    "[0-9]* 1 2 3 4 5 gw-a gw-a gw-a gw-a gw-b critical 26A00000,26A00001,26B00000,26B00001,26C00000 5" \
    "$tmp/alerts.out"
finish
