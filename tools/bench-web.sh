#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-web.sh BUILD_DIR - the status page's table (`make bench-web`), with tinyfleetd,
# tinyfleet, tinyfleet-web and bench/bench_lora already built in BUILD_DIR:
#  (a) first load of the page with 1,000 nodes and 10,000 events (put there by tinyfleetd from
#      bench_lora's frames, one event each, with an elephant rule so that an alert is active):
#      in headless Chromium (tools/bench-web-page.py: cache off, from navigation start until
#      the table's pager counts every node with its first page built, every node is on the
#      map's canvas and the next frame is done), beside the 300 ms target; and each request
#      the page makes on load, timed alone with curl (server side);
#  (b) tinyfleet-web's VmHWM after serving all of (a), beside the 16 MB target;
#  (c) ingest while the page is polled: bench-ingest's throughput workload (PUSH_DATA of
#      bench_lora, frames of 1,000 nodes, synchronous = normal) with and without a
#      tinyfleet-web on the same database and a client fetching /api/status every second,
#      alternated twice; frames per CPU-second of tinyfleetd and wall frames/s, and their ratio.
# Every number printed is measured by this run. Environment: BENCH_FRAMES (200000, for c),
# BENCH_RUNS (5 page loads after the first), BENCH_WINDOW (64), BENCH_EUIS (2).

set -u

