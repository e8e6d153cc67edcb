#!/bin/sh
# SPDX-License-Identifier: MIT
# Over-the-air activation over CoAP, end to end with libcoap's coap-client: a JoinRequest
# built by lora-packet is posted to /up like a frame, and the 2.04 that answers it, sent once
# the batch holding the new session is durable, carries the JoinAccept (Content-Format 42),
# which lora-packet decrypts and MIC-checks and whose session keys it derives. Checks: a
# confirmed frame under those keys is stored and acknowledged in its 2.04; a reused DevNonce
# gets 4.03, an unknown DevEUI or a bad MIC 4.01, each counted and nothing sent in a payload;
# a rejoin's first frame, counting from 0 again, is stored. Then `tinyfleet-node run --otaa`
# joins over CoAP, and run again with its storage file uses the stored session.
# Run from the repository root: BUILD=/abs/build sh tests/integration/join_coap.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=join_coap
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

APPKEY=2B7E151628AED2A6ABF7158809CF4F3C
JOINEUI=70B3D57ED0000000
DEVEUI=0004A30B001C0530
HP=01D00C19100E00000100030500020000 # a health payload
export NODE_PATH="$PWD/tests/vectors/node_modules"

# post N HEX: POST /up of those bytes; the 2.04's payload in $tmp/dl.N, the log in $tmp/post.N.
post() {
    python3 -c 'import sys
open(sys.argv[2], "wb").write(bytes.fromhex(sys.argv[1]))' "$2" "$tmp/up.$1"
    : >"$tmp/dl.$1"
    coap-client-notls -m post -t 42 -f "$tmp/up.$1" -o "$tmp/dl.$1" -v 7 -B 10 \
        "coap://127.0.0.1:$PORT/up" >"$tmp/post.$1" 2>&1
}
jreq() { node tests/tools/lp_join.js request "$1" "$JOINEUI" "$2" "$3"; }
dlhex() { python3 -c 'import sys; print(open(sys.argv[1], "rb").read().hex())' "$tmp/dl.$1"; }

# accept_is N DEVNONCE EXPR: the 2.04 payload of post N decrypted by lora-packet as j.
accept_is() {
    node tests/tools/lp_join.js accept "$(dlhex "$1")" "$APPKEY" "$2" >"$tmp/ja.json" 2>&1 || return 1
    python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$tmp/ja.json" "$3"
}
key_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$tmp/ja.json" "$1"; }
code_is() { grep -q "c:$2" "$tmp/post.$1" && [ ! -s "$tmp/dl.$1" ]; }
sqlv() { sqlite3 -batch "$db" "$@"; }
frames_are() { test "$(sqlv "SELECT group_concat(session || ':' || fcnt) FROM frames")" = "$1"; }

free_ports PORT
write_conf "$conf" test "$db" "127.0.0.1:$PORT" ""
sed -i 's/^\[gateway\]$/[gateway]\ndevaddr_range = 26011F10-26011F1F/' "$conf"
check "node add --otaa" "$tmp/out" \
    eval '"$T" -c "$conf" node add --otaa --deveui "$DEVEUI" --joineui "$JOINEUI" --appkey "$APPKEY" >"$tmp/out" 2>&1'
check "tinyfleetd starts" "$log" start_daemon "$log"

post 1 "$(jreq "$APPKEY" "$DEVEUI" 1)"
check "JoinRequest: 2.04 with a 17-byte payload, Content-Format 42" "$tmp/post.1" \
    eval 'grep -q "c:2.04 .*Content-Format:application/octet-stream" "$tmp/post.1" &&
        [ "$(wc -c <"$tmp/dl.1")" -eq 17 ]'
check "lora-packet: JoinAccept MIC good, DevAddr 26011F10, JoinNonce 1" "$tmp/ja.json" \
    accept_is 1 1 'j["mic_ok"] and j["devaddr"] == "26011F10" and j["join_nonce"] == 1'
NK=$(key_of nwkskey)
AK=$(key_of appskey)
post 2 "$("$T" frame encode --devaddr 26011F10 --fcnt 0 --fport 2 --payload "$HP" \
    --nwkskey "$NK" --appskey "$AK" --confirmed)"
