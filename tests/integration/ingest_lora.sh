#!/bin/sh
# SPDX-License-Identifier: MIT
# LoRa ingest end to end: tinyfleetd on a free loopback port with a temp database, a node
# registered with the CLI, and tests/tools/pfwd_emu.py as two packet forwarders (Semtech
# UDP protocol v2) hearing the same frames. Checks: PULL_ACK, PUSH_ACK after the commit,
# each frame stored once with a reception from each forwarder, duplicates counted, several
# rxpk per datagram, forwarder `stat` kept; then every refusal over LoRa (unknown DevAddr,
# bad MIC, replayed counter, undecodable TFP, not a LoRaWAN frame, bad base64, bad JSON,
# wrong version, oversized), each counted under its reason with nothing else changed; the
# daemon alive at the end and exiting 0 on SIGTERM.
# Run from the repository root: BUILD=/abs/build sh tests/integration/ingest_lora.sh

set -u

NAME=ingest_lora
: "${BUILD:?set BUILD to the absolute build directory}"
D="$BUILD/tinyfleetd"
T="$BUILD/tinyfleet"
EMU="python3 tests/tools/pfwd_emu.py"

NK=2B7E151628AED2A6ABF7158809CF4F3C
AK=000102030405060708090A0B0C0D0E0F
NK_WRONG=2B7E151628AED2A6ABF7158809CF4F3D
DEV=26011F00
GW1=AA555A0000000101
GW2=AA555A0000000102

pass=0
fail=0
dpid=""
tmp=$(mktemp -d) || exit 1

cleanup() {
    if [ -n "$dpid" ]; then
        kill -KILL "$dpid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() {
    pass=$((pass + 1))
    echo "ok   - $1"
}

nok() {
    fail=$((fail + 1))
    echo "FAIL - $1"
    if [ -n "${2:-}" ] && [ -f "$2" ]; then
        sed 's/^/       | /' "$2"
    fi
}

# check DESCRIPTION FILE-TO-SHOW-ON-FAILURE COMMAND...
check() {
    what=$1
    show=$2
    shift 2
    if "$@"; then ok "$what"; else nok "$what" "$show"; fi
}

# wait_for FILE FIXED-STRING [SECONDS]: true once FILE contains the string.
wait_for() {
    n=0
    while [ "$n" -lt "$((${3:-5} * 20))" ]; do
        if grep -qF -- "$2" "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
        n=$((n + 1))
    done
    return 1
}

alive() {
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ]
}

# wait_exit PID SECONDS: reap PID; its status lands in $rc ("timeout" after a SIGKILL).
wait_exit() {
    n=0
    while [ "$n" -lt "$(($2 * 20))" ]; do
        if ! alive "$1"; then
            wait "$1"
            rc=$?
            return 0
        fi
        sleep 0.05
        n=$((n + 1))
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1"
    rc=timeout
    return 1
}

# encode FCNT FPORT PAYLOAD [NWKSKEY] [DEVADDR]: a frame in hex on stdout.
encode() {
    "$T" frame encode --devaddr "${5:-$DEV}" --fcnt "$1" --fport "$2" --payload "$3" \
        --nwkskey "${4:-$NK}" --appskey "$AK"
}

# emu ARGS...: the emulator against the daemon; its output goes to $tmp/emu.
emu() {
    $EMU --server "127.0.0.1:$PORT" "$@" >"$tmp/emu" 2>&1
}

