#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-ingest.sh BUILD_DIR - the packet-forwarder ingest table (`make bench-ingest`), with
# tinyfleetd, tinyfleet and bench/bench_lora already built in BUILD_DIR:
#  (a) forwarder ingest on one core: frames accepted per second of the daemon's own CPU time
#      (utime + stime from /proc, start-up and shutdown excluded), synchronous = normal and
#      full, beside the 50,000 target; wall-clock frames/s as a second, noisier figure;
#  (b) VmHWM with 10,000 registered nodes after 1,000,000 events, beside the 16 MB target;
#  (c) callgrind instructions per accepted frame, split into SQLite, crypto, JSON+base64 and
#      the rest: (I(load) - I(idle)) / frames, so start-up and shutdown cancel.
# Every number printed is measured by this run. Environment: BENCH_FRAMES (200000),
# BENCH_RSS_EVENTS (1000000), BENCH_CG_FRAMES (20000), BENCH_WINDOW (64), BENCH_EUIS (2).

set -u

if [ $# -ne 1 ] || [ ! -x "$1/bench/bench_lora" ] || [ ! -x "$1/tinyfleetd" ] ||
    [ ! -x "$1/tinyfleet" ]; then
    echo "usage: $0 BUILD_DIR (with tinyfleetd, tinyfleet and bench/bench_lora built)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
gen=$build/bench/bench_lora
daemon=$build/tinyfleetd
cli=$build/tinyfleet
frames=${BENCH_FRAMES:-200000}
rss_events=${BENCH_RSS_EVENTS:-1000000}
cg_frames=${BENCH_CG_FRAMES:-20000}
window=${BENCH_WINDOW:-64}
euis=${BENCH_EUIS:-2}
BENCH_NAME=bench-ingest
. tools/bench.inc
need valgrind callgrind_annotate sqlite3 python3
hz=$(getconf CLK_TCK)
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyfleet-bench-ingest.XXXXXX") || exit 1
dpid=""
cleanup() {
    if [ -n "$dpid" ]; then
        kill -KILL "$dpid" 2>/dev/null
        wait "$dpid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# template NODES: a database with NODES nodes whose keys are bench_lora's. `tinyfleet node
# add` creates it (the migrations run as they would for an operator); the registry is then
# filled by one bulk INSERT, without the placeholder node.
template() {
    t=$work/nodes$1.db
    if ! "$cli" --db "$t" node add 00000001 --nwkskey 000102030405060708090A0B0C0D0E0F \
        --appskey 000102030405060708090A0B0C0D0E0F >"$work/setup.out" 2>&1; then
        cat "$work/setup.out" >&2
        exit 1
    fi
    { "$gen" sql "$1" && echo "DELETE FROM nodes WHERE devaddr = 1;"; } |
        sqlite3 "$t" >>"$work/setup.out" 2>&1
    if [ "$(sqlite3 "$t" 'SELECT count(*) FROM nodes')" != "$1" ]; then
        echo "bench-ingest: registering $1 nodes failed" >&2
        cat "$work/setup.out" >&2
        exit 1
    fi
}

# start NODES SYNC [WRAPPER...]: tinyfleetd on a fresh copy of the NODES template and a free
# port ($port, $dpid, $db), CoAP off, no pruning during the run.
start() {
    nodes=$1
    sync=$2
    shift 2
    port=$(free_port)
    db=$work/run.db
    rm -f "$db" "$db-wal" "$db-shm"
    cp "$work/nodes$nodes.db" "$db"
    cat >"$work/conf" <<EOF
[gateway]
id = bench
site = bench
[storage]
path = $db
synchronous = $sync
retention_days = 0
[coap]
listen =
[lora]
listen = 127.0.0.1:$port
EOF
    "$@" "$daemon" -c "$work/conf" >"$work/daemon.log" 2>&1 &
    dpid=$!
    wait_for "$work/daemon.log" listening 60 || exit 1
}

# stop: SIGTERM and wait (the last commit, the counters; callgrind writes its file at exit).
stop() {
    kill -TERM "$dpid" 2>/dev/null
    wait "$dpid" 2>/dev/null
    dpid=""
}

# cpu_ticks: the daemon's utime and stime, clock ticks (fields 14 and 15 of /proc/PID/stat;
# the command name in field 2 has no blanks).
cpu_ticks() {
    awk '{ print $14, $15 }' "/proc/$dpid/stat"
}

# io_bytes: the daemon's rchar and wchar from /proc/PID/io (bytes through read and write
# system calls, sockets included).
io_bytes() {
    awk '$1 == "rchar:" || $1 == "wchar:" { printf "%s ", $2 }' "/proc/$dpid/io"
}

# status_kb FIELD: VmHWM or VmRSS of the daemon, kB.
status_kb() {
    awk -v f="$1:" '$1 == f { print $2 }' "/proc/$dpid/status"
}

# counter REASON: the lora counter from the stopped daemon's database.
counter() {
    sqlite3 "$db" "SELECT coalesce(sum(count), 0) FROM counters WHERE bearer = 'lora'
                   AND reason $1"
}

# val FILE KEY
val() {
    sed -n "s/^$2=//p" "$1"
}

# load OUT NODES FRAMES: bench_lora against the running daemon.
load() {
    "$gen" load -n "$2" -f "$3" -w "$window" -e "$euis" -t 120 "$port" >"$1" 2>&1
}

template 1000
template 10000

echo "Forwarder ingest: PUSH_DATA of 8 rxpk (one detection frame each) from $euis forwarder"
echo "EUIs, $window datagrams awaiting their PUSH_ACK, loopback; frames of 1,000 nodes."
echo
echo "(a) throughput, $frames frames per run, the two settings alternated twice; the"
echo "    daemon's CPU time (utime + stime) and bytes through read/write syscalls (rchar,"
echo "    wchar: mostly the WAL and the database file) during the load"
printf '%-14s %9s %7s %7s %7s %13s %9s %8s %8s %9s\n' synchronous accepted refused 'user s' \
    'sys s' 'frames/CPU-s' 'wall f/s' 'rd B/f' 'wr B/f' target
for sync in normal full normal full; do
    start 1000 "$sync"
    c0=$(cpu_ticks)
    io0=$(io_bytes)
    load "$work/load.$sync" 1000 "$frames"
    c1=$(cpu_ticks)
    io1=$(io_bytes)
    stop
    acc=$(counter "= 'accepted'")
    ref=$(counter "NOT IN ('accepted', 'duplicate')")
    python3 -c 'import sys
sync, acc, ref, hz = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
u0, s0, u1, s1 = (int(x) for x in (sys.argv[5] + " " + sys.argv[6]).split())
r0, w0, r1, w1 = (int(x) for x in (sys.argv[7] + " " + sys.argv[8]).split())
user, system = (u1 - u0) / hz, (s1 - s0) / hz
cpu = user + system
print("%-14s %9d %7s %7.2f %7.2f %13.0f %9s %8.0f %8.0f %9s" % (sync, acc, ref, user, system,
      acc / cpu if cpu > 0 else 0, sys.argv[9], (r1 - r0) / max(acc, 1), (w1 - w0) / max(acc, 1),
      ">= 50000"))' \
        "$sync" "$acc" "$ref" "$hz" "$c0" "$c1" "$io0" "$io1" \
        "$(val "$work/load.$sync" frames_per_s)"
    lost=$(val "$work/load.$sync" lost)
    if [ "${lost:-1}" != 0 ]; then
        echo "    (bench_lora: $lost datagrams without PUSH_ACK)"
    fi
done
echo

echo "(b) memory: 10,000 registered nodes, $rss_events events (one detection per frame),"
echo "    synchronous = full (the default)"
start 10000 full
load "$work/load.rss" 10000 "$rss_events"
hwm=$(status_kb VmHWM)
rss=$(status_kb VmRSS)
stop
acc=$(counter "= 'accepted'")
ev=$(sqlite3 "$db" 'SELECT count(*) FROM events')
printf '%-22s %9s %10s %10s %10s\n' '' events VmHWM VmRSS target
printf '%-22s %9s %7.1f MB %7.1f MB %10s\n' 'after the load' "$ev" \
    "$(echo "$hwm" | awk '{ print $1 / 1024 }')" "$(echo "$rss" | awk '{ print $1 / 1024 }')" \
    '<= 16 MB'
echo "    ($acc frames accepted, wall $(val "$work/load.rss" frames_per_s) frames/s;" \
    "database $(du -m "$db" | cut -f1) MB)"
echo

# cg NAME FRAMES: the daemon under callgrind, FRAMES frames (0: start and stop only).
cg() {
    start 1000 normal valgrind --tool=callgrind -q --callgrind-out-file="$work/cg.$1"
    if [ "$2" -gt 0 ]; then
        load "$work/load.cg.$1" 1000 "$2"
    fi
    stop
    counter "= 'accepted'" >"$work/acc.$1"
    callgrind_annotate --inclusive=yes --threshold=100 "$work/cg.$1" >"$work/ann.$1" 2>&1
}

echo "(c) callgrind: instructions per accepted frame, (I($cg_frames frames) - I(idle)) / frames,"
echo "    synchronous = normal; each group is the inclusive cost of the daemon's calls into it:"
echo "    SQLite = sqlite3_*, crypto = proto_aes*/proto_cmac*, JSON+base64 = cJSON_*/base64_*"
cg idle 0
cg load "$cg_frames"
python3 - "$work/cg.idle" "$work/cg.load" "$work/ann.idle" "$work/ann.load" \
    "$(cat "$work/acc.load")" <<'EOF'
import re, sys
sys.path.insert(0, "tools")
from callgrind_edges import read_edges

def split(path):
    """Total, and the inclusive cost of calls from the daemon's own code into each group."""
    edges, calls, total = read_edges(path)

    def ours(f): return (f[0] or "").endswith("/tinyfleetd")
    def sql(f): return "libsqlite3" in (f[0] or "")
    def crypto(f): return ours(f) and f[1].startswith(("proto_aes", "proto_cmac"))
    def json(f): return "libcjson" in (f[0] or "") or (ours(f) and f[1].startswith("base64_"))

    # Only calls made by our own code count, so a group is entered once however deep it
    # calls itself (cJSON's static helpers, SQLite's internal calls through its API).
    out = [total]
    for group in (sql, crypto, json):
        out.append(sum(c for (a, b), c in edges.items() if ours(a) and not group(a) and group(b)))
    flushes = sum(n for f, n in calls.items() if f[1] == "store_flush")
    return out, flushes

def inclusive(path, fns):
    """Inclusive cost of @fns from callgrind_annotate --inclusive=yes."""
    got = {}
    for line in open(path):
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+\S*:(\S+)", line)
        if m and m.group(2) in fns:
            got[m.group(2)] = got.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
    return got

(idle, f0), (load, f1) = split(sys.argv[1]), split(sys.argv[2])
frames = int(sys.argv[5])
if frames <= 0:
    print("    no frames accepted under callgrind")
    sys.exit(0)
d = [(b - a) / frames for a, b in zip(idle, load)]
total, sql, crypto, json = d
rest = total - sql - crypto - json
print("%-22s %9s %9s %9s %12s %9s" % ("", "total", "SQLite", "crypto", "JSON+base64", "rest"))
print("%-22s %9.0f %9.0f %9.0f %12.0f %9.0f" % ("per frame", total, sql, crypto, json, rest))
print("%-22s %9s %8.0f%% %8.0f%% %11.0f%% %8.0f%%" % ("share", "", 100 * sql / total,
      100 * crypto / total, 100 * json / total, 100 * rest / total))
print("    (%d frames accepted, %d commits: %.0f frames per commit)" % (
    frames, f1 - f0, frames / max(1, f1 - f0)))
fns = ["on_recv", "pfwd_parse", "uplink_process", "store_node_auth", "store_uplink",
       "store_flush", "dedup_lookup"]
a, b = inclusive(sys.argv[3], fns), inclusive(sys.argv[4], fns)
print("    inclusive per frame (callgrind_annotate --inclusive=yes): " + ", ".join(
    "%s %.0f" % (f, (b.get(f, 0) - a.get(f, 0)) / frames) for f in fns if f in b))
EOF
