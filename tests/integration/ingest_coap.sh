#!/bin/sh
# SPDX-License-Identifier: MIT
# CoAP ingest end to end with libcoap's own clients: tinyfleetd on free loopback ports (plain
# and DTLS-PSK) with a temp database, nodes registered with the CLI, frames made with
# `tinyfleet frame encode` and posted with coap-client-notls / coap-client-gnutls. Checks:
# 2.04 for accepted frames (piggybacked on the ACK, or in a NON for a NON request), a copy
# of a stored frame, every refusal (4.00 / 4.01 / 4.03 / 4.04 for another path / 4.05 for
# another method / 4.15 / RST for a request over 1,152 bytes) counted under its reason with
# nothing else changed, 5.03 while the
# database is locked, DTLS with the derived PSK (and a wrong key, an unknown identity,
# another node's frame), then kill -9 during a stream of posts from four nodes: after a
# restart every frame whose 2.04 a client saw is stored.
# Run from the repository root: BUILD=/abs/build sh tests/integration/ingest_coap.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=ingest_coap
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

CLIENT=coap-client-notls
DCLIENT=coap-client-gnutls

DEV2=26011F01

for tool in "$CLIENT" "$DCLIENT" openssl python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$NAME: $tool is missing (Debian packages libcoap3-bin, openssl, python3)"
        fail=1
        finish
    fi
done

# unhex HEXFILE BINFILE: the bytes a line of hex digits stands for.
unhex() {
    python3 -c 'import sys
open(sys.argv[2], "wb").write(bytes.fromhex(open(sys.argv[1]).read()))' "$1" "$2"
}

# frame FILE FCNT FPORT PAYLOAD [NWKSKEY] [DEVADDR]: the binary frame into FILE.
frame() {
    encode_frame "$2" "$3" "$4" "${5:-$NK}" "${6:-$DEV}" >"$1.hex" && unhex "$1.hex" "$1"
}

# code_of LOG: the response code coap-client logged at -v 7 ("v:1 t:ACK c:2.04 ..."), the
# last one that is not an empty ACK (0.00); "none" when no response came.
code_of() {
    c=$(grep -oE '^v:1 t:(ACK|CON|NON) c:[0-9]\.[0-9][0-9]' "$1" | grep -v 'c:0\.00' |
        tail -n 1 | sed 's/.*c://')
    echo "${c:-none}"
}

# post FILE [CLIENT-ARGS...]: POST /up with Content-Format $CF (42); the client's log in
# $tmp/post.log, the response code in $code.
CF=42
post() {
    f=$1
    shift
    $CLIENT -m post -t "$CF" -f "$f" -v 7 -B 10 "$@" "coap://127.0.0.1:$PORT/up" \
        >"$tmp/post.log" 2>&1
    code=$(code_of "$tmp/post.log")
}

# dpost FILE IDENTITY KEY: the same over DTLS-PSK.
dpost() {
    $DCLIENT -m post -t 42 -f "$1" -u "$2" -k "$3" -v 7 -B 10 "coaps://127.0.0.1:$DPORT/up" \
        >"$tmp/post.log" 2>&1
    code=$(code_of "$tmp/post.log")
}

# psk APPSKEY: the node's DTLS key, computed with OpenSSL (not our CMAC): the 32 upper-case
# hex digits of AES-CMAC(AppSKey, "tinyfleet dtls psk").
psk() {
    printf 'tinyfleet dtls psk' | openssl mac -cipher AES-128-CBC -macopt "hexkey:$1" CMAC |
        tr -d ' \n' | tr 'a-f' 'A-F'
}

# code_and_delta WANT BEFORE AFTER KEY=N...: the last response was WANT and the counters moved
# by exactly these amounts.
code_and_delta() {
    want=$1
    shift
    if [ "$code" != "$want" ]; then
        echo "response: $code, expected $want" >"$tmp/delta"
        return 1
    fi
    delta_is "$@"
}

