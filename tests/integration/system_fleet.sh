#!/bin/sh
# SPDX-License-Identifier: MIT
# The whole system at once: 200 simulated elephant sensors (the real
# node firmware in `tinyfleet-node fleet`, four processes of 50) send for 60 s of wall clock
# (600 simulated seconds at x10) into one tinyfleetd: half post over CoAP, half go over LoRa
# through two emulated packet forwarders whose coverage overlaps (tests/system/pfwd_overlap.py
# repeats a quarter of the nodes' frames as the other forwarder, so deduplication matters).
# Herds walk along rows of nodes (tests/system/scenario.py), so zone alerts open, escalate,
# update and clear; tinyfleetd publishes them (and the detections) to a real mosquitto on a
# free loopback port, where a QoS 1 subscriber with a persistent session records them.
# Checks: no error in the daemon's log, the daemon alive; per node, every frame the node says
# was acknowledged (PUSH_ACK or CoAP 2.04) is in the frames table once, with its detections;
# each overlapped frame stored once with two receptions; every transition of
# alert_transitions delivered exactly once per (id, seq), seq contiguous from 1; the outbox
# empty; no refusal counted. About 75 s. Its last lines before the verdict give the totals.
# Run from the repository root: BUILD=/abs/build sh tests/integration/system_fleet.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=system_fleet
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

N="$BUILD/tinyfleet-node"
NODES=200
PER=50         # nodes per fleet process (the simulator takes 64 at most)
SPEED=10       # simulated seconds per real second
WALL_S=60      # wall-clock seconds of load
CLEAR_S=6      # [rule.elephant] clear_after_s: alerts clear within the run and after it
PREFIX=tinyfleet/sys
EUI_A=AA555A0000000101
EUI_B=AA555A0000000102

for tool in mosquitto mosquitto_sub python3; do
    if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
        echo "$NAME: $tool is missing (Debian packages mosquitto, mosquitto-clients, python3)"
        fail=1
        finish
    fi
done
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
t_start=$(date +%s)

# --- the broker and the subscriber -------------------------------------------------------------
MQTT_PORT=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
free_ports COAP_PORT LORA_PORT
{
    echo "listener $MQTT_PORT 127.0.0.1"
    echo "user $(id -un)" # as root mosquitto would switch to a user that cannot read $tmp
    echo "allow_anonymous true"
    echo "max_queued_messages 100000"
    echo "log_dest stderr"
} >"$tmp/mosquitto.conf"
"$MOSQUITTO" -c "$tmp/mosquitto.conf" 2>"$tmp/mosquitto.log" &
pids="$pids $!"
wait_for "$tmp/mosquitto.log" "running" 10 || {
    nok "mosquitto starts" "$tmp/mosquitto.log"
    finish
}
# One line per message: "RETAIN TOPIC PAYLOAD"; QoS 1, persistent session (-c).
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -i tinyfleet-sys-sub -c -q 1 -t "$PREFIX/#" \
    -F '%r %t %p' >"$tmp/sub.out" 2>"$tmp/sub.err" &
pids="$pids $!"

# --- the fleet and the database ----------------------------------------------------------------
mkdir -p "$tmp/fleet"
"$T" --db "$db" node add 00000001 --nwkskey "$NK" --appskey "$AK" >"$tmp/out" 2>&1 &&
    python3 tests/system/scenario.py --out "$tmp/fleet" --db "$db" --nodes "$NODES" \
        --per "$PER" --speed "$SPEED" --duration-s "$((WALL_S * SPEED))" \
        --coap "coap://127.0.0.1:$COAP_PORT/up" --forwarder "127.0.0.1:0" >>"$tmp/out" 2>&1 &&
    python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("DELETE FROM nodes WHERE devaddr = 1")
c.commit()' "$db" >>"$tmp/out" 2>&1
check "$NODES nodes registered (tests/system/scenario.py)" "$tmp/out" \
    test "$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM nodes").fetchone()[0])' "$db")" \
    = "$NODES"

