#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-alert.sh BUILD_DIR - alert latency (`make bench-alert`), with tinyfleetd, tinyfleet
# and bench/bench_alert built in BUILD_DIR: a real mosquitto on a free loopback port, the
# daemon with its MQTT publisher, 1,000 background events per second through the packet-
# forwarder protocol, and one alert-opening probe frame every 100 ms. Printed side by side:
# frame-to-subscriber latency of the alerts (p50, p99) and the broker's own publish-to-
# subscriber latency of same-sized messages in the same run, and p99 as a ratio (target:
# within 2x), once with synchronous = full (the default: acknowledgements wait for a WAL
# sync beside the loop) and once with normal. Every number printed is measured by this run.
# Environment: BENCH_RATE (1000), BENCH_PROBES (500: p99 is then the 5th-slowest, not
# decided by one stall), BENCH_BG_NODES (200).

set -u

if [ $# -ne 1 ] || [ ! -x "$1/bench/bench_alert" ] || [ ! -x "$1/tinyfleetd" ]; then
    echo "usage: $0 BUILD_DIR (with tinyfleetd, tinyfleet and bench/bench_alert built)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
gen=$build/bench/bench_alert
rate=${BENCH_RATE:-1000}
probes=${BENCH_PROBES:-500}
bg=${BENCH_BG_NODES:-200}
BENCH_NAME=bench-alert
. tools/bench.inc
need sqlite3 python3
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$MOSQUITTO" ] || { echo "bench-alert: mosquitto not found" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyfleet-bench-alert.XXXXXX") || exit 1
dpid=""
bpid=""
cleanup() {
    for p in $dpid $bpid; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bport=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
cat >"$work/mosquitto.conf" <<CONF
listener $bport 127.0.0.1
user $(id -un)
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 100000
CONF
"$MOSQUITTO" -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
bpid=$!
wait_for "$work/mosquitto.log" "running" 10 || exit 1

# one SYNC: a fresh database with the nodes, the daemon, one load run; key=value on stdout.
one() {
    db=$work/run-$1.db
    "$gen" sql "$bg" "$probes" >"$work/nodes.sql" || exit 1
    "$build/tinyfleet" --db "$db" node add 00000001 --nwkskey 000102030405060708090A0B0C0D0E0F \
        --appskey 000102030405060708090A0B0C0D0E0F >/dev/null || exit 1
    sqlite3 "$db" <"$work/nodes.sql" || exit 1
    port=$(free_port)
    cat >"$work/conf" <<CONF
[gateway]
id = bench
site = bench
[storage]
path = $db
synchronous = $1
[coap]
listen =
[lora]
listen = 127.0.0.1:$port
[mqtt]
host = 127.0.0.1
port = $bport
[rule.elephant]
type = cluster
class = elephant
window_s = 60
min_nodes = 2
watch_confidence = 0.5
warning_confidence = 0.7
critical_confidence = 0.99
clear_after_s = 600
update_interval_s = 30
[health]
offline_after_s = 0
battery_low_mv = 0
CONF
    "$build/tinyfleetd" -c "$work/conf" 2>"$work/daemon-$1.log" &
    dpid=$!
    wait_for "$work/daemon-$1.log" "mqtt: connected" 10 || exit 1
    "$gen" run "$port" "$bport" tinyfleet/bench "$bg" "$probes" "$rate" >"$work/out-$1" ||
        { cat "$work/out-$1" >&2; exit 1; }
    kill -TERM "$dpid"
    wait "$dpid"
    dpid=""
}

one full
one normal
python3 - "$work/out-full" "$work/out-normal" "$rate" "$probes" <<'PY'
import sys
runs = []
for path in sys.argv[1:3]:
    runs.append(dict(l.strip().split("=", 1) for l in open(path) if "=" in l))
rate, probes = sys.argv[3], sys.argv[4]
print("bench-alert: frame to alert at a subscriber vs the broker's own publish to subscriber")
print("  (%s background events/s through the forwarder protocol, %s probe alerts each run)" % (rate, probes))
print("%-22s %9s %9s %9s %9s %9s %9s %8s" % ("synchronous", "alert p50", "alert p99", "lost",
      "broker p50", "broker p99", "lost", "p99 x"))
for name, r in zip(("full (default)", "normal"), runs):
    print("%-22s %7s ms %7s ms %9s %7s ms %7s ms %9s %7sx" % (
        name, r.get("alert_p50_ms", "-"), r.get("alert_p99_ms", "-"), r.get("alert_lost", "-"),
        r.get("broker_p50_ms", "-"), r.get("broker_p99_ms", "-"), r.get("broker_lost", "-"),
        r.get("ratio_p99", "-")))
for name, r in zip(("full", "normal"), runs):
    print("  %s: background achieved %s events/s, %s PUSH_ACKs" % (name, r.get("background_rate"), r.get("push_acks")))
print("target: alert p99 within 2x the broker's p99")
PY