# refusal WHAT WANT-CODE REASON FILE [CLIENT-ARGS...]: one POST gets WANT-CODE and moves only
# the coap counter REASON, by one (REASON "-": nothing moves at all).
refusal() {
    what=$1
    want=$2
    reason=$3
    f=$4
    shift 4
    snap "$tmp/before.json"
    post "$f" "$@"
    snap "$tmp/after.json"
    if [ "$reason" = - ]; then
        set --
    else
        set -- "coap.$reason=1"
    fi
    if [ "$code" = "$want" ] && delta_is "$tmp/before.json" "$tmp/after.json" "$@"; then
        ok "$what: $want, ${reason#-} counted, nothing else changed"
    else
        { echo "response: $code"; cat "$tmp/delta" "$tmp/post.log"; } >"$tmp/show" 2>/dev/null
        nok "$what: $want, ${reason#-} counted, nothing else changed" "$tmp/show"
    fi
}

free_ports PORT DPORT
write_conf "$conf" test "$db" "127.0.0.1:$PORT" "" site=test dtls_listen="127.0.0.1:$DPORT"

# --- setup ----------------------------------------------------------------------------------
check "node $DEV registered with known keys" "$tmp/out" add_node "$DEV"
check "node $DEV2 registered with the same keys (for the DTLS identity check)" "$tmp/out" \
    add_node "$DEV2"

frame "$tmp/f1" 1 1 2201C80A00050C04FF3412FF00   # detections, 2 records
frame "$tmp/f2" 2 2 01D00C19100E00000100030500020000 # health
frame "$tmp/f3" 3 3 01100380F0044008               # anomaly summary
frame "$tmp/f4" 4 1 2106E60100020A
frame "$tmp/unknown" 5 1 2101C80A00050C "$NK" 26011F99
frame "$tmp/badmic" 5 1 2101C80A00050C "$NK_WRONG"
frame "$tmp/replay" 2 1 2101C80A00050C # fcnt 2 again, other bytes
frame "$tmp/count0" 5 1 20             # TFP detections with 0 records
printf '\100\000\021\042\063' >"$tmp/short"
: >"$tmp/empty"
head -c 300 /dev/zero | tr '\0' '\100' >"$tmp/oversized"
check "frames encoded" /dev/null test -s "$tmp/f1" -a -s "$tmp/f2" -a -s "$tmp/f3" \
    -a -s "$tmp/f4" -a -s "$tmp/unknown" -a -s "$tmp/badmic" -a -s "$tmp/count0"

check "tinyfleetd starts and logs 'listening'" "$log" start_daemon "$log"

# libcoap binds with SO_REUSEADDR: a stranger on the port would answer too. The empty POST
# is counted in our database only if our daemon answered it.
refusal "our daemon answers on $PORT: empty payload" 4.00 malformed "$tmp/empty"

# --- accepted frames ------------------------------------------------------------------------
snap "$tmp/s0.json"
post "$tmp/f1"
check "detection (fcnt 1): 2.04" "$tmp/post.log" test "$code" = 2.04
check "...piggybacked: the ACK of the CON carries 2.04, no empty ACK before it" "$tmp/post.log" \
    sh -c "grep -qE '^v:1 t:ACK c:2.04' '$tmp/post.log' &&
           ! grep -qE '^v:1 t:(ACK c:0.00|CON c:2)' '$tmp/post.log'"
post "$tmp/f2"
check "health (fcnt 2): 2.04" "$tmp/post.log" test "$code" = 2.04
post "$tmp/f3" -N
check "anomaly summary (fcnt 3) as NON: 2.04 in a NON" "$tmp/post.log" \
    sh -c "test '$code' = 2.04 && grep -qE '^v:1 t:NON c:2.04' '$tmp/post.log'"
snap "$tmp/s1.json"
check "three frames stored once each" "$tmp/delta" delta_is "$tmp/s0.json" "$tmp/s1.json" \
    frames=3 events=4 receptions=3 fcnt.26011F00=4 coap.accepted=3
check "events --json: fcnt 1 two detections, fcnt 2 health, fcnt 3 anomaly, no more" \
    "$tmp/events" events_json '
sorted((e["fcnt"], e["kind"]) for e in ev) ==
    [(1, "detection"), (1, "detection"), (2, "health"), (3, "anomaly")] and
