#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-site.sh BUILD_DIR - a site under load (`make bench-site`), with tinyfleetd, tinyfleet
# and bench/bench_site built in BUILD_DIR: one real mosquitto on a free loopback port,
# BENCH_GATEWAYS tinyfleetd with [fusion] scope = site (gw-0, gw-1, ...), each with its own
# database of BENCH_BG_NODES nodes, and one more with scope = gateway on the same broker (the
# single-gateway figure). bench_site sends BENCH_RATE background frames per second to each
# daemon and every 100 ms a probe frame to gw-1 and to the single gateway at once; the probe's
# zone is claimed before the run (gw-0 hears a quiet frame of each probe node first); when
# another gateway than gw-1 holds it, the site alert goes frame -> gw-1 -> site input ->
# broker -> owner -> alert -> broker -> subscriber (a cross-gateway probe). Printed: site
# events per second (site inputs the subscriber received), cross-gateway and single-gateway
# alert latency p50/p99 side by side with their ratio (target: cross p99 <= 3x single p99),
# the CPU seconds of the broker and of the daemons (utime + stime from /proc/PID/stat over the
# load), and the load average. Every number printed is measured by this run.
# Environment: BENCH_GATEWAYS (4), BENCH_BG_NODES (1000 per gateway), BENCH_ZONES (50 per
# gateway), BENCH_RATE (250 frames/s per daemon), BENCH_PROBES (300), BENCH_SYNC (full).

set -u

if [ $# -ne 1 ] || [ ! -x "$1/bench/bench_site" ] || [ ! -x "$1/tinyfleetd" ]; then
    echo "usage: $0 BUILD_DIR (with tinyfleetd, tinyfleet and bench/bench_site built)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
gen=$build/bench/bench_site
ngw=${BENCH_GATEWAYS:-4}
bg=${BENCH_BG_NODES:-1000}
zones=${BENCH_ZONES:-50}
rate=${BENCH_RATE:-250}
probes=${BENCH_PROBES:-300}
sync=${BENCH_SYNC:-full}
BENCH_NAME=bench-site
. tools/bench.inc
need sqlite3 python3
[ "$ngw" -ge 2 ] && [ "$ngw" -le 15 ] || { echo "bench-site: BENCH_GATEWAYS 2..15" >&2; exit 2; }
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$MOSQUITTO" ] || { echo "bench-site: mosquitto not found" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyfleet-bench-site.XXXXXX") || exit 1
dpids=""
bpid=""
cleanup() {
    for p in $dpids $bpid; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    [ -n "${BENCH_KEEP:-}" ] && echo "bench-site: kept $work" >&2 || rm -rf "$work"
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

# daemon NAME INDEX SITE SCOPE PROBES: database, config and daemon; its LoRa port in $port.
daemon() {
    db=$work/$1.db
    "$build/tinyfleet" --db "$db" node add 00000001 --nwkskey 000102030405060708090A0B0C0D0E0F \
        --appskey 000102030405060708090A0B0C0D0E0F >/dev/null || exit 1
    "$gen" sql "$2" "$bg" "$zones" "$5" >"$work/$1.sql" || exit 1
    sqlite3 "$db" <"$work/$1.sql" || exit 1
    port=$(free_port)
    cat >"$work/$1.conf" <<CONF
[gateway]
id = $1
site = $3
[storage]
path = $db
synchronous = $sync
[coap]
listen =
[lora]
listen = 127.0.0.1:$port
[mqtt]
host = 127.0.0.1:$bport
[fusion]
scope = $4
takeover_s = 30
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
    "$build/tinyfleetd" -c "$work/$1.conf" >/dev/null 2>"$work/$1.log" &
    dpids="$dpids $!"
}

ports=""
g=0
while [ "$g" -lt "$ngw" ]; do
    # the probe nodes at gw-0 (their zones' owner) and gw-1 (where they are heard)
    p=0
    [ "$g" -le 1 ] && p=$probes
    daemon "gw-$g" "$g" bench site "$p"
    ports="$ports $port"
    g=$((g + 1))
done
daemon solo "$ngw" solo gateway "$probes"
solo=$port
g=0
while [ "$g" -lt "$ngw" ]; do
    wait_for "$work/gw-$g.log" "mqtt: connected" 10 || exit 1
    g=$((g + 1))
done
wait_for "$work/solo.log" "mqtt: connected" 10 || exit 1
sleep 5 # membership, then the claims settle (2 s after the first)

# cpu PID: utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat)
cpu() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}
b0=$(cpu "$bpid")
d0=""
for p in $dpids; do
    d0="$d0 $(cpu "$p")"
