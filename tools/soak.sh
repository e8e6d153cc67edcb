#!/bin/sh
# SPDX-License-Identifier: MIT
# soak.sh BUILD_DIR - `make soak` (not in CI): many simulated nodes for a long time into one
# tinyfleetd, to see that its memory and queues stay flat. The fleet is the one of
# tests/integration/system_fleet.sh (tests/system/scenario.py): elephant sensors in rows of
# ten, one zone per row, herds walking along the rows; half post over CoAP, half send over
# LoRa through two forwarders whose coverage overlaps (tests/system/pfwd_overlap.py); the
# daemon fuses and publishes alerts and detections to a real mosquitto on a free loopback
# port, with a QoS 1 subscriber. `tinyfleet-node fleet` runs 50 nodes per process.
#
# Each minute one line: the daemon's VmRSS and VmHWM, the MQTT outbox depth, frames stored
# (total and in that minute), the WAL file's size, refused frames (every counter but
# accepted and duplicate), duplicates (the overlapping forwarders' copies), alert
# transitions, the daemon's CPU seconds. At the end the fleet's own counters (frames lost)
# and a verdict on RSS:
#   flat when VmRSS grew by at most SOAK_RSS_BOUND_KB (1024) over the last third of the run
#   (10 minutes of the default 30; at least the last minute).
# Why 1 MiB: after the first minutes the daemon's memory is bounded by design (SQLite's page
# cache, the node cache, fusion windows of at most FUSION_WINDOW_MAX entries, libcoap's
# sessions, one per node); what can still grow is a leak per frame or per message. The
# smallest glibc allocation takes 32 bytes, and the verdict line prints what one such leak
# per stored frame would have added over the same span. 5,000 nodes stored about 14,000 frames
# a minute here: over 10 minutes one 32-byte leak per frame adds more than 4 MiB, four times
# the bound, while allocator noise (a few pages) stays far below it. SQLite's page cache (the
# default 2 MiB per connection) fills while the database is young, which shows as growth in
# the first minutes. A shortened run has a shorter span and fewer frames: its verdict line says
# how much a leak would have shown, so read it with that in mind.
#
# The battery threshold is 3120 mV, below most simulated batteries (3101..3600 mV): a battery_low
# alert never clears here, and 40 % of 5,000 nodes (the 3300 mV default) would hold more
# alerts open than fusion's cap of 1,024 active alerts; 6 % keep about 300 open.
#
# Environment: SOAK_NODES (5000), SOAK_MINUTES (30), SOAK_SPEED (1: simulated seconds per
# second), SOAK_HEALTH_S (60: simulated seconds between health messages per node),
# SOAK_SYNC (full: [storage] synchronous), SOAK_RSS_BOUND_KB (1024), SOAK_KEEP (a directory:
# keep the database and logs there instead of deleting them).
# Exit status: 0 when RSS was flat, no frame was refused or lost, no error was logged.

# shellcheck disable=SC2317 # cleanup is run by the trap
set -u

if [ $# -ne 1 ] || [ ! -x "$1/tinyfleetd" ] || [ ! -x "$1/tinyfleet" ] ||
    [ ! -x "$1/tinyfleet-node" ]; then
    echo "usage: $0 BUILD_DIR (with tinyfleetd, tinyfleet and tinyfleet-node built)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
D=$build/tinyfleetd
T=$build/tinyfleet
N=$build/tinyfleet-node
nodes=${SOAK_NODES:-5000}
minutes=${SOAK_MINUTES:-30}
speed=${SOAK_SPEED:-1}
health_s=${SOAK_HEALTH_S:-60}
sync=${SOAK_SYNC:-full}
bound_kb=${SOAK_RSS_BOUND_KB:-1024}
per=50
prefix=tinyfleet/soak

for tool in mosquitto mosquitto_sub python3; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
        echo "soak: $tool is missing (Debian packages mosquitto, mosquitto-clients, python3)" >&2
        exit 1
    fi
done
mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)