if [ $# -ne 1 ] || [ ! -x "$1/bench/bench_lora" ] || [ ! -x "$1/tinyfleetd" ] ||
    [ ! -x "$1/tinyfleet" ] || [ ! -x "$1/tinyfleet-web" ]; then
    echo "usage: $0 BUILD_DIR (with tinyfleetd, tinyfleet, tinyfleet-web, bench/bench_lora)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
gen=$build/bench/bench_lora
daemon=$build/tinyfleetd
cli=$build/tinyfleet
web=$build/tinyfleet-web
frames=${BENCH_FRAMES:-200000}
runs=${BENCH_RUNS:-5}
window=${BENCH_WINDOW:-64}
euis=${BENCH_EUIS:-2}
nodes=1000
events=10000
BENCH_NAME=bench-web
. tools/bench.inc
need sqlite3 python3 curl chromium
hz=$(getconf CLK_TCK)
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyfleet-bench-web.XXXXXX") || exit 1
dpid=""
wpid=""
ppid_=""
# kill_wait PID: SIGTERM, then wait for it.
kill_wait() {
    if [ -n "$1" ]; then
        kill -TERM "$1" 2>/dev/null
        wait "$1" 2>/dev/null
    fi
}
cleanup() {
    kill_wait "$ppid_"
    kill_wait "$wpid"
    kill_wait "$dpid"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# tcp_port: a TCP port on loopback that nothing is bound to right now.
tcp_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# The registry: bench_lora's 1,000 nodes (keys it derives from the DevAddr), created as
# bench-ingest does, then placed on a 32 x 32 grid about 3 km wide in one zone, so that the
# map draws every one of them.
t=$work/nodes.db
if ! "$cli" --db "$t" node add 00000001 --nwkskey 000102030405060708090A0B0C0D0E0F \
    --appskey 000102030405060708090A0B0C0D0E0F >"$work/setup.out" 2>&1; then
    cat "$work/setup.out" >&2
    exit 1
fi
{
    "$gen" sql "$nodes" && echo "DELETE FROM nodes WHERE devaddr = 1;" &&
        echo "UPDATE nodes SET zone = 'park',
              lat = -2.66 + ((devaddr - (SELECT min(devaddr) FROM nodes)) % 32) * 0.001,
              lon = 37.26 + ((devaddr - (SELECT min(devaddr) FROM nodes)) / 32) * 0.001;"
} | sqlite3 "$t" >>"$work/setup.out" 2>&1
if [ "$(sqlite3 "$t" 'SELECT count(*) FROM nodes WHERE lat IS NOT NULL')" != "$nodes" ]; then
    echo "bench-web: registering $nodes nodes failed" >&2
    cat "$work/setup.out" >&2
    exit 1
fi

# conf DB SYNC: the gateway's config ($work/conf) on a free UDP port ($port) and TCP port
# ($wport), CoAP off, no pruning, the zone of the grid and an elephant rule.
conf() {
    port=$(free_port)
    wport=$(tcp_port)
    cat >"$work/conf" <<EOF
[gateway]
id = bench
site = bench
[storage]
path = $1
synchronous = $2
retention_days = 0
[coap]
listen =
[lora]
listen = 127.0.0.1:$port
[web]
listen = 127.0.0.1:$wport
[zone.park]
lat = -2.645
lon = 37.275
radius_m = 2500
[rule.elephant]
type = cluster
class = elephant
window_s = 600
min_nodes = 2
watch_confidence = 0.5
warning_confidence = 0.75
clear_after_s = 3600
EOF
}

# start_daemon DB SYNC: tinyfleetd on a fresh copy of the registry at DB.
start_daemon() {
    rm -f "$1" "$1-wal" "$1-shm"
    cp "$t" "$1"
    conf "$1" "$2"
    "$daemon" -c "$work/conf" >"$work/daemon.log" 2>&1 &
    dpid=$!
    wait_for "$work/daemon.log" listening 60 || exit 1
}

# start_web: tinyfleet-web on $work/conf.
start_web() {
    "$web" -c "$work/conf" >"$work/web.log" 2>&1 &
    wpid=$!
    wait_for "$work/web.log" serving 30 || exit 1
}

load() {
    "$gen" load -n "$nodes" -f "$2" -w "$window" -e "$euis" -t 120 "$port" >"$1" 2>&1
}

val() {
    sed -n "s/^$2=//p" "$1"
}

# --- (a) and (b) ------------------------------------------------------------------------------
db=$work/page.db
start_daemon "$db" normal
load "$work/load.page" "$events"
kill_wait "$dpid"
dpid=""
ev=$(sqlite3 "$db" 'SELECT count(*) FROM events')
act=$(sqlite3 "$db" "SELECT count(*) FROM alerts WHERE state <> 'cleared'" 2>/dev/null ||
    echo '?')
start_web
url="http://127.0.0.1:$wport/"

echo "The status page: $nodes nodes on the map and in the table, $ev events in the database"
echo "(tinyfleetd put them there from bench_lora's frames), $act alert(s) active; tinyfleet-web"
echo "on loopback, no tiles."
echo
echo "(a) first load in headless Chromium, browser cache off; ms from navigation start on the"
echo "    page's clock: html = index.html received, DCL = DOMContentLoaded, load = load event,"
echo "    nodes = the table's pager counts $nodes nodes with its first page of rows built and"
echo "    the map's canvas has drawn all $nodes nodes, drawn = the frame after that was done"
echo "    (target: drawn < 300 ms)"
if ! python3 tools/bench-web-page.py "$(command -v chromium)" "$url" "$nodes" "$runs" \
    >"$work/page.out" 2>&1; then
    cat "$work/page.out" >&2
    exit 1
fi
grep -v = "$work/page.out"
echo "    drawn: first $(val "$work/page.out" drawn_first_ms) ms," \
    "median of the next $runs $(val "$work/page.out" drawn_median_ms) ms," \
    "max $(val "$work/page.out" drawn_max_ms) ms (target < 300 ms)"
echo
echo "    each request of a load timed alone (curl, median of 5, ms; kB of the body):"
for p in / app.css app.js leaflet/leaflet.css leaflet/leaflet.min.js api/status \
    'api/transitions?hours=24' metrics; do
    i=0
    : >"$work/curl"
    while [ $i -lt 5 ]; do
        curl -s -o /dev/null -w '%{time_total} %{size_download} %{http_code}\n' \
            "$url${p#/}" >>"$work/curl"
        i=$((i + 1))
    done
    sort -n "$work/curl" | awk -v p="/${p#/}" 'NR == 3 { printf "    %-26s %7.1f ms %7.1f kB  HTTP %s\n",
        p, $1 * 1000, $2 / 1024, $3 }'
done
echo
echo "(b) tinyfleet-web after serving all of (a):"
printf '    VmHWM %.1f MB, VmRSS %.1f MB (target VmHWM <= 16 MB)\n' \
    "$(awk '$1 == "VmHWM:" { print $2 / 1024 }' "/proc/$wpid/status")" \
    "$(awk '$1 == "VmRSS:" { print $2 / 1024 }' "/proc/$wpid/status")"
kill_wait "$wpid"
wpid=""
echo

# --- (c) ---------------------------------------------------------------------------------------
# poller: /api/status every second, as a page left open polls it (the page itself every 2 s).
poller() {
    while :; do
        curl -s -o /dev/null -w '%{http_code}\n' "$1" >>"$work/polls"
        sleep 1
    done
}

echo "(c) ingest while the page is polled: $frames frames of $nodes nodes per run"
echo "    (bench-ingest's workload, synchronous = normal); 'polled' = tinyfleet-web on the same"
echo "    database and a client fetching /api/status every second during the load;"
echo "    polls = answered 200 / made"
printf '    %-8s %9s %7s %13s %9s %7s\n' run accepted 'CPU s' 'frames/CPU-s' 'wall f/s' polls
for mode in alone polled alone polled; do
    start_daemon "$work/run.db" normal
    if [ "$mode" = polled ]; then
        start_web
        : >"$work/polls"
        poller "http://127.0.0.1:$wport/api/status" &
        ppid_=$!
    fi
    c0=$(awk '{ print $14 + $15 }' "/proc/$dpid/stat")
    load "$work/load.$mode" "$frames"
    c1=$(awk '{ print $14 + $15 }' "/proc/$dpid/stat")
    polls=-
    if [ "$mode" = polled ]; then
        kill_wait "$ppid_"
        ppid_=""
        polls=$(grep -c '^200$' "$work/polls")/$(grep -c . "$work/polls")
        kill_wait "$wpid"
        wpid=""
    fi
    kill_wait "$dpid"
    dpid=""
    acc=$(sqlite3 "$work/run.db" "SELECT coalesce(sum(count), 0) FROM counters
                                  WHERE bearer = 'lora' AND reason = 'accepted'")
    wall=$(val "$work/load.$mode" frames_per_s)
    echo "$mode $acc $c0 $c1 $wall" >>"$work/ingest"
    awk -v hz="$hz" -v p="$polls" '{ cpu = ($4 - $3) / hz
        printf "    %-8s %9d %7.2f %13.0f %9.0f %7s\n", $1, $2, cpu, (cpu > 0 ? $2 / cpu : 0), $5, p }' \
        "$work/ingest" | tail -n 1
done
awk -v hz="$hz" '{ cpu = ($4 - $3) / hz; f[$1] += cpu > 0 ? $2 / cpu : 0; w[$1] += $5 }
    END { printf "    polled / alone: frames/CPU-s %.3f, wall frames/s %.3f\n",
          f["polled"] / f["alone"], w["polled"] / w["alone"] }' "$work/ingest"