write_conf "$conf" gw-sys "$db" "127.0.0.1:$COAP_PORT" "127.0.0.1:$LORA_PORT" site=sys
cat >>"$conf" <<EOF
[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
prefix = $PREFIX
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
clear_after_s = $CLEAR_S
update_interval_s = 2
[health]
offline_after_s = 0
battery_low_mv = 3300
EOF
cat "$tmp/fleet/zones.conf" >>"$conf"
start_daemon "$log" || {
    nok "tinyfleetd starts" "$log"
    finish
}
wait_for "$tmp/sub.out" " $PREFIX/gateway/gw-sys/status {\"state\":\"online\"" 10 ||
    nok "the daemon's birth message reaches the subscriber" "$tmp/sub.err"

python3 tests/system/pfwd_overlap.py --server "127.0.0.1:$LORA_PORT" \
    --overlap "$tmp/fleet/overlap.txt" --pair "$EUI_A=$EUI_B" --port-file "$tmp/relay.port" \
    --stats "$tmp/relay.json" 2>"$tmp/relay.err" &
relay=$!
pids="$pids $relay"
wait_for "$tmp/relay.port" "" 5 || nok "the overlap relay starts" "$tmp/relay.err"
RPORT=$(cat "$tmp/relay.port")

# --- 60 s of load ------------------------------------------------------------------------------
fleets=""
for f in "$tmp"/fleet/fleet-*.ini; do
    k=$(basename "$f" .ini)
    "$N" fleet --scenario "$f" --coap "coap://127.0.0.1:$COAP_PORT/up" \
        --forwarder "127.0.0.1:$RPORT" >"$tmp/$k.out" 2>"$tmp/$k.err" &
    fleets="$fleets $!"
done
pids="$pids $fleets"
t_load=$(date +%s)
frc=0
for p in $fleets; do
    # The fleets end after WALL_S and their drain (a few seconds); 30 s more is a hang.
    left=$((WALL_S + 30 - $(date +%s) + t_load))
    wait_exit "$p" "$((left > 1 ? left : 1))" || true
    [ "$rc" = 0 ] || frc=$rc
done
load_s=$(($(date +%s) - t_load))
cat "$tmp"/fleet-*.out >"$tmp/nodes.jsonl"
cat "$tmp"/fleet-*.err >"$tmp/fleet.err"
check "the 4 fleet processes exit 0 after ${load_s}s: no frame lost on either bearer" \
    "$tmp/fleet.err" test "$frc" = 0

# Quiet for clear_after_s: every zone alert clears, then the last transitions go out.
sleep "$((CLEAR_S + 2))"

# delivered: the subscriber's alert messages against alert_transitions; prints the totals.
delivered() {
    python3 - "$tmp/sub.out" "$db" "$PREFIX" <<'PY'
import collections, json, sqlite3, sys
prefix = sys.argv[3]
got = collections.Counter()
events = 0
for line in open(sys.argv[1], errors="replace"):
    parts = line.rstrip("\n").split(" ", 2)
    if len(parts) < 3:
        continue
    if parts[1].startswith(prefix + "/event/"):
        events += 1
    if parts[0] == "0" and parts[1].startswith(prefix + "/alert/"):
        m = json.loads(parts[2])
        got[(m["id"], m["seq"])] += 1
db = sqlite3.connect("file:" + sys.argv[2] + "?mode=ro", uri=True)
want = {}
for aid, seq in db.execute("SELECT alert_id, seq FROM alert_transitions ORDER BY alert_id, seq"):
    want.setdefault(aid, []).append(seq)
missing = [(a, s) for a, ss in want.items() for s in ss if got[(a, s)] == 0]
dups = {k: v for k, v in got.items() if v > 1}
extra = [k for k in got if k[1] not in want.get(k[0], [])]
gaps = {a: s for a, s in want.items() if s != list(range(1, len(s) + 1))}
print("%d alerts, %d transitions, %d delivered, %d event messages" %
      (len(want), sum(len(s) for s in want.values()), sum(got.values()), events))
if missing or dups or extra or gaps:
    print("missing %s duplicated %s not in the table %s gaps %s" %
          (missing[:20], list(dups.items())[:20], extra[:20], gaps))
    sys.exit(1)
PY
}

delivered_to() {
    delivered >"$1" 2>&1
}

outbox_depth() {
    "$T" --db "$db" stats --json | python3 -c 'import json, sys
print([json.loads(l) for l in sys.stdin][-1]["outbox"])'
}

# All delivered and the outbox empty, within 15 s.
n=0
while [ "$n" -lt 15 ]; do
    if delivered_to "$tmp/delivered.out" && [ "$(outbox_depth)" = 0 ]; then
        break
    fi
    sleep 1
    n=$((n + 1))
done

check "tinyfleetd still running" "$log" alive "$dpid"
kill -TERM "$relay"
wait_exit "$relay" 5
check "the overlap relay saw its repeated frames acknowledged" "$tmp/relay.err" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["dup_frames"] > 0 and r["dup_acked"] == r["dup_datagrams"] and
         r["dup_unacked"] == 0 and r["acks"] == r["forwarded"] else 1)' "$tmp/relay.json"

