#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-coap.sh BUILD_DIR - the CoAP ingest table (`make bench-coap`): requests per second of
# tinyfleetd beside a bare libcoap server answering 2.04 without work, same load generator
# (tests/bench/bench_coap.c: CON POSTs, WINDOW outstanding, frames of NODES nodes), same
# run, as a ratio; then callgrind instructions per accepted event, split into CoAP (libcoap,
# minus the handler it calls), crypto (proto_aes*, proto_cmac*), SQLite (libsqlite3) and the
# rest (libuv, the daemon's own code, libc outside those). Each callgrind figure is
# (I(2N) - I(N)) / N, so start-up and shutdown cancel. The daemon runs with synchronous =
# normal (durable against a crash of the daemon; `full` also holds each 2.04 back until the
# WAL sync beside the loop has covered its commit: with the clients' window of outstanding
# requests that wait lowers the rate, to 0.41 of bare libcoap in one run). The
# machine may be shared: the servers take turns for BENCH_ROUNDS rounds and each keeps its
# best round, so a burst of foreign load does not decide the ratio.
# Environment: BENCH_SECONDS (2), BENCH_ROUNDS (3), BENCH_WINDOW (64), BENCH_NODES (1000),
# BENCH_N (2000).

set -u

if [ $# -ne 1 ] || [ ! -x "$1/bench/bench_coap" ] || [ ! -x "$1/tinyfleetd" ]; then
    echo "usage: $0 BUILD_DIR (with bench/bench_coap and tinyfleetd built)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
bin=$build/bench/bench_coap
daemon=$build/tinyfleetd
secs=${BENCH_SECONDS:-2}
rounds=${BENCH_ROUNDS:-3}
window=${BENCH_WINDOW:-64}
nodes=${BENCH_NODES:-1000}
n=${BENCH_N:-2000}
BENCH_NAME=bench-coap
. tools/bench.inc
need valgrind python3
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyfleet-bench-coap.XXXXXX") || exit 1
spid=""
cleanup() {
    if [ -n "$spid" ]; then
        kill -KILL "$spid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop_server: SIGTERM, then wait (callgrind writes its file at exit).
stop_server() {
    kill -TERM "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
    spid=""
}

if ! "$bin" setup "$work/template.db" "$nodes" >"$work/setup.out" 2>&1; then
    cat "$work/setup.out" >&2
    exit 1
fi

# start KIND [WRAPPER...]: a server on a fresh port into $port and $spid. KIND is bare or
# tinyfleetd; tinyfleetd gets a fresh copy of the database (every node's counter at the
# start), so the load's frames are all new.
start() {
    kind=$1
    shift
    port=$(free_port)
    log=$work/server.log
    case $kind in
    bare)
        "$@" "$bin" bare "$port" >"$log" 2>&1 &
        spid=$!
        ;;
    tinyfleetd)
        rm -f "$work/db" "$work/db-wal" "$work/db-shm"
        cp "$work/template.db" "$work/db"
        cat >"$work/conf" <<EOF
[gateway]
id = bench
site = bench
[storage]
path = $work/db
synchronous = normal
retention_days = 0
[coap]
listen = 127.0.0.1:$port
[lora]
listen =
EOF
        "$@" "$daemon" -c "$work/conf" >"$log" 2>&1 &
        spid=$!
        ;;
    esac
    wait_for "$log" listening 60
}

# rate KIND: req/s and friends, as key=value lines in $work/rate.KIND (the best round).
rate() {
    start "$1" || exit 1
    "$bin" load "$port" "$secs" "$window" "$nodes" >"$work/round" 2>&1
    stop_server
    new=$(val "$work/round" rate)
    case $new in
    '' | *[!0-9]*)
        echo "bench-coap: the load generator failed against $1:" >&2
        cat "$work/round" >&2
        exit 1
        ;;
    esac
    if [ ! -e "$work/rate.$1" ] || [ "$new" -gt "$(val "$work/rate.$1" rate)" ]; then
        cp "$work/round" "$work/rate.$1"
    fi
}

# val FILE KEY
val() {
    sed -n "s/^$2=//p" "$1"
}

