#!/bin/sh
# SPDX-License-Identifier: MIT
# LoRa ingest end to end: tinyfleetd on a free loopback port with a temp database, a node
# registered with the CLI, and tests/tools/pfwd_emu.py as two packet forwarders (Semtech
# UDP protocol v2) hearing the same frames. Checks: PULL_ACK, PUSH_ACK after the commit,
# each frame stored once with a reception from each forwarder, duplicates counted, several
# rxpk per datagram, forwarder `stat` kept; then every refusal over LoRa (unknown DevAddr,
# bad MIC, replayed counter, undecodable TFP, not a LoRaWAN frame, bad JSON, wrong version,
# oversized), each counted under its reason with nothing else changed; bad rxpk entries amid
# good ones (the good frames stored and acknowledged, each bad entry counted); the daemon
# alive at the end and exiting 0 on SIGTERM.
# Run from the repository root: BUILD=/abs/build sh tests/integration/ingest_lora.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=ingest_lora
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

EMU="python3 tests/tools/pfwd_emu.py"

GW1=AA555A0000000101
GW2=AA555A0000000102

# The snapshots: the forwarders' stat objects too, and the one node's counter.
SNAP_TABLES="frames events receptions gateway_stats nodes"
SNAP_NODE=$DEV

# emu ARGS...: the emulator against the daemon; its output goes to $tmp/emu.
emu() {
    $EMU --server "127.0.0.1:$PORT" "$@" >"$tmp/emu" 2>&1
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

# sql PYTHON-EXPR: rows of the receptions table (as dicts) in rx, the gateway_stats rows in
# gs; EXPR true.
sql() {
    python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
c.row_factory = sqlite3.Row
rx = [dict(r) for r in c.execute(
    "SELECT r.*, f.fcnt FROM receptions r JOIN frames f ON f.id = r.frame_id"
    " ORDER BY r.frame_id, r.time_ms")]
gs = [dict(r) for r in c.execute("SELECT * FROM gateway_stats ORDER BY id")]
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$db" "$1"
}

free_ports PORT
write_conf "$conf" test "$db" "" "127.0.0.1:$PORT" site=test dedup_window_ms=200

# --- setup ----------------------------------------------------------------------------------
check "node $DEV registered with known keys" "$tmp/out" add_node "$DEV"

# Detections (2 records), health, anomaly summary: the three TFP messages.
F1=$(encode_frame 1 1 2201C80A00050C04FF3412FF00)
F2=$(encode_frame 2 2 01D00C19100E00000100030500020000)
F3=$(encode_frame 3 3 01100380F0044008)
F4=$(encode_frame 4 1 2106E60100020A)
F5=$(encode_frame 5 1 2107800200030B)
check "frames encoded" /dev/null test -n "$F1" -a -n "$F2" -a -n "$F3" -a -n "$F4" -a -n "$F5"

check "tinyfleetd starts and logs 'listening'" "$log" start_daemon "$log"

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
UNKNOWN=$(encode_frame 6 1 2101C80A00050C 2B7E151628AED2A6ABF7158809CF4F3C 26011F99)
BADMIC=$(encode_frame 6 1 2101C80A00050C "$NK_WRONG")
REPLAY=$(encode_frame 5 1 2101C80A00050C)
COUNT0=$(encode_frame 6 1 20)
refusal "unknown DevAddr (26011F99), PUSH_ACK still sent" unknown_node "$UNKNOWN"
refusal "bad MIC (NwkSKey off by one bit), PUSH_ACK still sent" bad_mic "$BADMIC"
refusal "replayed counter (fcnt 5 again, new payload), PUSH_ACK still sent" replay "$REPLAY"
sleep 0.3
refusal "the fcnt 1 frame again after the dedup window: a replay" replay "$F1"
refusal "undecodable TFP (FPort 1, record count 0), PUSH_ACK still sent" bad_payload "$COUNT0"
refusal "not a LoRaWAN data-up frame (5 bytes), PUSH_ACK still sent" malformed 4000112233
refusal "rxpk not an array: dropped, no PUSH_ACK" bad_datagram --malformed bad-rxpk-array
refusal "bad JSON: dropped, no PUSH_ACK" bad_datagram --malformed bad-json
refusal "wrong protocol version (1): dropped, no PUSH_ACK" bad_datagram --malformed wrong-version
refusal "oversized datagram (20000 bytes): dropped, no PUSH_ACK" bad_datagram \
    --malformed oversized
refusal "unknown identifier (0x07): dropped, no answer" bad_datagram --malformed unknown-ident
check "malformed datagrams logged with their reason" "$log" \
    grep -q "lora: dropped datagram from 127.0.0.1:[0-9]* ([0-9]* bytes): bad JSON" "$log"

# A good frame still goes through after all that.
F6=$(encode_frame 6 2 01D00C19100E00000100030500020000)
emu --eui "$GW1" --eui "$GW2" "$F6"
check "a good frame after the refusals: accepted, PUSH_ACKs" "$tmp/emu" test $? -eq 0
check "events --json: 7 events, one health for fcnt 6" "$tmp/events" events_json '
len(ev) == 7 and [e["kind"] for e in ev if e["fcnt"] == 6] == ["health"]'

# --- a commit that fails: no PUSH_ACK --------------------------------------------------------
# Another process holds the write lock: the daemon's write and then its commit each wait out
# the busy timeout (5 s) and fail. The forwarder must get no PUSH_ACK, and nothing is stored.
check "no error lines in the daemon's log so far" "$log" sh -c "! grep -q '^<[0-3]>' '$log'"
lock_db 12
F7=$(encode_frame 7 1 2101C80A00050C)
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

# --- bad rxpk entries amid good ones: the good frames stored, each bad entry counted, acked ---
# Forwarders never send a datagram again, so refusing it whole would lose the good frames.
F8=$(encode_frame 8 1 2101C80A00050C)
F9=$(encode_frame 9 1 2104C80A00050C)
snap "$tmp/b0.json"
emu --eui "$GW1" --per-datagram 2 --bad-rxpk bad-base64 --bad-rxpk size-mismatch \
    --bad-rxpk no-data --bad-rxpk not-object "$F8" "$F9"
check "PUSH_DATA of 2 good and 4 bad rxpk: PUSH_ACK after the commit" "$tmp/emu" test $? -eq 0
snap "$tmp/b1.json"
check "...both good frames stored, each bad entry counted as bad_datagram" "$tmp/delta" \
    delta_is "$tmp/b0.json" "$tmp/b1.json" frames=2 events=2 receptions=2 last_fcnt=2 \
    lora.accepted=2 lora.bad_datagram=4
check "...and logged with the first one's reason" "$log" \
    grep -q "lora: 4 bad rxpk or stat entries from 127.0.0.1:[0-9]* (forwarder $GW1) dropped, 2 frames kept: bad base64" "$log"

# --- the end --------------------------------------------------------------------------------
check "tinyfleetd still running" "$log" alive "$dpid"
stop_daemon TERM 10
check "SIGTERM: exit 0" "$log" test "$rc" = 0

finish