# snap FILE: every number a refusal must leave alone, as one JSON object: row counts, the
# node's counter, and the `stats --json` counters as "bearer.reason".
snap() {
    "$T" --db "$db" stats --json >"$tmp/stats.json" 2>"$tmp/stats.err" || return 1
    python3 -c 'import json, sqlite3, sys
db, stats, out = sys.argv[1:4]
c = sqlite3.connect("file:" + db + "?mode=ro", uri=True)
s = {}
for t in ("frames", "events", "receptions", "gateway_stats", "nodes"):
    s[t] = c.execute("SELECT count(*) FROM " + t).fetchone()[0]
s["last_fcnt"], s["has_fcnt"] = c.execute(
    "SELECT last_fcnt, has_fcnt FROM nodes WHERE devaddr = ?", (int(sys.argv[4], 16),)).fetchone()
for line in open(stats):
    j = json.loads(line)
    for k, v in j.items():
        if k != "bearer":
            s[j["bearer"] + "." + k] = v
json.dump(s, open(out, "w"), sort_keys=True)' "$db" "$tmp/stats.json" "$1" "$DEV"
}

# delta_is BEFORE AFTER KEY=N...: AFTER differs from BEFORE by exactly these amounts.
delta_is() {
    python3 -c 'import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = {k: int(v) for k, v in (x.split("=") for x in sys.argv[3:])}
got = {k: b[k] - a.get(k, 0) for k in b if b[k] != a.get(k, 0)}
if got != want:
    print("changed: %s, expected: %s" % (got, want))
    sys.exit(1)' "$@" >"$tmp/delta" 2>&1
}

# refusal WHAT REASON EMU-ARGS...: one datagram from one forwarder changes only the lora
# counter REASON (by one); the emulator's own verdict (acks) must hold too.
refusal() {
    what=$1
    reason=$2
    shift 2
    snap "$tmp/before.json"
    emu --eui "$GW1" "$@"
    emu_rc=$?
    snap "$tmp/after.json"
    if [ "$emu_rc" -eq 0 ] && delta_is "$tmp/before.json" "$tmp/after.json" "lora.$reason=1"; then
        ok "$what: counted as $reason, nothing else changed"
    else
        cat "$tmp/emu" "$tmp/delta" >"$tmp/show" 2>/dev/null
        nok "$what: counted as $reason, nothing else changed" "$tmp/show"
    fi
}

# events_json PYTHON-EXPR: `events --json` lines parsed into a list ev, EXPR true.
events_json() {
    "$T" --db "$db" events --json >"$tmp/events" 2>&1 || return 1
    python3 -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$tmp/events" "$1"
}

# sql PYTHON-EXPR: rows of the receptions table (as dicts) in rx, the gateway_stats rows in
# gs; EXPR true.
sql() {
    python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
c.row_factory = sqlite3.Row
rx = [dict(r) for r in c.execute(
    "SELECT r.*, f.fcnt FROM receptions r JOIN frames f ON f.id = r.frame_id ORDER BY r.id")]
gs = [dict(r) for r in c.execute("SELECT * FROM gateway_stats ORDER BY id")]
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$db" "$1"
}