# --- what the nodes say against what the gateway stored ----------------------------------------
# st: node name -> the fleet's counters; fr: DevAddr -> frames stored; rc_: frame id ->
# receptions; rel: the relay's counters.
cat >"$tmp/check.py" <<'PY'
import collections, json, sqlite3, sys
st = {}
for l in open(sys.argv[1]):
    j = json.loads(l)
    st[j["devaddr"]] = j
rel = json.load(open(sys.argv[3]))
c = sqlite3.connect("file:" + sys.argv[2] + "?mode=ro", uri=True)
q = lambda sql: c.execute(sql).fetchall()
fr = collections.Counter("%08X" % d for (d,) in q("SELECT devaddr FROM frames"))
det = collections.Counter("%08X" % d for (d,) in q(
    "SELECT devaddr FROM events WHERE kind = 'detection'"))
dup_fcnt = q("SELECT devaddr, fcnt FROM frames GROUP BY devaddr, fcnt HAVING count(*) > 1")
rx = {}
for d, bearers, euis, n in q("SELECT f.devaddr, group_concat(DISTINCT r.bearer), "
                             "group_concat(DISTINCT r.gateway), count(*) FROM frames f "
                             "JOIN receptions r ON r.frame_id = f.id GROUP BY f.id"):
    rx.setdefault("%08X" % d, []).append((bearers, n, euis))
overlap = set(open(sys.argv[4]).read().split())
errors = []
def expect(cond, what):
    if not cond:
        errors.append(what)
expect(len(st) == int(sys.argv[5]), "%d nodes reported, %s expected" % (len(st), sys.argv[5]))
for d, s in sorted(st.items()):
    acked = s["push_acks"] if s["bearer"] == "lora" else s["delivered"]
    expect(s["tx_failed"] == 0 and s["records_dropped"] == 0 and acked == s["frames"],
           "%s: the node lost something: %s" % (d, s))
    expect(fr[d] == acked, "%s: %d frames acknowledged, %d stored" % (d, acked, fr[d]))
    expect(det[d] == s["episodes"],
           "%s: %d detections sent, %d stored" % (d, s["episodes"], det[d]))
    want_n = 2 if d in overlap else 1
    bad = [r for r in rx.get(d, []) if r[0] != s["bearer"] or r[1] != want_n or
           (s["bearer"] == "lora" and len(set(r[2].split(","))) != want_n)]
    expect(not bad, "%s: frames with other receptions than %d over %s: %s" %
           (d, want_n, s["bearer"], bad[:3]))
expect(not dup_fcnt, "(devaddr, fcnt) stored twice: %s" % dup_fcnt[:5])
rep = sum(fr[d] for d in overlap)
expect(rel["dup_frames"] == rep, "relay repeated %d frames, overlapped nodes stored %d" %
       (rel["dup_frames"], rep))
