#!/bin/sh
# SPDX-License-Identifier: MIT
# Over-the-air activation through packet forwarders, end to end: an OTAA node registered with
# `tinyfleet node add --otaa` (its DevAddr from [gateway] devaddr_range), JoinRequests built
# by lora-packet (an implementation we did not write) and sent by tests/tools/pfwd_downlink.py
# as two forwarders; each JoinAccept decrypted and MIC-checked by lora-packet, which also
# derives the session keys the node will use. Checks: the JoinAccept goes in the first join
# window (5 s after the JoinRequest, the uplink's channel) through the forwarder that heard
# best, with the DevAddr from the range and a JoinNonce that rises; a frame under the new
# keys is accepted and acknowledged; the old session works until the new one's first frame,
# and not after; the new session's frames, counted from 0 again, are stored (the frames' key
# has the session) and the old session's replayed ones are not; a reused DevNonce, an unknown DevEUI and a bad MIC get nothing, each counted
# in `stats`.
# Run from the repository root: BUILD=/abs/build sh tests/integration/join_lora.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=join_lora
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

GW1=AA555A0000000101
GW2=AA555A0000000102
APPKEY=2B7E151628AED2A6ABF7158809CF4F3C
JOINEUI=70B3D57ED0000000
DEVEUI=0004A30B001C0530
HP=01D00C19100E00000100030500020000 # a health payload
export NODE_PATH="$PWD/tests/vectors/node_modules"

fwd() {
    python3 tests/tools/pfwd_downlink.py --server "127.0.0.1:$PORT" --eui "$GW1" --eui "$GW2" \
        "$@" >"$tmp/dl" 2>"$tmp/dl.err"
}

jreq() { node tests/tools/lp_join.js request "$1" "$JOINEUI" "$2" "$3"; }

# dl_is EXPR: the PULL_RESP lines as a list d; EXPR true.
dl_is() {
    python3 -c 'import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
ok = eval("(" + sys.argv[2] + ")")
if not ok:
    print(json.dumps(d, indent=1))
sys.exit(0 if ok else 1)' "$tmp/dl" "$1" >"$tmp/dl.show" 2>&1
}

# accept_is DEVNONCE EXPR: the one PULL_RESP, decrypted by lora-packet as j; EXPR true.
accept_is() {
    hex=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["data"])' "$tmp/dl") || return 1
    node tests/tools/lp_join.js accept "$hex" "$APPKEY" "$1" >"$tmp/ja.json" || return 1
    python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
ok = eval("(" + sys.argv[2] + ")")
print(json.dumps(j))
sys.exit(0 if ok else 1)' "$tmp/ja.json" "$2" >"$tmp/dl.show" 2>&1
}
key_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$tmp/ja.json" "$1"; }

stat_is() {
    "$T" --db "$db" stats --json >"$tmp/stats.json" 2>&1 || return 1
    python3 -c 'import json, sys
dl = [j for j in map(json.loads, open(sys.argv[1])) if j.get("bearer") == "downlink"][0]
want = {k: int(v) for k, v in (a.split("=") for a in sys.argv[2:])}
got = {k: v for k, v in dl.items() if k != "bearer" and v and k in want}
print(got)
sys.exit(0 if got == want else 1)' "$tmp/stats.json" "$@" >"$tmp/stat.show" 2>&1
}

sqlv() { sqlite3 -batch "$db" "$@"; }

free_ports PORT
write_conf "$conf" test "$db" "" "127.0.0.1:$PORT" dedup_window_ms=100
sed -i 's/^\[gateway\]$/[gateway]\ndevaddr_range = 26011F10-26011F1F/' "$conf"

check "node add --otaa: DevAddr 26011F10, the first of the range" "$tmp/out" \
    eval '"$T" -c "$conf" node add --otaa --deveui "$DEVEUI" --joineui "$JOINEUI" --appkey "$APPKEY" --name pole >"$tmp/out" 2>&1 &&
    grep -q "^node 26011F10 added (OTAA: DevEUI $DEVEUI, JoinEUI $JOINEUI), AppKey as given" "$tmp/out"'
check "node add --otaa: the same DevEUI again refused" "$tmp/out" \
    eval '! "$T" -c "$conf" node add --otaa --deveui "$DEVEUI" --joineui "$JOINEUI" >"$tmp/out" 2>&1'
check "node add --otaa: a bad EUI is a usage error" "$tmp/out" \
    eval '"$T" -c "$conf" node add --otaa --deveui 0004A30B001C05 --joineui "$JOINEUI" >"$tmp/out" 2>&1; [ $? = 2 ]'