all(e["devaddr"] == "26011F00" for e in ev)'
check "receptions name the bearer and the CoAP peer ip:port" /dev/null python3 -c '
import re, sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
rows = c.execute("SELECT bearer, gateway FROM receptions").fetchall()
sys.exit(0 if rows and all(b == "coap" and re.fullmatch(r"127\.0\.0\.1:\d+", g)
                           for b, g in rows) else 1)' "$db"

# A node that lost the 2.04 posts the same bytes again (a new message id): answered 2.04,
# stored once, counted as a duplicate (the choice is explained in daemon/ingest/ingest_coap.c).
snap "$tmp/d0.json"
post "$tmp/f3"
snap "$tmp/d1.json"
check "the last frame posted again: 2.04, nothing stored again" "$tmp/post.log" \
    sh -c "test '$code' = 2.04 && grep -qE '^v:1 t:ACK c:2.04' '$tmp/post.log'"
check "...counted as a duplicate" "$tmp/delta" delta_is "$tmp/d0.json" "$tmp/d1.json" \
    coap.duplicate=1

# --- refusals -------------------------------------------------------------------------------
refusal "unknown DevAddr (26011F99)" 4.01 unknown_node "$tmp/unknown"
refusal "bad MIC (NwkSKey off by one bit)" 4.01 bad_mic "$tmp/badmic"
refusal "replayed counter (fcnt 2, other bytes)" 4.03 replay "$tmp/replay"
refusal "an older frame again (fcnt 1)" 4.03 replay "$tmp/f1"
refusal "undecodable TFP (FPort 1, 0 records)" 4.00 bad_payload "$tmp/count0"
refusal "not a LoRaWAN data-up frame (5 bytes)" 4.00 malformed "$tmp/short"
refusal "empty payload" 4.00 malformed "$tmp/empty"
refusal "oversized payload (300 bytes)" 4.00 malformed "$tmp/oversized"
CF=0
refusal "Content-Format 0 (text/plain)" 4.15 malformed "$tmp/f4"
CF=42
# not_a_post WHAT WANT-CODE METHOD PATH [CLIENT-ARGS...]: a request that is not POST /up gets
# WANT-CODE and moves only coap.malformed, by one: every refusal is counted.
not_a_post() {
    what=$1
    want=$2
    method=$3
    path=$4
    shift 4
    snap "$tmp/before.json"
    $CLIENT -m "$method" -v 7 -B 10 "$@" "coap://127.0.0.1:$PORT/$path" >"$tmp/post.log" 2>&1
    code=$(code_of "$tmp/post.log")
    snap "$tmp/after.json"
    if [ "$code" = "$want" ] && delta_is "$tmp/before.json" "$tmp/after.json" coap.malformed=1; then
        ok "$what: $want, counted as malformed, nothing else changed"
    else
        { echo "response: $code"; cat "$tmp/delta" "$tmp/post.log"; } >"$tmp/show" 2>/dev/null
        nok "$what: $want, counted as malformed, nothing else changed" "$tmp/show"
    fi
}
not_a_post "GET /up" 4.05 get up
not_a_post "PUT /up" 4.05 put up -t 42 -f "$tmp/f4"
not_a_post "DELETE /up" 4.05 delete up
not_a_post "POST /down" 4.04 post down -t 42 -f "$tmp/f4"
not_a_post "GET /a/b" 4.04 get a/b
not_a_post "DELETE /down (libcoap alone would answer 2.02)" 4.04 delete down
# A CON POST /up of 1,200 bytes, over the 1,152 libcoap takes: an RST, and counted.
snap "$tmp/before.json"
python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
# CON POST, MID 0x7A01, no token; Uri-Path "up"; Content-Format 42; payload marker; 1,189 bytes
s.sendto(bytes([0x40, 0x02, 0x7A, 0x01, 0xB2]) + b"up" + bytes([0x11, 42, 0xFF]) + bytes(1189),
         ("127.0.0.1", int(sys.argv[1])))
d = s.recv(64)
# RST, code 0.00 (libcoap 4.3.1 sends it with message id 0, not that of the request)
sys.exit(0 if len(d) == 4 and d[0] == 0x70 and d[1] == 0 else 1)' "$PORT" \
    >"$tmp/post.log" 2>&1