if [ -n "${SOAK_KEEP:-}" ]; then
    mkdir -p "$SOAK_KEEP" || exit 1
    work=$(cd "$SOAK_KEEP" && pwd)
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/tinyfleet-soak.XXXXXX") || exit 1
fi
db=$work/soak.db
log=$work/daemon.log
dpid=""
pids=""
fleets=""
cleanup() {
    for p in $fleets $dpid $pids; do
        kill -KILL "$p" 2>/dev/null
    done
    wait 2>/dev/null
    [ -n "${SOAK_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# wait_file FILE STRING SECONDS: true once FILE contains STRING.
wait_file() {
    n=0
    while [ "$n" -lt "$(($3 * 10))" ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        n=$((n + 1))
    done
    return 1
}

ports=$(python3 -c 'import socket
t = socket.socket()
t.bind(("127.0.0.1", 0))
u = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for s in u:
    s.bind(("127.0.0.1", 0))
print(t.getsockname()[1], *(s.getsockname()[1] for s in u))') || exit 1
# shellcheck disable=SC2086 # three numbers, split on purpose
set -- $ports
mqtt_port=$1
coap_port=$2
lora_port=$3

# --- broker, subscriber, nodes, daemon, relay ---------------------------------------------------
{
    echo "listener $mqtt_port 127.0.0.1"
    echo "user $(id -un)"
    echo "allow_anonymous true"
    echo "max_queued_messages 100000"
    echo "log_dest stderr"
} >"$work/mosquitto.conf"
"$mosquitto" -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
pids="$pids $!"
wait_file "$work/mosquitto.log" running 10 || {
    echo "soak: mosquitto does not start" >&2
    cat "$work/mosquitto.log" >&2
    exit 1
}
mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -i tinyfleet-soak-sub -c -q 1 -t "$prefix/#" \
    -F '%t' >"$work/sub.out" 2>"$work/sub.err" &
pids="$pids $!"

mkdir -p "$work/fleet"
# The scenario's duration is simulated time: the minutes of wall clock at this speed.
sim_s=$(python3 -c 'import sys; print(int(float(sys.argv[1]) * 60 * float(sys.argv[2])))' \
    "$minutes" "$speed") || exit 2
rm -f "$db" "$db-wal" "$db-shm"
if ! "$T" --db "$db" node add 00000001 --nwkskey 000102030405060708090A0B0C0D0E0F \
    --appskey 000102030405060708090A0B0C0D0E0F >"$work/setup.out" 2>&1 ||
    ! python3 tests/system/scenario.py --out "$work/fleet" --db "$db" --nodes "$nodes" \
        --per "$per" --speed "$speed" --duration-s "$sim_s" \
        --health-s "$health_s" --coap "coap://127.0.0.1:$coap_port/up" \
        --forwarder "127.0.0.1:0" >>"$work/setup.out" 2>&1 ||
    ! python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("DELETE FROM nodes WHERE devaddr = 1")
c.commit()' "$db" >>"$work/setup.out" 2>&1; then
    cat "$work/setup.out" >&2
    exit 1
fi

cat >"$work/tinyfleetd.conf" <<EOF
[gateway]
id = gw-soak
site = soak
[storage]
path = $db
synchronous = $sync
[coap]
listen = 127.0.0.1:$coap_port
[lora]
listen = 127.0.0.1:$lora_port
[mqtt]
host = 127.0.0.1
port = $mqtt_port
prefix = $prefix
publish_events = true
reconnect_max_s = 2
[rule.elephant]
type = cluster
class = elephant
window_s = 600
min_nodes = 2
watch_confidence = 0.5
warning_confidence = 0.75
critical_confidence = 0.995
clear_after_s = 60
update_interval_s = 10
[health]
offline_after_s = 0
battery_low_mv = 3120
EOF
cat "$work/fleet/zones.conf" >>"$work/tinyfleetd.conf"
"$D" -c "$work/tinyfleetd.conf" 2>"$log" &
dpid=$!
wait_file "$log" listening 10 || {
    echo "soak: tinyfleetd does not start" >&2
    cat "$log" >&2
    exit 1
}
python3 tests/system/pfwd_overlap.py --server "127.0.0.1:$lora_port" \
    --overlap "$work/fleet/overlap.txt" --pair AA555A0000000101=AA555A0000000102 \
    --port-file "$work/relay.port" --stats "$work/relay.json" 2>"$work/relay.err" &
relay=$!
pids="$pids $relay"
wait_file "$work/relay.port" "" 5 || {
    echo "soak: the overlap relay does not start" >&2
    cat "$work/relay.err" >&2
    exit 1
}
relay_port=$(cat "$work/relay.port")

for f in "$work"/fleet/fleet-*.ini; do
    k=$(basename "$f" .ini)
    "$N" fleet --scenario "$f" --coap "coap://127.0.0.1:$coap_port/up" \
        --forwarder "127.0.0.1:$relay_port" >"$work/$k.out" 2>"$work/$k.err" &
    fleets="$fleets $!"
done
t0=$(date +%s)
echo "soak: $nodes nodes ($(echo "$fleets" | wc -w) fleet processes) for $minutes min at" \
    "x$speed, health every ${health_s} s simulated, synchronous=$sync; work dir $work"

# --- one line a minute --------------------------------------------------------------------------
# sample MINUTE: the line, also appended to $work/samples (for the verdict).
hz=$(getconf CLK_TCK)
sample() {
    python3 - "$dpid" "$db" "$1" "$hz" "$work/samples" "$work/sub.out" <<'PY'
import json, os, sqlite3, subprocess, sys
pid, db, minute, hz, out, sub = sys.argv[1:7]
st = {}
try:
    for l in open("/proc/%s/status" % pid):
        k, _, v = l.partition(":")
        st[k] = v.split()[0] if v.split() else ""
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    cpu = (int(f[11]) + int(f[12])) / int(hz)
except OSError:
    print("soak: minute %s: the daemon is gone" % minute)
    sys.exit(1)
c = sqlite3.connect("file:" + db + "?mode=ro", uri=True, timeout=10)
frames = c.execute("SELECT count(*) FROM frames").fetchone()[0]
trans = c.execute("SELECT count(*) FROM alert_transitions").fetchone()[0]
c.close()
s = [json.loads(l) for l in subprocess.run([os.environ["T"], "--db", db, "stats", "--json"],
                                           capture_output=True, text=True, check=True)
     .stdout.splitlines()]
refused = sum(v for b in s[:-1] for k, v in b.items()
              if k not in ("bearer", "accepted", "duplicate"))
dup = sum(b["duplicate"] for b in s[:-1])
try:
    wal = os.path.getsize(db + "-wal") // 1024
except OSError:
    wal = 0
msgs = sum(1 for _ in open(sub, errors="replace"))
prev = [json.loads(l) for l in open(out)] if os.path.exists(out) else []
row = {"min": int(minute), "rss_kb": int(st["VmRSS"]), "hwm_kb": int(st["VmHWM"]),
       "outbox": s[-1]["outbox"], "frames": frames,
       "frames_min": frames - (prev[-1]["frames"] if prev else 0), "wal_kb": wal,
       "refused": refused, "dup": dup, "transitions": trans, "mqtt_msgs": msgs, "cpu_s": cpu}
with open(out, "a") as fh:
    fh.write(json.dumps(row) + "\n")
if not prev:
    print("soak:  min   VmRSS kB  VmHWM kB  outbox    frames  frames/min  WAL kB  refused"
          "  duplicate  transitions  MQTT msgs  daemon CPU s")
print("soak: %4d %10d %9d %7d %9d %11d %7d %8d %10d %12d %10d %13.1f" % (
    row["min"], row["rss_kb"], row["hwm_kb"], row["outbox"], frames, row["frames_min"], wal,
    refused, dup, trans, msgs, cpu))
PY
}
export T
m=1
while [ "$m" -le "$minutes" ]; do
    now=$(date +%s)
    [ "$((t0 + m * 60))" -gt "$now" ] && sleep "$((t0 + m * 60 - now))"
    sample "$m" || break
    m=$((m + 1))
done

# --- the end: the fleets flush and report, the verdict ----------------------------------------
for p in $fleets; do
    kill -TERM "$p" 2>/dev/null
done
for p in $fleets; do
    wait "$p"
done
fleets=""
sleep 2
kill -TERM "$relay"
wait "$relay"
alive=yes
kill -0 "$dpid" 2>/dev/null || alive=no
cat "$work"/fleet-*.out >"$work/nodes.jsonl"
python3 - "$work/samples" "$work/nodes.jsonl" "$work/relay.json" "$log" "$bound_kb" \
    "$alive" "$db" <<'PY'
import json, re, sqlite3, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
nodes = [json.loads(l) for l in open(sys.argv[2])]
rel = json.load(open(sys.argv[3]))
errors = [l.strip() for l in open(sys.argv[4], errors="replace") if re.match(r"^<[0-3]>", l)]
bound = int(sys.argv[5])
alive = sys.argv[6] == "yes"
sent = sum(n["frames"] for n in nodes)
lost = sum(n["tx_failed"] for n in nodes)
print("soak: the fleet: %d nodes reported, %d frames sent, %d not delivered, %d repeated by "
      "the second forwarder (%d acknowledged)" % (len(nodes), sent, lost, rel["dup_frames"],
                                                  rel["dup_acked"]))
stored = sqlite3.connect("file:" + sys.argv[7] + "?mode=ro", uri=True).execute(
    "SELECT count(*) FROM frames").fetchone()[0]
print("soak: frames stored at the end: %d (%s the frames the nodes sent)"
      % (stored, "all" if stored == sent else "NOT"))
ok = alive and not errors and lost == 0 and stored == sent and rows and rows[-1]["refused"] == 0
if errors:
    print("soak: %d error lines in the daemon log, the first: %s" % (len(errors), errors[0]))
if not alive:
    print("soak: the daemon died")
if rows:
    span = max(1, len(rows) // 3)
    a, b = rows[-span - 1] if len(rows) > span else {"rss_kb": rows[0]["rss_kb"], "frames": 0,
                                                     "min": 0}, rows[-1]
    growth = b["rss_kb"] - a["rss_kb"]
    frames = b["frames"] - a["frames"]
    leak32 = frames * 32 // 1024
    flat = growth <= bound
    ok = ok and flat
    print("soak: VmRSS %d kB at minute %d, %d kB at minute %d: %+d kB over the last %d min "
          "(%d frames, %.1f B per frame; one 32-byte leak per frame would add %d kB), "
          "VmHWM %d kB: %s (bound %d kB)" % (
              a["rss_kb"], a["min"], b["rss_kb"], b["min"], growth, b["min"] - a["min"],
              frames, growth * 1024.0 / frames if frames else 0.0, leak32, b["hwm_kb"],
              "FLAT" if flat else "GROWING", bound))
print("soak: verdict: %s" % ("pass" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
verdict=$?
kill -TERM "$dpid"
wait "$dpid"
dpid=""
exit "$verdict"
