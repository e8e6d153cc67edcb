#!/bin/sh
# SPDX-License-Identifier: MIT
# Downlinks over CoAP, end to end with libcoap's coap-client: what is pending for a node
# travels in the payload of the 2.04 that answers its POST /up (the LoRaWAN downlink
# PHYPayload, Content-Format 42), built in the frame's batch and sent once it is durable.
# Checks, each downlink verified by lora-packet: a confirmed frame gets an ACK (FCntDown 0),
# an unconfirmed one with nothing queued a bare 2.04, a queued command arrives on FPort 10
# and is marked sent, the node's FPort 11 answer marks it acknowledged, each state change
# reaches a real mosquitto retained on <prefix>/node/<DEVADDR>/command/<id>, and `stats`
# counts the downlinks under "coap".
# Run from the repository root: BUILD=/abs/build sh tests/integration/downlink_coap.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=downlink_coap
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc

export NODE_PATH="$PWD/tests/vectors/node_modules"

# post N FCNT FPORT PAYLOAD [--confirmed]: POST /up of that frame; the 2.04's payload in
# $tmp/dl.N (empty file when none), coap-client's log in $tmp/post.N.
post() {
    n=$1
    # shellcheck disable=SC2086 # an absent --confirmed must be no argument at all
    "$T" frame encode --devaddr "$DEV" --fcnt "$2" --fport "$3" --payload "$4" \
        --nwkskey "$NK" --appskey "$AK" ${5:-} >"$tmp/up.$n.hex"
    python3 -c 'import sys
open(sys.argv[2], "wb").write(bytes.fromhex(open(sys.argv[1]).read()))' "$tmp/up.$n.hex" "$tmp/up.$n"
    : >"$tmp/dl.$n"
    coap-client-notls -m post -t 42 -f "$tmp/up.$n" -o "$tmp/dl.$n" -v 7 -B 10 \
        "coap://127.0.0.1:$PORT/up" >"$tmp/post.$n" 2>&1
}

# lp N EXPR: the downlink of post N decoded by lora-packet into j; EXPR true.
lp() {
    node tests/tools/lp_down.js "$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().hex())' \
        "$tmp/dl.$1")" "$NK" "$AK" \
        >"$tmp/lp.$1" 2>&1 || return 1
    python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$tmp/lp.$1" "$2"
}

sqlv() { sqlite3 -batch "$db" "$@"; }
HEALTH=01D00C19100E00000100030500020000

free_ports PORT
tcp_port BPORT
write_conf "$conf" test "$db" "127.0.0.1:$PORT" ""
printf '[mqtt]\nhost = 127.0.0.1\nport = %s\nprefix = %s\n' "$BPORT" "$PREFIX" >>"$conf"
start_broker "$BPORT" || nok "mosquitto starts" "$tmp/mosquitto-$BPORT.log"
subscribe
check "node $DEV registered" "$tmp/out" add_node "$DEV"
check "tinyfleetd starts" "$log" start_daemon "$log"

post 1 1 2 "$HEALTH" --confirmed
check "confirmed frame: 2.04 with a 12-byte payload, Content-Format 42" "$tmp/post.1" \
    eval 'grep -q "c:2.04 .*Content-Format:application/octet-stream" "$tmp/post.1" &&
        [ "$(wc -c <"$tmp/dl.1")" -eq 12 ]'
check "lora-packet: ACK, FCntDown 0, MIC good" "$tmp/lp.1" \
    lp 1 'j["dir"] == "down" and j["ack"] and j["fcnt"] == 0 and j["fport"] is None and j["mic_ok"]'

post 2 2 2 "$HEALTH"
check "unconfirmed frame, nothing queued: 2.04 without payload" "$tmp/post.2" \
    eval 'grep -q "c:2.04" "$tmp/post.2" && [ ! -s "$tmp/dl.2" ]'

id=$("$T" --db "$db" node command "$DEV" interval seconds=900)
seq=$(printf '%02X%02X' $((id & 255)) $(((id >> 8) & 255)))
post 3 3 2 "$HEALTH"
check "queued command: in the 2.04 on FPort 10, FCntDown 1, no ACK" "$tmp/lp.3" \
    lp 3 "j['fport'] == 10 and j['payload'] == '01${seq}0184030000' and j['fcnt'] == 1 and
    not j['ack'] and j['mic_ok']"
check "command $id sent once" /dev/null \
    test "$(sqlv "SELECT state, tries FROM commands WHERE id = $id")" = "sent|1"

post 4 4 11 "21${seq}0100"
check "the node's FPort 11 answer: command acknowledged, nothing more to send" /dev/null \
    eval 'test "$(sqlv "SELECT state, status FROM commands WHERE id = $id")" = \
        "acknowledged|applied" && [ ! -s "$tmp/dl.4" ]'

n=0
while [ "$n" -lt 50 ] && ! grep -q "command/$id .*acknowledged" "$tmp/sub.out"; do
    sleep 0.1
    n=$((n + 1))
done
check "MQTT: sent then acknowledged, retained, on $PREFIX/node/$DEV/command/$id" "$tmp/sub.out" \
    eval 'grep "command/$id " "$tmp/sub.out" | grep -o "\"state\":\"[a-z]*\"" | tr "\n" " " |
        grep -qx "\"state\":\"sent\" \"state\":\"acknowledged\" " &&
        retained "$PREFIX/node/$DEV/command/$id" | grep -q "\"status\":\"applied\""'

stop_daemon TERM 10
check "tinyfleetd exits 0 on SIGTERM" /dev/null test "$rc" = 0
check "stats: 2 downlinks over coap" "$tmp/stats.json" eval '"$T" --db "$db" stats --json |
    grep "\"bearer\":\"downlink\"" | grep -q "\"coap\":2,"'
finish