rst=$?
snap "$tmp/after.json"
check "a 1,200-byte request: RST, counted as malformed, nothing else changed" "$tmp/delta" \
    eval '[ "$rst" -eq 0 ] && delta_is "$tmp/before.json" "$tmp/after.json" coap.malformed=1'
check "refusals decided by the ingest are logged" "$log" \
    grep -q "coap: request that is not one frame from 127.0.0.1:[0-9]*: 4.00" "$log"

# --- DTLS-PSK -------------------------------------------------------------------------------
KEY=$(psk "$AK")
frame "$tmp/f5" 5 1 2101C80A00050C
snap "$tmp/t0.json"
dpost "$tmp/f5" "$DEV" "$KEY"
snap "$tmp/t1.json"
check "DTLS: identity $DEV, PSK = hex(AES-CMAC(AppSKey, label)) from OpenSSL: 2.04" \
    "$tmp/post.log" test "$code" = 2.04
check "...stored once (the counter moves from 3 to 5: fcnt 4 only met the 4.15)" "$tmp/delta" \
    delta_is "$tmp/t0.json" "$tmp/t1.json" frames=1 events=1 receptions=1 fcnt.26011F00=2 \
    coap.accepted=1
frame "$tmp/f6" 6 1 2101C80A00050C
dpost "$tmp/f6" "$DEV" 00112233445566778899AABBCCDDEEFF
snap "$tmp/t2.json"
check "DTLS with a wrong key: handshake fails, no response" "$tmp/post.log" \
    test "$code" = none
check "...nothing stored, nothing counted" "$tmp/delta" delta_is "$tmp/t1.json" "$tmp/t2.json"
dpost "$tmp/f6" 26011F99 "$KEY"
snap "$tmp/t3.json"
check "DTLS with an unregistered identity: handshake fails, nothing stored" "$tmp/delta" \
    code_and_delta none "$tmp/t2.json" "$tmp/t3.json"
check "...and the refused identity is logged" "$log" \
    grep -q "DTLS handshake from 127.0.0.1:[0-9]* refused" "$log"
frame "$tmp/other" 1 1 2101C80A00050C "$NK" "$DEV2"
dpost "$tmp/other" "$DEV" "$KEY"
snap "$tmp/t4.json"
check "DTLS session of $DEV posting a frame of $DEV2: 4.01, counted, nothing stored" \
    "$tmp/delta" code_and_delta 4.01 "$tmp/t3.json" "$tmp/t4.json" coap.unknown_node=1

# --- the database locked: 5.03 --------------------------------------------------------------
# Another process holds the write lock; the daemon's write waits out SQLite's busy timeout
# and fails. NON, so the client does not retransmit into the next lock-free moment.
lock_db 8
snap "$tmp/l0.json"
post "$tmp/f6" -N -B 20
check "database locked: 5.03 (the node sends again later)" "$tmp/post.log" test "$code" = 5.03
wait "$lockpid"
post "$tmp/f6"
snap "$tmp/l1.json"
# The counters are written by the next commit, which the second post brings about.
check "the same frame once the lock is gone: 2.04, stored once, the 5.03 counted" \
    "$tmp/delta" code_and_delta 2.04 "$tmp/l0.json" "$tmp/l1.json" frames=1 events=1 \
    receptions=1 fcnt.26011F00=1 coap.accepted=1 coap.storage_failed=1

# --- kill -9 during a stream of posts -------------------------------------------------------
# Four nodes post 100 frames each, one client at a time per node, and note every frame whose
# 2.04 they saw. The daemon is killed once 100 are acknowledged; after a restart on the same
# database each acknowledged frame must be there.
STREAM=""
i=0
for dev in 2601AA00 2601AA01 2601AA02 2601AA03; do
    add_node "$dev" || nok "stream node $dev registered" "$tmp/out"
    mkdir -p "$tmp/s$i"
    n=1
    while [ "$n" -le 100 ]; do
        encode_frame "$n" 1 2101C80A00050C "$NK" "$dev" >"$tmp/s$i/$n.hex"
        n=$((n + 1))
    done
    STREAM="$STREAM $dev"
    i=$((i + 1))
