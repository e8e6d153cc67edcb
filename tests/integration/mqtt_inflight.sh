#!/bin/sh
# SPDX-License-Identifier: MIT
# Alert messages in flight (published QoS 1, their PUBACK not back yet) when the broker stops
# answering, over a real mosquitto on free loopback ports and the test's subscriber with a
# persistent session. Each part sends a burst of 80 outbox messages, more than the 64 the
# daemon keeps in flight, and requires every stored transition to arrive, per alert in seq
# order:
# 1. a proxy between the daemon and the broker loses every PUBACK of its first connection
#    (the broker still answers pings): after [mqtt] puback_timeout_s the daemon logs it,
#    reconnects and sends the outbox again from the oldest row;
# 2. the broker stopped (SIGSTOP) with the messages in flight, then killed and started again,
#    the daemon running;
# 3. the same with kill -9 of the daemon while its messages are in flight.
# A row deleted when it is published instead of at its PUBACK is lost in parts 2 and 3.
# Run from the repository root: BUILD=/abs/build sh tests/integration/mqtt_inflight.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=mqtt_inflight
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc

# wait_count FILE FIXED-STRING N SECONDS: true once FILE has N lines with the string.
wait_count() {
    n=0
    while [ "$n" -lt "$(($4 * 20))" ]; do
        if [ "$(grep -cF -- "$2" "$1" 2>/dev/null)" -ge "$3" ]; then
            return 0
        fi
        sleep 0.05
        n=$((n + 1))
    done
    return 1
}

# burst TAG: 20 zones TAG0..TAG19 with two nodes each (DevAddr 26TT..), registered, and a
# detection of each node in $tmp/burst-TAG. Each zone's alert opens and escalates: 40
# transitions, 80 outbox messages.
burst() {
    i=0
    : >"$tmp/burst-$1"
    while [ "$i" -lt 20 ]; do
        a=$(printf '26%s%02X00' "$1" "$i")
        b=$(printf '26%s%02X01' "$1" "$i")
        "$T" --db "$db" node add "$a" --nwkskey "$NK" --appskey "$AK" --zone "z$1-$i" >/dev/null
        "$T" --db "$db" node add "$b" --nwkskey "$NK" --appskey "$AK" --zone "z$1-$i" >/dev/null
        detect "$a" 180 1 >>"$tmp/burst-$1"
        detect "$b" 240 1 >>"$tmp/burst-$1"
        i=$((i + 1))
    done
}

# sub_connects: how many times the subscriber has connected to the broker on $BPORT.
sub_connects() {
    grep -c "as $SUB_ID" "$tmp/mosquitto-$BPORT.log"
}

tcp_port BPORT
tcp_port PPORT
free_ports CPORT LPORT
start_broker "$BPORT" || { nok "mosquitto starts" "$tmp/mosquitto-$BPORT.log"; finish; }
subscribe
python3 tests/tools/mqtt_puback_proxy.py --listen "127.0.0.1:$PPORT" \
    --broker "127.0.0.1:$BPORT" --lossy 1 2>"$tmp/proxy.log" &
ppid=$!
pids="$pids $ppid"
wait_for "$tmp/proxy.log" listening 5 || { nok "the proxy starts" "$tmp/proxy.log"; finish; }

write_conf "$conf" gw-t "$db" "127.0.0.1:$CPORT" "127.0.0.1:$LPORT" site=test
cat >>"$conf" <<EOF
[mqtt]
host = 127.0.0.1
port = $PPORT
reconnect_max_s = 1
puback_timeout_s = 2
[rule.elephant]
type = cluster
class = elephant
window_s = 60
min_nodes = 2
watch_confidence = 0.5
warning_confidence = 0.7
critical_confidence = 0.99
clear_after_s = 600
update_interval_s = 0
[health]
offline_after_s = 0
battery_low_mv = 0
EOF
burst 04
burst 05
burst 06

start_daemon "$log" || { nok "tinyfleetd starts" "$log"; finish; }
wait_for "$tmp/sub.out" " $PREFIX/gateway/gw-t/status {\"state\":\"online\"" 10 ||
    nok "the daemon connects through the proxy" "$log"

# --- 1. the broker answers pings but never PUBACKs ------------------------------------------
send "$tmp/burst-04" || nok "burst 1 acknowledged" "$tmp/emu.out"
check "the proxy loses the PUBACKs of the first connection" "$tmp/proxy.log" \
    wait_for "$tmp/proxy.log" "dropped PUBACK" 5
check "after puback_timeout_s the daemon logs the missing PUBACK and drops the connection" \
    "$log" wait_for "$log" "no PUBACK for outbox row" 10
check "it reconnects" "$log" wait_count "$log" "mqtt: connected to" 2 10
check "every transition arrives, in seq order per alert" "$tmp/delivered.out" wait_delivered 15
check "the outbox is empty" "$log" test "$(outbox_depth)" = 0

# --- 2. the broker stopped with messages in flight, killed, started again ---------------------
stop_daemon TERM 10
kill -TERM "$ppid"
sed -i "s/^port = $PPORT\$/port = $BPORT/" "$conf"
# A clean stop writes the broker's persistence file, with the subscriber's session: a broker
# killed later starts from it, and queues the messages for the subscriber until it is back.
subs=$(sub_connects)
stop_broker
start_broker "$BPORT"
wait_count "$tmp/mosquitto-$BPORT.log" "as $SUB_ID" $((subs + 1)) 10 ||
    nok "the subscriber reconnects after a clean broker restart" "$tmp/sub.err"
start_daemon "$log.2" || nok "tinyfleetd restarts" "$log.2"
wait_for "$log.2" "mqtt: connected to" 10 || nok "the daemon connects to the broker" "$log.2"
kill -STOP "$bpid"
send "$tmp/burst-05" || nok "burst 2 acknowledged with the broker stopped" "$tmp/emu.out"
sleep 0.5
depth=$(outbox_depth)
check "broker stopped: all 80 messages, 64 of them in flight, stay in the outbox ($depth)" \
    "$log.2" test "$depth" -eq 80
check "no PUBACK within puback_timeout_s: logged, the connection dropped" "$log.2" \
    wait_for "$log.2" "no PUBACK for outbox row" 10
kill -KILL "$bpid"
wait_exit "$bpid" 5
start_broker "$BPORT"
check "broker killed and started again: every transition arrives, in seq order per alert" \
    "$tmp/delivered.out" wait_delivered 20
check "the outbox is empty" "$log.2" test "$(outbox_depth)" = 0

# --- 3. the daemon killed while its messages are in flight -------------------------------------
kill -STOP "$bpid"
send "$tmp/burst-06" || nok "burst 3 acknowledged with the broker stopped" "$tmp/emu.out"
sleep 0.5
depth=$(outbox_depth)
check "broker stopped: the 80 messages stay in the outbox ($depth)" "$log.2" test "$depth" -eq 80
kill -KILL "$dpid"
wait_exit "$dpid" 5
dpid=""
kill -KILL "$bpid"
wait_exit "$bpid" 5
start_broker "$BPORT"
start_daemon "$log.3" || nok "tinyfleetd starts after kill -9" "$log.3"
check "daemon and broker killed: after their restart every transition arrives, in order" \
    "$tmp/delivered.out" wait_delivered 20
check "the outbox is empty" "$log.3" test "$(outbox_depth)" = 0
cat "$tmp/delivered.out"

finish