# split KIND COUNT: run KIND under callgrind for COUNT requests; category totals into
# $work/split.KIND.COUNT as "total coap crypto sqlite ok".
split() {
    out=$work/cg.$1.$2
    start "$1" valgrind --tool=callgrind -q --callgrind-out-file="$out" || exit 1
    "$bin" count "$port" "$2" 16 "$nodes" >"$work/count.$1.$2" 2>&1
    stop_server
    python3 - "$out" "$(val "$work/count.$1.$2" ok_204)" >"$work/split.$1.$2" <<'EOF'
import sys
sys.path.insert(0, "tools")
from callgrind_edges import read_edges

path, ok = sys.argv[1], sys.argv[2]
edges, _, total = read_edges(path)

def sql(f): return "libsqlite3" in (f[0] or "")
def coap(f): return "libcoap" in (f[0] or "")
def crypto(f): return f[1].startswith(("proto_aes", "proto_cmac"))
def ours(f): return (f[0] or "").endswith(("/tinyfleetd", "/bench_coap"))

# Inclusive cost of the calls our own code makes into a group; for libcoap less the calls
# it makes back into our code (the handler), whose own calls into libcoap are counted where
# they happen. Only calls from our code count: libraries reach their own functions through
# allocator and PLT stubs callgrind puts in no object, which would count them twice.
s = sum(c for (a, b), c in edges.items() if sql(b) and ours(a))
k = sum(c for (a, b), c in edges.items() if crypto(b) and ours(a) and not crypto(a))
l = (sum(c for (a, b), c in edges.items() if coap(b) and ours(a)) -
     sum(c for (a, b), c in edges.items() if coap(a) and ours(b)))
print(total, l, k, s, ok)
EOF
}

# per_event KIND: (I(2N) - I(N)) / (ok(2N) - ok(N)) for each category.
per_event() {
    split "$1" "$n"
    split "$1" $((n * 2))
    python3 - "$work/split.$1.$n" "$work/split.$1.$((n * 2))" <<'EOF'
import sys
a = [int(x) for x in open(sys.argv[1]).read().split()]
b = [int(x) for x in open(sys.argv[2]).read().split()]
events = b[4] - a[4]
if events <= 0:
    print("none")
    sys.exit(0)
total, coap, crypto, sql = ((b[i] - a[i]) / events for i in range(4))
print("%.0f %.0f %.0f %.0f %.0f" % (total, coap, crypto, sql, total - coap - crypto - sql))
EOF
}

kinds="bare tinyfleetd"
echo "CoAP ingest: CON POST /up from $window UDP sockets (one request outstanding on each),"
echo "frames of $nodes nodes with increasing counters, loopback; best of $rounds rounds of"
echo "${secs} s per server, the servers taking turns"
echo
printf '%-34s %9s %7s %9s %10s %8s\n' server 'req/s' ratio 'in/out' 'latency' refused
r=0
while [ "$r" -lt "$rounds" ]; do
    for kind in $kinds; do
        rate "$kind"
    done
    r=$((r + 1))
done
bare=$(val "$work/rate.bare" rate)
for kind in $kinds; do
    f=$work/rate.$kind
    case $kind in
    bare) label="bare libcoap, piggybacked 2.04" ;;
    tinyfleetd) label="tinyfleetd (piggybacked, default)" ;;
    esac
    r=$(val "$f" rate)
    io=$(python3 -c 'import sys; print("%.1f/%.1f" % (float(sys.argv[1]), float(sys.argv[2])))' \
        "$(val "$f" tx_per_req)" "$(val "$f" rx_per_req)")
    printf '%-34s %9s %7s %9s %7s us %8s\n' "$label" "$r" \
        "$(python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' \
            "$r" "$bare")" "$io" "$(val "$f" latency_mean_us)" "$(val "$f" other)"
done
echo "(in/out: datagrams the server receives and sends per request; latency: mean, request"
echo " to 2.04, seen by the client; refused: responses other than 2.04)"
echo
echo "callgrind, instructions per accepted event ((I($((n * 2))) - I($n)) / $n requests, window 16)"
printf '%-34s %9s %9s %9s %9s %9s\n' server total CoAP crypto SQLite rest
for kind in $kinds; do
    set -- $(per_event "$kind")
    printf '%-34s %9s %9s %9s %9s %9s\n' "$kind" "$1" "${2:--}" "${3:--}" "${4:--}" "${5:--}"
done
