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
# Beside MQTT, the daemon posts the same alerts to Debian's Alertmanager (a fresh one per run,
# config/alertmanager.yml with group_wait 1 s) and its webhook reaches a receiver on
# loopback (tests/tools/am_receivers.py): frame-to-webhook latency is printed too, with its
# target, within 2x the frame-to-MQTT p99 plus group_wait.
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
AM_BIN=/usr/bin/prometheus-alertmanager
[ -x "$AM_BIN" ] || { echo "bench-alert: $AM_BIN not found (make deps)" >&2; exit 1; }
GROUP_WAIT_S=1
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$MOSQUITTO" ] || { echo "bench-alert: mosquitto not found" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyfleet-bench-alert.XXXXXX") || exit 1
dpid=""
bpid=""
apid=""
wpid=""
cleanup() {
    for p in $dpid $bpid $apid $wpid; do
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

tcp_free() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# start_am SYNC: a fresh Alertmanager and webhook receiver for one run ($aport, $work/wh-SYNC).
start_am() {
    wport=$(tcp_free)
    aport=$(tcp_free)
    /usr/bin/python3 tests/tools/am_receivers.py webhook --port "$wport" --out "$work/wh-$1" \
        >"$work/wh-$1.log" 2>&1 &
    wpid=$!
    wait_for "$work/wh-$1.log" listening 10 || exit 1
    sed -e "s|http://127.0.0.1:9099/alerts|http://127.0.0.1:$wport/alerts|" \
        -e "s|group_wait: 10s|group_wait: ${GROUP_WAIT_S}s|" config/alertmanager.yml >"$work/am.yml"
    mkdir -p "$work/am-$1"
    "$AM_BIN" --config.file="$work/am.yml" --storage.path="$work/am-$1" \
        --web.listen-address="127.0.0.1:$aport" --cluster.listen-address= \
        >"$work/am-$1.log" 2>&1 &
    apid=$!
    i=0
    until python3 -c 'import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/-/ready" % sys.argv[1], timeout=1)' "$aport" \
        2>/dev/null; do
        i=$((i + 1))
        [ "$i" -lt 100 ] || { echo "bench-alert: alertmanager did not start" >&2; exit 1; }
        sleep 0.1
    done
}

stop_am() {
    kill -TERM "$apid" "$wpid"
    wait "$apid" "$wpid" 2>/dev/null
    apid=""
    wpid=""
}

# one SYNC: a fresh database with the nodes, the daemon, one load run; key=value on stdout.
one() {
    start_am "$1"
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
[alertmanager]
url = http://127.0.0.1:$aport
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
    BENCH_SENT_FILE="$work/sent-$1" "$gen" run "$port" "$bport" tinyfleet/bench "$bg" "$probes" \
        "$rate" >"$work/out-$1" || { cat "$work/out-$1" >&2; exit 1; }
    sleep $((GROUP_WAIT_S + 2)) # the last probes' notifications
    kill -TERM "$dpid"
    wait "$dpid"
    dpid=""
    stop_am
    # frame to webhook, per probe: its first firing notification (zone p<j>)
    python3 - "$work/sent-$1" "$work/wh-$1" >>"$work/out-$1" <<'PY'
import json, sys
sent = dict(map(int, l.split()) for l in open(sys.argv[1]))
got = {}
for line in open(sys.argv[2]):
    j = json.loads(line)
    for a in j["alerts"]:
        z = a["labels"].get("zone", "")
        if a["status"] == "firing" and z.startswith("p") and z[1:].isdigit():
            got.setdefault(int(z[1:]), j["_received_ns"])
lat = sorted(got[i] - sent[i] for i in sent if i in got)
print("webhook_received=%d\nwebhook_lost=%d" % (len(lat), len(sent) - len(lat)))
if lat:
    print("webhook_p50_ms=%.3f\nwebhook_p99_ms=%.3f" % (lat[len(lat) // 2] / 1e6, lat[len(lat) * 99 // 100] / 1e6))
PY
}

one full
one normal
python3 - "$work/out-full" "$work/out-normal" "$rate" "$probes" "$GROUP_WAIT_S" <<'PY'
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
gw = float(sys.argv[5])
print("frame to Alertmanager's webhook (group_wait %g s) vs frame to MQTT:" % gw)
print("%-22s %9s %9s %9s %12s" % ("synchronous", "hook p50", "hook p99", "lost", "target p99"))
for name, r in zip(("full (default)", "normal"), runs):
    target = 2 * float(r.get("alert_p99_ms", "nan")) + gw * 1000
    print("%-22s %6s ms %6s ms %9s %9.0f ms" % (name, r.get("webhook_p50_ms", "-"),
          r.get("webhook_p99_ms", "-"), r.get("webhook_lost", "-"), target))
print("target: webhook p99 within 2x the MQTT alert p99 plus group_wait")
PY
