#!/bin/sh
# SPDX-License-Identifier: MIT
# Many gateways, one site over a three-node NATS cluster (Debian's nats-server) with
# JetStream and its MQTT listener on each node, the gateways each listing the three nodes in
# [mqtt] host (their own first). The herd of site_fusion.sh walks from gw-a's nodes to gw-b's
# while the node gw-b is connected to is killed (kill -9) between two of gw-b's frames: gw-b
# moves on to the next nodes of its list, its queued input goes out, and the subscriber (on a
# surviving node, persistent session) sees seqs 1-4 of one alert, each once, in order.
# Run from the repository root: BUILD=/abs/build sh tests/integration/site_nats.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=site_nats
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc
# shellcheck source=tests/integration/site.inc
. tests/integration/site.inc

NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
if [ ! -x "$NATS" ]; then
    nok "nats-server is installed (Debian package nats-server, make deps)"
    finish
fi

for i in 0 1 2; do
    tcp_port "CL$i" # cluster routes
    tcp_port "MQ$i" # MQTT listeners
done

# nats I: cluster node nI (client port random) with JetStream and MQTT; pid in NPID_I.
nats() {
    routes=""
    for j in 0 1 2; do
        [ "$j" = "$1" ] || eval "routes=\"\$routes\${routes:+, }nats-route://127.0.0.1:\$CL$j\""
    done
    cl="" mq=""
    eval "cl=\$CL$1 mq=\$MQ$1"
    cat >"$tmp/n$1.conf" <<CONF
server_name: n$1
listen: 127.0.0.1:-1
jetstream { store_dir: "$tmp/js$1" }
mqtt { listen: 127.0.0.1:$mq, stream_replicas: 3 }
cluster { name: site, listen: 127.0.0.1:$cl, routes: [$routes] }
CONF
    "$NATS" -c "$tmp/n$1.conf" >>"$tmp/n$1.log" 2>&1 &
    eval "NPID_$1=$!"
    pids="$pids $!"
}

for i in 0 1 2; do
    nats "$i"
done
for i in 0 1 2; do
    wait_for "$tmp/n$i.log" "Server is ready" 10 || nok "NATS node n$i starts" "$tmp/n$i.log"
done
wait_for "$tmp/n0.log" "metadata leader" 10 || nok "the cluster elects a leader" "$tmp/n0.log"
# The first MQTT client of a fresh cluster makes JetStream's MQTT streams: the subscriber,
# on n0, which survives.
BPORT=$MQ0
n=0
until mosquitto_sub -h 127.0.0.1 -p "$BPORT" -i "$SUB_ID" -c -q 1 -t "$PREFIX/alert/#" \
    -W 1 -E 2>>"$tmp/sub.err"; do
    n=$((n + 1))
    [ "$n" -lt 10 ] || break
done
mosquitto_sub -h 127.0.0.1 -p "$BPORT" -i "$SUB_ID" -c -q 1 -t "$PREFIX/alert/#" \
    -F '%t %p' >>"$tmp/sub.out" 2>>"$tmp/sub.err" &
pids="$pids $!"

gateway a "127.0.0.1:$MQ0, 127.0.0.1:$MQ1, 127.0.0.1:$MQ2"
gateway b "127.0.0.1:$MQ1, 127.0.0.1:$MQ2, 127.0.0.1:$MQ0"
gateway c "127.0.0.1:$MQ2, 127.0.0.1:$MQ0, 127.0.0.1:$MQ1"
nodes
for g in a b c; do
    start "$g" || { nok "gw-$g starts" "$tmp/$g/log"; finish; }
done
for g in a b c; do
    wait_for "$tmp/$g/log" "site link: connected" 10 || nok "gw-$g's site link connects" "$tmp/$g/log"
done
sleep 4 # membership, then the claims settle

hear a 26A00000 200 1
wait_for "$tmp/sub.out" '"seq":1,' 10
hear a 26A00001 230 1
hear b 26A00001 230 1
wait_for "$tmp/sub.out" '"seq":2,' 10
hear b 26B00000 240 1
wait_for "$tmp/sub.out" '"seq":3,' 10

# --- n1, gw-b's node, dies ------------------------------------------------------------------
kill -KILL "$NPID_1"
killed=$(date +%s)
hear b 26B00001 180 1 # stored at gw-b; its input waits in the outbox for the next node
check "seq 4 arrives after n1 was killed (gw-b's input through n2)" "$tmp/sub.out" \
    wait_for "$tmp/sub.out" '"seq":4,' 30
echo "seq 4 $(($(date +%s) - killed)) s after the kill"
sleep 1
alerts >"$tmp/alerts.out"
cat "$tmp/alerts.out"
# The owner may change on the way (a gateway whose node stalls loses its membership): the
# alert goes on with the same id all the same.
check "one alert, seqs 1-4 once and in order, nodes of A and B; no transition lost" \
    "$tmp/alerts.out" grep -Eqx \
    "[0-9]+ 1 2 3 4( gw-[abc]){4} critical 26A00000,26A00001,26B00000,26B00001 4" \
    "$tmp/alerts.out"
check "gw-b moved on to a surviving node" "$tmp/b/log" \
    grep -Eq "connected to 127.0.0.1:($MQ2|$MQ0) " "$tmp/b/log"
finish