for e in errors[:20]:
    print(e)
sys.exit(1 if errors else 0)
PY
check "per node: every acknowledged frame stored once, its detections with it, receptions right" \
    "$tmp/check.out" sh -c "python3 '$tmp/check.py' '$tmp/nodes.jsonl' '$db' '$tmp/relay.json' \
        '$tmp/fleet/overlap.txt' $NODES >'$tmp/check.out' 2>&1"

"$T" --db "$db" stats --json >"$tmp/stats.json" 2>&1
check "stats: nothing refused, the forwarders' copies counted as duplicates, outbox empty" \
    "$tmp/stats.json" python3 -c '
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])]
rel = json.load(open(sys.argv[2]))
refused = {"%s.%s" % (b["bearer"], k): v for b in s[:-1] if b["bearer"] != "downlink" for k, v in b.items()
           if k not in ("bearer", "accepted", "duplicate") and v != 0}
lora = [b for b in s if b.get("bearer") == "lora"][0]
ok = not refused and lora["duplicate"] == rel["dup_frames"] and s[-1]["outbox"] == 0 and \
     s[-1]["outbox_dropped"] == 0
if not ok:
    print("refused:", refused, "lora duplicates:", lora["duplicate"], "relay:", rel["dup_frames"])
sys.exit(0 if ok else 1)' "$tmp/stats.json" "$tmp/relay.json"

check "every transition delivered exactly once per (id, seq), seq contiguous per alert" \
    "$tmp/delivered.out" delivered_to "$tmp/delivered.out"
check "fusion worked: zone alerts opened, escalated to critical and cleared" "$tmp/delivered.out" \
    python3 -c '
import json, sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
st = {}
for aid, j in c.execute("SELECT alert_id, json FROM alert_transitions ORDER BY alert_id, seq"):
    m = json.loads(j)
    if m["class"] == "elephant":
        st.setdefault(aid, []).append((m["state"], m["level"]))
full = [a for a, t in st.items() if t[0][0] == "open" and ("cleared", "critical") in t]
sys.exit(0 if len(full) >= 3 else 1)' "$db"
check "no error in the daemon log (<3>)" "$log" sh -c "! grep -q '^<[0-3]>' '$log'"

# --- the totals --------------------------------------------------------------------------------
python3 - "$db" "$tmp/relay.json" "$tmp/delivered.out" "$load_s" "$NODES" <<'PY'
import json, sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
one = lambda sql: c.execute(sql).fetchone()[0]
rel = json.load(open(sys.argv[2]))
alerts = one("SELECT count(DISTINCT alert_id) FROM alert_transitions")
print("%s: %s nodes, %s s of load: %d frames (%d CoAP, %d LoRa, %d heard by both forwarders), "
      "%d receptions, %d events (%d detections), %d alerts (%d elephant), %d transitions; %s" % (
          "system_fleet", sys.argv[5], sys.argv[4], one("SELECT count(*) FROM frames"),
          one("SELECT count(DISTINCT frame_id) FROM receptions WHERE bearer = 'coap'"),
          one("SELECT count(DISTINCT frame_id) FROM receptions WHERE bearer = 'lora'"),
          rel["dup_frames"], one("SELECT count(*) FROM receptions"),
          one("SELECT count(*) FROM events"),
          one("SELECT count(*) FROM events WHERE kind = 'detection'"), alerts,
          one("SELECT count(*) FROM alerts WHERE class = 'elephant'"),
          one("SELECT count(*) FROM alert_transitions"),
          open(sys.argv[3]).read().strip().splitlines()[0]))
PY
grep -c '^<4>' "$log" | sed 's/^/system_fleet: daemon warnings (<4>): /'

stop_daemon TERM 10
check "SIGTERM: exit 0" "$log" test "$rc" = 0
echo "system_fleet: $(($(date +%s) - t_start)) s in all"
finish