check "a confirmed frame under the derived keys: stored, ACK in the 2.04" "$tmp/post.2" \
    eval 'grep -q "c:2.04" "$tmp/post.2" && [ "$(wc -c <"$tmp/dl.2")" -eq 12 ] && frames_are 1:0'

post 3 "$(jreq "$APPKEY" "$DEVEUI" 1)"
check "reused DevNonce: 4.03, no payload" "$tmp/post.3" code_is 3 4.03
post 4 "$(jreq "$APPKEY" 0004A30B001C0531 5)"
check "unknown DevEUI: 4.01, no payload" "$tmp/post.4" code_is 4 4.01
post 5 "$(jreq 000102030405060708090A0B0C0D0E0F "$DEVEUI" 6)"
check "bad MIC: 4.01, no payload" "$tmp/post.5" code_is 5 4.01
post 6 "0012"
check "a truncated JoinRequest: 4.00" "$tmp/post.6" code_is 6 4.00

post 7 "$(jreq "$APPKEY" "$DEVEUI" 2)"
check "rejoin: JoinAccept with JoinNonce 2" "$tmp/ja.json" \
    accept_is 7 2 'j["mic_ok"] and j["join_nonce"] == 2'
NK=$(key_of nwkskey)
AK=$(key_of appskey)
post 8 "$("$T" frame encode --devaddr 26011F10 --fcnt 0 --fport 2 --payload "$HP" \
    --nwkskey "$NK" --appskey "$AK")"
check "the new session's frame 0: stored" "$tmp/post.8" \
    frames_are 1:0,2:0
check "stats: join_accept 2, devnonce 1, unknown 1, bad MIC 1" "$tmp/stats.json" eval \
    '"$T" --db "$db" stats --json >"$tmp/stats.json" && python3 -c "import json, sys
dl = [j for j in map(json.loads, open(sys.argv[1])) if j.get(\"bearer\") == \"downlink\"][0]
sys.exit(0 if (dl[\"join_accept\"], dl[\"join_devnonce_reused\"], dl[\"join_unknown_deveui\"],
    dl[\"join_bad_mic\"]) == (2, 1, 1, 1) else 1)" "$tmp/stats.json"'
# --- the simulator's node: joins at start, keeps its session and DevNonce (--nv) -----------
N="$BUILD/tinyfleet-node"
check "node add --otaa for the simulated node" "$tmp/out" \
    eval '"$T" -c "$conf" node add --otaa --deveui 0004A30B001C0531 --joineui "$JOINEUI" --appkey "$APPKEY" >"$tmp/out" 2>&1'
sim() {
    "$N" run --profile elephant --otaa --deveui 0004A30B001C0531 --joineui "$JOINEUI" \
        --appkey "$APPKEY" --coap "coap://127.0.0.1:$PORT/up" --event rumble --seconds 10 \
        --speed 10 --health-s 2 --nv "$tmp/sim.nv" >"$tmp/sim.$1" 2>&1
}
sim_is() {
    python3 -c 'import json, sys
s = json.loads(open(sys.argv[1]).readlines()[-1])
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$tmp/sim.$1" "$2"
}
sim 1
check "tinyfleet-node run --otaa: joins once (DevNonce 0), its frames all delivered as 26011F11" \
    "$tmp/sim.1" sim_is 1 's["joined"] and s["join_requests"] == 1 and s["join_accepts"] == 1 and
    s["devnonce_next"] == 1 and s["devaddr"] == "26011F11" and s["frames"] >= 2 and
    s["delivered"] == s["frames"]'
sim 2
check "...again with the same --nv: no join, the session goes on, frames stored" "$tmp/sim.2" \
    eval 'sim_is 2 "s[\"join_requests\"] == 0 and s[\"delivered\"] == s[\"frames\"] >= 2" &&
    [ "$(sqlv "SELECT count(*) FROM frames WHERE devaddr = 637607697")" -ge 4 ]'

check "tinyfleetd alive" /dev/null alive "$dpid"
stop_daemon TERM 10
check "tinyfleetd exits 0 on SIGTERM" /dev/null test "$rc" = 0
finish