done
# All 400 frames to bytes in one go.
python3 -c 'import glob, sys
for h in glob.glob(sys.argv[1] + "/s[0-9]/*.hex"):
    open(h[:-4], "wb").write(bytes.fromhex(open(h).read()))' "$tmp"
: >"$tmp/acked"
i=0
for dev in $STREAM; do
    (
        n=1
        while [ "$n" -le 100 ] && [ ! -e "$tmp/stop" ]; do
            $CLIENT -m post -t 42 -f "$tmp/s$i/$n" -v 7 -B 3 "coap://127.0.0.1:$PORT/up" \
                >"$tmp/s$i/log" 2>&1
            if [ "$(code_of "$tmp/s$i/log")" = 2.04 ]; then
                echo "$dev $n" >>"$tmp/acked"
            fi
            n=$((n + 1))
        done
    ) &
    eval "spid$i=\$!"
    i=$((i + 1))
done
n=0
while [ "$(wc -l <"$tmp/acked")" -lt 100 ] && [ "$n" -lt 400 ]; do
    sleep 0.02
    n=$((n + 1))
done
kill -KILL "$dpid"
wait "$dpid" 2>/dev/null
dpid=""
acked_at_kill=$(wc -l <"$tmp/acked")
touch "$tmp/stop"
wait "$spid0" "$spid1" "$spid2" "$spid3"
check "kill -9 landed mid-stream ($acked_at_kill of 400 frames acknowledged)" "$tmp/acked" \
    test "$acked_at_kill" -ge 100 -a "$acked_at_kill" -lt 400

# Restart on the same database.
check "tinyfleetd restarts on the same database" "$log.2" start_daemon "$log.2"
check "every frame whose 2.04 was received is stored" "$tmp/acked" python3 -c '
import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
stored = {("%08X" % d, f) for d, f in c.execute("SELECT devaddr, fcnt FROM frames")}
acked = {(l.split()[0], int(l.split()[1])) for l in open(sys.argv[2]) if l.strip()}
missing = sorted(acked - stored)
print("acknowledged %d, stored from the stream %d, missing %s" % (
    len(acked), len({s for s in stored if s[0].startswith("2601AA")}), missing[:10]))
sys.exit(0 if acked and not missing else 1)' "$db" "$tmp/acked"
check "events --json agrees: one detection per acknowledged frame" "$tmp/events" events_json '
not {(l.split()[0], int(l.split()[1])) for l in open("'"$tmp/acked"'") if l.strip()} -
    {(e["devaddr"], e["fcnt"]) for e in ev if e["kind"] == "detection"}'

# After the restart: the next frame of a stream node.
last=$(python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("SELECT last_fcnt FROM nodes WHERE devaddr = ?", (0x2601AA00,)).fetchone()[0])' \
    "$db")
frame "$tmp/next" $((last + 1)) 1 2101C80A00050C "$NK" 2601AA00
post "$tmp/next"
check "after the restart the next frame: 2.04 piggybacked on the ACK" \
    "$tmp/post.log" sh -c "test '$code' = 2.04 && grep -qE '^v:1 t:ACK c:2.04' '$tmp/post.log'"
frame "$tmp/next2" $((last + 2)) 1 2101C80A00050C "$NK" 2601AA00
post "$tmp/next2" -N
check "...and a NON request: 2.04 in a NON" "$tmp/post.log" \
    sh -c "test '$code' = 2.04 && grep -qE '^v:1 t:NON c:2.04' '$tmp/post.log'"
check "...both stored" "$tmp/events" events_json '
len([e for e in ev if e["devaddr"] == "2601AA00" and e["fcnt"] in ('$((last + 1))', '$((last + 2))')]) == 2'


# --- the end --------------------------------------------------------------------------------
check "tinyfleetd still running" "$log.2" alive "$dpid"
stop_daemon TERM 10
check "SIGTERM: exit 0" "$log.2" test "$rc" = 0
check "no error lines in the daemon's logs but the locked database's" "$log" \
    sh -c "! grep -h '^<[0-3]>' '$log' '$log.2' | grep -v 'storage_failed'"

finish