done
# shellcheck disable=SC2086 # the ports are words
"$gen" run "$bport" tinyfleet/bench tinyfleet/solo "$bg" "$probes" "$rate" "$solo" $ports \
    >"$work/out" || { cat "$work/out" >&2; exit 1; }
load=$(cut -d' ' -f1-3 /proc/loadavg)
b1=$(cpu "$bpid")
d1=""
for p in $dpids; do
    d1="$d1 $(cpu "$p")"
done
echo "broker_cpu_ticks=$((b1 - b0))" >>"$work/out"
echo "daemon_cpu_ticks_before=$d0" >>"$work/out"
echo "daemon_cpu_ticks_after=$d1" >>"$work/out"
grep -h "dropped\|not sent\|cannot" "$work"/*.log >&2

python3 - "$work/out" "$(getconf CLK_TCK)" "$ngw" "$bg" "$rate" "$probes" "$load" <<'PY'
import sys
r = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1]) if "=" in l)
tck = float(sys.argv[2])
ngw, bg, rate, probes, load = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7]
dur = float(r["duration_s"])
before = [int(x) for x in r["daemon_cpu_ticks_before"].split()]
after = [int(x) for x in r["daemon_cpu_ticks_after"].split()]
dcpu = [(a - b) / tck for a, b in zip(after, before)]
bcpu = int(r["broker_cpu_ticks"]) / tck
inputs = int(r["site_inputs"])
exp = int(r["site_inputs_expected"])
# every site input goes to the other gateways and to the bench's subscriber
delivered = inputs * ngw
print("bench-site: %d gateways with scope = site (%d nodes each, %d in all) and one with scope = gateway,"
      % (ngw, bg, ngw * bg))
print("  one mosquitto, %d background frames/s to each daemon, %s probes, over %.1f s; load average %s"
      % (rate, probes, dur, load))
print("site events: %d site inputs received of %d sent (%d lost), %.0f per second"
      % (inputs, exp, exp - inputs, inputs / dur))
print("probe alerts: %s probes, %s lost" % (probes, r["site_lost"]))
print("%-40s %6s %9s %9s %9s" % ("frame to alert at a subscriber", "probes", "p50", "p99", "max"))
for k, name in (("cross", "cross-gateway (gw-1 -> another owner)"), ("local", "site, gw-1 holds the zone"),
                ("single", "single gateway (scope = gateway)")):
    print("%-40s %6s %6s ms %6s ms %6s ms" % (name, r.get(k + "_received", "-"), r.get(k + "_p50_ms", "-"),
          r.get(k + "_p99_ms", "-"), r.get(k + "_max_ms", "-")))
if "cross_p99_ms" in r and "single_p99_ms" in r:
    p50 = float(r["cross_p50_ms"]) / float(r["single_p50_ms"])
    p99 = float(r["cross_p99_ms"]) / float(r["single_p99_ms"])
    print("%-40s %6s %8.2fx %8.2fx" % ("ratio cross-gateway / single gateway", "", p50, p99))
    print("target: cross-gateway p99 <= 3x single-gateway p99: %s" % ("met" if p99 <= 3 else "MISSED"))
print("CPU seconds over the load: broker %.2f (%.1f%% of one core, %.1f us per message delivered)"
      % (bcpu, 100 * bcpu / dur, 1e6 * bcpu / max(1, delivered + inputs)))
print("  site daemons %s, single daemon %.2f" % (" ".join("%.2f" % c for c in dcpu[:-1]), dcpu[-1]))
PY
