#!/bin/sh
# SPDX-License-Identifier: MIT
# Class A downlinks through packet forwarders, end to end: tinyfleetd on a free loopback
# port, tests/tools/pfwd_downlink.py as two forwarders hearing each uplink (the first one
# better) and taking PULL_RESP. Every downlink is checked with lora-packet (MIC with Dir 1,
# decryption) and its txpk timing against the uplink's tmst (RX1 1 s after on the uplink's
# channel, RX2 2 s after on 869.525 MHz SF12, the concentrator counter wrapping in between).
# Checks: a confirmed uplink gets one ACK, through the forwarder that heard it best, in RX1,
# after its frame was committed; a retransmission of it is stored once and acknowledged
# again with the next FCntDown; an unconfirmed uplink gets nothing unless a command waits;
# a queued command goes out on FPort 10 and is marked sent; a TX_ACK error moves the same
# bytes to RX2; a forwarder that never answers costs a no_tx_ack count, nothing else; the
# node's FPort 11 answer marks the command acknowledged; each state change is an outbox
# row on <prefix>/node/<devaddr>/command/<id>, retained; every outcome in `stats`.
# Run from the repository root: BUILD=/abs/build sh tests/integration/downlink_lora.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=downlink_lora
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

GW1=AA555A0000000101
GW2=AA555A0000000102
export NODE_PATH="$PWD/tests/vectors/node_modules"

# fwd ARGS...: the two forwarders against the daemon; the PULL_RESP lines in $tmp/dl.
fwd() {
    python3 tests/tools/pfwd_downlink.py --server "127.0.0.1:$PORT" --eui "$GW1" --eui "$GW2" \
        "$@" >"$tmp/dl" 2>"$tmp/dl.err"
}

# dl_is EXPR: the PULL_RESP lines as a list d (each also decoded by lora-packet into
# x["lp"]); EXPR true.
dl_is() {
    : >"$tmp/dl.lp"
    while IFS= read -r line; do
        hex=$(printf '%s' "$line" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"])')
        node tests/tools/lp_down.js "$hex" "$NK" "$AK" >>"$tmp/dl.lp" || return 1
    done <"$tmp/dl"
    python3 -c 'import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
for x, l in zip(d, open(sys.argv[2])):
    x["lp"] = json.loads(l)
ok = eval("(" + sys.argv[3] + ")")
if not ok:
    print(json.dumps(d, indent=1))
sys.exit(0 if ok else 1)' "$tmp/dl" "$tmp/dl.lp" "$1" >"$tmp/dl.show" 2>&1
}

# stat_is KEY=N...: the downlink counters of `stats --json` are exactly these (others 0).
stat_is() {
    "$T" --db "$db" stats --json >"$tmp/stats.json" 2>&1 || return 1
    python3 -c 'import json, sys
dl = [j for j in map(json.loads, open(sys.argv[1])) if j.get("bearer") == "downlink"][0]
want = {k: int(v) for k, v in (a.split("=") for a in sys.argv[2:])}
got = {k: v for k, v in dl.items() if k != "bearer" and v}
print(got)
sys.exit(0 if got == want else 1)' "$tmp/stats.json" "$@" >"$tmp/stat.show" 2>&1
}

sqlv() { sqlite3 -batch "$db" "$@"; }

free_ports PORT MPORT
write_conf "$conf" test "$db" "" "127.0.0.1:$PORT" site=test dedup_window_ms=100
# A broker that is not there: command messages stay in the outbox, where they can be read.
printf '[mqtt]\nhost = 127.0.0.1\nport = %s\nprefix = tf\n' "$MPORT" >>"$conf"

check "node $DEV registered" "$tmp/out" add_node "$DEV"
C1=$("$T" frame encode --devaddr "$DEV" --fcnt 1 --fport 2 --payload 01D00C19100E00000100030500020000 \
    --nwkskey "$NK" --appskey "$AK" --confirmed)
check "tinyfleetd starts" "$log" start_daemon "$log"

# --- a confirmed uplink: one ACK, best forwarder, RX1 ---------------------------------------
fwd "$C1"
check "confirmed uplink: one PULL_RESP to the best forwarder, RX1, ahead of its tmst, well formed" "$tmp/dl.show" \
    dl_is 'len(d) == 1 and d[0]["eui"] == "AA555A0000000101" and d[0]["window"] == "rx1" and
    d[0]["well_formed"] and d[0]["powe"] == 14 and d[0]["lead_ms"] > 100'
check "lora-packet: unconfirmed data down, ACK, FCntDown 0, no FPort, MIC good" "$tmp/dl.show" \
    dl_is 'd[0]["lp"] == {"dir": "down", "mtype": "Unconfirmed Data Down",
    "devaddr": "26011F00", "fcnt": 0, "ack": True, "fpending": False, "fport": None,
    "payload": "", "mic_ok": True}'