# Free UDP port on loopback: bound to port 0, then released for the daemon.
PORT=$(python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
db="$tmp/tinyfleet.db"
conf="$tmp/tinyfleetd.conf"
log="$tmp/daemon.log"
cat >"$conf" <<EOF
; written by $NAME
[gateway]
id = test
site = test
[storage]
path = $db
synchronous = normal
[coap]
listen =
[lora]
listen = 127.0.0.1:$PORT
dedup_window_ms = 200
EOF

# --- setup ----------------------------------------------------------------------------------
"$T" --db "$db" node add "$DEV" --nwkskey "$NK" --appskey "$AK" >"$tmp/out" 2>&1
check "node $DEV registered with known keys" "$tmp/out" test $? -eq 0

# Detections (2 records), health, anomaly summary: the three TFP messages.
F1=$(encode 1 1 2201C80A00050C04FF3412FF00)
F2=$(encode 2 2 01D00C19100E00000100030500020000)
F3=$(encode 3 3 01100380F0044008)
F4=$(encode 4 1 2106E60100020A)
F5=$(encode 5 1 2107800200030B)
check "frames encoded" /dev/null test -n "$F1" -a -n "$F2" -a -n "$F3" -a -n "$F4" -a -n "$F5"

"$D" -c "$conf" 2>"$log" &
dpid=$!
check "tinyfleetd starts and logs 'listening'" "$log" wait_for "$log" "listening" 10

# --- the forwarders -------------------------------------------------------------------------
emu --eui "$GW1" --eui "$GW2" --pull
check "PULL_DATA from both forwarders answered with PULL_ACK" "$tmp/emu" test $? -eq 0

snap "$tmp/s0.json"
emu --eui "$GW1" --eui "$GW2" --stat "$F1" "$F2" "$F3"
check "3 frames x 2 forwarders: every PUSH_ACK came, after the commit" "$tmp/emu" test $? -eq 0
snap "$tmp/s1.json"
check "each frame stored once" "$tmp/delta" delta_is "$tmp/s0.json" "$tmp/s1.json" \
    frames=3 events=4 receptions=6 gateway_stats=6 last_fcnt=3 has_fcnt=1 \
    lora.accepted=3 lora.duplicate=3
check "events --json: fcnt 1 two detections, fcnt 2 health, fcnt 3 anomaly, no more" \
    "$tmp/events" events_json '
sorted((e["fcnt"], e["kind"]) for e in ev) ==
    [(1, "detection"), (1, "detection"), (2, "health"), (3, "anomaly")] and
sorted(e["class"] for e in ev if e["kind"] == "detection") == ["elephant", "human"] and
all(e["devaddr"] == "26011F00" for e in ev)'
check "stats --json: lora accepted 3, duplicate 3, nothing refused" "$tmp/s1.json" \
    python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
bad = [k for k in s if k.startswith("lora.") and k not in ("lora.accepted", "lora.duplicate")
       and s[k] != 0]
sys.exit(0 if s["lora.accepted"] == 3 and s["lora.duplicate"] == 3 and not bad else 1)' \
    "$tmp/s1.json"
check "receptions: every frame heard by both forwarders, radio data of each" /dev/null sql '
sorted((r["fcnt"], r["gateway"]) for r in rx) ==
    [(f, g) for f in (1, 2, 3) for g in ("AA555A0000000101", "AA555A0000000102")] and
all(r["bearer"] == "lora" and r["datr"] == "SF7BW125" and r["freq_hz"] >= 868100000
    and r["snr"] is not None for r in rx) and
len({r["rssi"] for r in rx if r["gateway"].endswith("01")} &
    {r["rssi"] for r in rx if r["gateway"].endswith("02")}) == 0'
check "gateway stat objects kept per forwarder EUI" /dev/null sql '
sorted({g["gateway"] for g in gs}) == ["AA555A0000000101", "AA555A0000000102"] and
all("\"rxnb\"" in g["json"] for g in gs)'

# Two frames in one PUSH_DATA (a forwarder batches what one fetch gave it).
emu --eui "$GW1" --eui "$GW2" --per-datagram 2 "$F4" "$F5"
check "2 rxpk per PUSH_DATA from 2 forwarders: both PUSH_ACKs" "$tmp/emu" test $? -eq 0
snap "$tmp/s2.json"
check "both frames of the datagram stored once, their copies counted" "$tmp/delta" \
    delta_is "$tmp/s1.json" "$tmp/s2.json" frames=2 events=2 receptions=4 last_fcnt=2 \
    lora.accepted=2 lora.duplicate=2

# --- refusals: one forwarder, so the reason alone moves --------------------------------------
UNKNOWN=$(encode 6 1 2101C80A00050C 2B7E151628AED2A6ABF7158809CF4F3C 26011F99)
BADMIC=$(encode 6 1 2101C80A00050C "$NK_WRONG")
REPLAY=$(encode 5 1 2101C80A00050C)
COUNT0=$(encode 6 1 20)
refusal "unknown DevAddr (26011F99), PUSH_ACK still sent" unknown_node "$UNKNOWN"
refusal "bad MIC (NwkSKey off by one bit), PUSH_ACK still sent" bad_mic "$BADMIC"
refusal "replayed counter (fcnt 5 again, new payload), PUSH_ACK still sent" replay "$REPLAY"
sleep 0.3
refusal "the fcnt 1 frame again after the dedup window: a replay" replay "$F1"
refusal "undecodable TFP (FPort 1, record count 0), PUSH_ACK still sent" bad_payload "$COUNT0"
refusal "not a LoRaWAN data-up frame (5 bytes), PUSH_ACK still sent" malformed 4000112233
refusal "bad base64: dropped, no PUSH_ACK" bad_datagram --malformed bad-base64 "$F4"
refusal "bad JSON: dropped, no PUSH_ACK" bad_datagram --malformed bad-json
refusal "wrong protocol version (1): dropped, no PUSH_ACK" bad_datagram --malformed wrong-version
refusal "oversized datagram (20000 bytes): dropped, no PUSH_ACK" bad_datagram \
    --malformed oversized
refusal "rxpk size disagreeing with its data: dropped, no PUSH_ACK" bad_datagram \
    --malformed size-mismatch
refusal "unknown identifier (0x07): dropped, no answer" bad_datagram --malformed unknown-ident
check "malformed datagrams logged with their reason" "$log" \
    grep -q "lora: dropped datagram from 127.0.0.1:[0-9]* ([0-9]* bytes): bad base64" "$log"

# A good frame still goes through after all that.
F6=$(encode 6 2 01D00C19100E00000100030500020000)
emu --eui "$GW1" --eui "$GW2" "$F6"
check "a good frame after the refusals: accepted, PUSH_ACKs" "$tmp/emu" test $? -eq 0
check "events --json: 7 events, one health for fcnt 6" "$tmp/events" events_json '
len(ev) == 7 and [e["kind"] for e in ev if e["fcnt"] == 6] == ["health"]'

# --- a commit that fails: no PUSH_ACK --------------------------------------------------------
# Another process holds the write lock: the daemon's write and then its commit each wait out
# the busy timeout (5 s) and fail. The forwarder must get no PUSH_ACK, and nothing is stored.
check "no error lines in the daemon's log so far" "$log" sh -c "! grep -q '^<[0-3]>' '$log'"
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
c.execute("ROLLBACK")' "$db" "$tmp/locked" 12 &
lockpid=$!
n=0
while [ ! -e "$tmp/locked" ] && [ "$n" -lt 100 ]; do
    sleep 0.05
    n=$((n + 1))
done
F7=$(encode 7 1 2101C80A00050C)
snap "$tmp/l0.json"
emu --eui "$GW1" --timeout 14 "$F7"
emu_rc=$?
check "database locked, commit failed: no PUSH_ACK" "$tmp/emu" \
    sh -c "test $emu_rc -eq 1 && grep -q '1 missing' '$tmp/emu'"
wait "$lockpid"
emu --eui "$GW1" --pull
snap "$tmp/l1.json"
check "...nothing stored, the frame counted as storage_failed" "$tmp/delta" \
    delta_is "$tmp/l0.json" "$tmp/l1.json" lora.storage_failed=1
check "...and the failure logged" "$log" grep -q "commit failed" "$log"
emu --eui "$GW2" "$F7"
check "the same frame from another forwarder once the lock is gone: PUSH_ACK" "$tmp/emu" \
    test $? -eq 0
check "...and stored once" "$tmp/events" events_json '
len(ev) == 8 and [e["kind"] for e in ev if e["fcnt"] == 7] == ["detection"]'

# --- the end --------------------------------------------------------------------------------
check "tinyfleetd still running" "$log" alive "$dpid"
kill -TERM "$dpid"
wait_exit "$dpid" 10
check "SIGTERM: exit 0" "$log" test "$rc" = 0
dpid=""

echo "$NAME: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