check "tinyfleetd starts" "$log" start_daemon "$log"

# --- a join: JoinAccept in the first join window -----------------------------------------------
fwd --wait 0.5 "$(jreq "$APPKEY" "$DEVEUI" 1)"
check "JoinRequest: one PULL_RESP, best forwarder, join1 (+5 s, uplink channel), well formed" \
    "$tmp/dl.show" dl_is 'len(d) == 1 and d[0]["eui"] == "AA555A0000000101" and
    d[0]["window"] == "join1" and d[0]["well_formed"] and d[0]["lead_ms"] > 4000'
check "lora-packet: JoinAccept MIC good, DevAddr 26011F10, JoinNonce 1, NetID 0, RX delay 1 s" \
    "$tmp/dl.show" accept_is 1 'j["mic_ok"] and j["mtype"] == "Join Accept" and
    j["devaddr"] == "26011F10" and j["join_nonce"] == 1 and j["net_id"] == 0 and
    j["dl_settings"] == 0 and j["rx_delay"] == 1'
NK1=$(key_of nwkskey)
AK1=$(key_of appskey)
C0=$("$T" frame encode --devaddr 26011F10 --fcnt 0 --fport 2 --payload "$HP" \
    --nwkskey "$NK1" --appskey "$AK1" --confirmed)
fwd "$C0"
check "the first frame under the derived keys: accepted and acknowledged in RX1" "$tmp/dl.show" \
    dl_is 'len(d) == 1 and d[0]["window"] == "rx1" and d[0]["well_formed"]'
check "...stored: one frame of 26011F10, no pending session left" /dev/null \
    test "$(sqlv 'SELECT (SELECT count(*) FROM frames WHERE devaddr = 637607696),
        (SELECT count(*) FROM join_sessions)')" = "1|0"

# --- refused JoinRequests: nothing sent ----------------------------------------------------------
fwd --wait 0.3 "$(jreq "$APPKEY" "$DEVEUI" 1)" "$(jreq "$APPKEY" 0004A30B001C0531 7)" \
    "$(jreq 000102030405060708090A0B0C0D0E0F "$DEVEUI" 9)"
check "reused DevNonce, unknown DevEUI, wrong AppKey: no PULL_RESP" "$tmp/dl" test ! -s "$tmp/dl"

# --- a rejoin: the old session holds until the new one's first frame -----------------------------
fwd --wait 0.3 "$(jreq "$APPKEY" "$DEVEUI" 2)"
check "rejoin with DevNonce 2: JoinNonce 2, the same DevAddr" "$tmp/dl.show" \
    accept_is 2 'j["mic_ok"] and j["devaddr"] == "26011F10" and j["join_nonce"] == 2'
NK2=$(key_of nwkskey)
AK2=$(key_of appskey)
U1=$("$T" frame encode --devaddr 26011F10 --fcnt 1 --fport 2 --payload "$HP" --nwkskey "$NK1" --appskey "$AK1")
N0=$("$T" frame encode --devaddr 26011F10 --fcnt 0 --fport 2 --payload "$HP" --nwkskey "$NK2" --appskey "$AK2")
U2=$("$T" frame encode --devaddr 26011F10 --fcnt 2 --fport 2 --payload "$HP" --nwkskey "$NK1" --appskey "$AK1")
N1=$("$T" frame encode --devaddr 26011F10 --fcnt 1 --fport 2 --payload "$HP" --nwkskey "$NK2" --appskey "$AK2")
frames_are() {
    test "$(sqlv "SELECT group_concat(s) FROM (SELECT session || ':' || fcnt AS s FROM frames
        WHERE devaddr = 637607696 ORDER BY id)")" = "$1"
}
fwd --wait 0.2 "$U1" "$N0" "$U2"
check "old session: frame 1 accepted, frame 2 not after the new session's first (0), stored" \
    /dev/null frames_are "1:0,1:1,2:0"
fwd --wait 0.2 "$U1" "$N1" "$C0"
check "new session: frame 1 stored although the old session stored a 1; old frames replayed refused" \
    /dev/null frames_are "1:0,1:1,2:0,2:1"
sleep 0.3
check "stats: join_accept 2, activated 2, devnonce 1, unknown 1, bad MIC 1" "$tmp/stat.show" \
    stat_is join_accept=2 join_activated=2 join_devnonce_reused=1 join_unknown_deveui=1 join_bad_mic=1
check "tinyfleetd alive" /dev/null alive "$dpid"
stop_daemon TERM 10
check "tinyfleetd exits 0 on SIGTERM" /dev/null test "$rc" = 0
finish