check "the frame was stored before: one frame, FCntDown 1 stored" /dev/null \
    test "$(sqlv 'SELECT count(*), max(n.fcnt_down) FROM frames, nodes n')" = "1|1"

# --- the same frame again: stored once, acknowledged again ------------------------------------
fwd "$C1"
check "retransmitted confirmed frame: ACK again with FCntDown 1" "$tmp/dl.show" \
    dl_is 'len(d) == 1 and d[0]["window"] == "rx1" and d[0]["lp"]["ack"] and
    d[0]["lp"]["fcnt"] == 1 and d[0]["lp"]["mic_ok"]'
check "...and stored once" /dev/null test "$(sqlv 'SELECT count(*) FROM frames')" = 1

# --- an unconfirmed uplink: nothing, then a command ------------------------------------------
U2=$("$T" frame encode --devaddr "$DEV" --fcnt 2 --fport 2 --payload 01D00C19100E00000100030500020000 \
    --nwkskey "$NK" --appskey "$AK")
fwd --wait 0.6 "$U2"
check "unconfirmed uplink, nothing queued: no PULL_RESP" "$tmp/dl" test ! -s "$tmp/dl"
id=$("$T" --db "$db" node command "$DEV" health-now)
check "command queued: its id printed" /dev/null test -n "$id"
U3=$("$T" frame encode --devaddr "$DEV" --fcnt 3 --fport 2 --payload 01D00C19100E00000100030500020000 \
    --nwkskey "$NK" --appskey "$AK")
fwd "$U3"
seqhex=$(printf '%02X%02X' $((id & 255)) $(((id >> 8) & 255)))
check "unconfirmed uplink with a command waiting: FPort 10, health-now, no ACK" "$tmp/dl.show" \
    dl_is "len(d) == 1 and d[0]['window'] == 'rx1' and d[0]['lp']['fport'] == 10 and
    not d[0]['lp']['ack'] and d[0]['lp']['payload'] == '01${seqhex}06' and
    d[0]['lp']['fcnt'] == 2 and d[0]['lp']['mic_ok']"
check "command $id: sent, tried once" /dev/null \
    test "$(sqlv "SELECT state, tries FROM commands WHERE id = $id")" = "sent|1"

# --- TX_ACK with an error: the same bytes in RX2 -----------------------------------------------
C4=$("$T" frame encode --devaddr "$DEV" --fcnt 4 --fport 2 --payload 01D00C19100E00000100030500020000 \
    --nwkskey "$NK" --appskey "$AK" --confirmed)
fwd --txack COLLISION_PACKET --wait 0.8 "$C4"
check "TX_ACK COLLISION_PACKET for RX1: the same downlink again for RX2, 27 dBm" "$tmp/dl.show" \
    dl_is 'len(d) == 2 and [x["window"] for x in d] == ["rx1", "rx2"] and
    d[0]["data"] == d[1]["data"] and d[1]["powe"] == 27 and all(x["well_formed"] for x in d) and
    d[0]["lp"]["ack"] and d[0]["lp"]["fport"] == 10 and d[0]["lp"]["fcnt"] == 3'
check "the command went again: tried twice" /dev/null \
    test "$(sqlv "SELECT state, tries FROM commands WHERE id = $id")" = "sent|2"

# --- a forwarder that never answers -------------------------------------------------------------
C5=$("$T" frame encode --devaddr "$DEV" --fcnt 5 --fport 11 --payload "21${seqhex}0600" \
    --nwkskey "$NK" --appskey "$AK" --confirmed)
fwd --txack none "$C5"
check "no TX_ACK: the downlink went once (the command's answer came in the uplink: ACK only)" \
    "$tmp/dl.show" dl_is 'len(d) == 1 and d[0]["lp"]["ack"] and d[0]["lp"]["fport"] is None'
check "the FPort 11 answer marked command $id acknowledged (applied)" /dev/null \
    test "$(sqlv "SELECT state, status FROM commands WHERE id = $id")" = "acknowledged|applied"
sleep 2.6
check "stats: rx1 5, rx2 1, tx_ok 4, collision 1, no_tx_ack 1, retransmission 1" \
    "$tmp/stat.show" stat_is rx1=5 rx2=1 tx_ok=4 collision_packet=1 no_tx_ack=1 retransmission=1
check "outbox: retained messages sent, sent, acknowledged on tf/node/$DEV/command/$id" /dev/null \
    test "$(sqlv "SELECT group_concat(s, ',') FROM (SELECT json_extract(CAST(payload AS TEXT),
        '\$.state') || ':' || retain AS s FROM outbox WHERE topic = 'tf/node/$DEV/command/$id'
        ORDER BY id)")" = "sent:1,sent:1,acknowledged:1"

check "tinyfleetd alive" /dev/null alive "$dpid"
stop_daemon TERM 10
check "tinyfleetd exits 0 on SIGTERM" /dev/null test "$rc" = 0
finish
