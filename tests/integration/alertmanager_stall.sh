#!/bin/sh
# SPDX-License-Identifier: MIT
# An Alertmanager that answers 500, and one that answers nothing at all, never hold up CoAP
# or MQTT. tinyfleetd's [alertmanager] url lists the failing one first and the silent one
# second (timeout_s 30): each alert's post gets a 500, goes to the second URL and hangs
# there. While it hangs, ten CoAP requests are each answered 2.04 within coap-client's 3 s
# (a poster that blocked the loop would hold them for 30 s), the alert transitions reach an
# MQTT subscriber, and `tinyfleet stats` names the 500 as the last error.
# Run from the repository root: BUILD=/abs/build sh tests/integration/alertmanager_stall.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=alertmanager_stall
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc
# shellcheck source=tests/integration/am.inc
. tests/integration/am.inc

CLIENT=coap-client-notls
if ! command -v "$CLIENT" >/dev/null 2>&1; then
    echo "$NAME: $CLIENT is missing (Debian package libcoap3-bin)"
    fail=1
    finish
fi

tcp_port ERRPORT
tcp_port SLOWPORT
tcp_port BPORT
$RECV fake-am --mode 500 --port "$ERRPORT" --out "$tmp/err.out" >"$tmp/err.log" 2>&1 &
pids="$pids $!"
$RECV fake-am --mode slow --port "$SLOWPORT" --out "$tmp/slow.out" >"$tmp/slow.log" 2>&1 &
pids="$pids $!"
if ! wait_for "$tmp/err.log" listening 10 || ! wait_for "$tmp/slow.log" listening 10; then
    nok "the failing Alertmanagers start" "$tmp/err.log"
    finish
fi
start_broker "$BPORT" || { nok "mosquitto starts" "$tmp/mosquitto-$BPORT.log"; finish; }
subscribe

free_ports CPORT
write_conf "$conf" gw-st "$db" "127.0.0.1:$CPORT" "" site=test
cat >>"$conf" <<EOF
[mqtt]
host = 127.0.0.1
port = $BPORT
[alertmanager]
url = http://127.0.0.1:$ERRPORT, http://127.0.0.1:$SLOWPORT
timeout_s = 30
resend_s = 1
[rule.elephant]
type = cluster
class = elephant
window_s = 60
min_nodes = 2
watch_confidence = 0.5
warning_confidence = 0.7
critical_confidence = 0.99
clear_after_s = 60
update_interval_s = 0
[health]
offline_after_s = 0
battery_low_mv = 0
EOF
"$T" --db "$db" node add "$DEV" --nwkskey "$NK" --appskey "$AK" --zone village >/dev/null ||
    nok "node add"
start_daemon "$log" || { nok "tinyfleetd starts" "$log"; finish; }

# post FCNT: one elephant detection over CoAP; its response code in $code.
post() {
    encode_frame "$1" 1 2101C80000051E | python3 -c 'import sys
sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' >"$tmp/frame.bin"
    $CLIENT -m post -t 42 -f "$tmp/frame.bin" -v 7 -B 3 "coap://127.0.0.1:$CPORT/up" \
        >"$tmp/post.log" 2>&1
    code=$(grep -oE '^v:1 t:(ACK|CON|NON) c:[0-9]\.[0-9][0-9]' "$tmp/post.log" |
        grep -v 'c:0\.00' | tail -n 1 | sed 's/.*c://')
}

post 1
check "the first frame is answered 2.04" "$tmp/post.log" test "${code:-none}" = 2.04
check "the 500 Alertmanager is asked first" "$tmp/err.out" wait_for "$tmp/err.out" elephant 10
check "then the silent one, which holds the post" "$tmp/slow.out" \
    wait_for "$tmp/slow.out" elephant 10
good=0
i=2
while [ "$i" -le 11 ]; do
    post "$i"
    [ "${code:-none}" = 2.04 ] && good=$((good + 1))
    i=$((i + 1))
done
check "while the post hangs, 10 CoAP requests are answered 2.04" "$tmp/post.log" test "$good" = 10
check "the silent Alertmanager still holds its only post" "$tmp/slow.out" \
    test "$(wc -l <"$tmp/slow.out")" = 1
check "MQTT is not held up: the alert reaches the subscriber" "$tmp/sub.out" \
    wait_for "$tmp/sub.out" '"state":"open"' 5
check "stats: the alert waits, the last error names the 500" "$tmp/amstats.json" \
    am_stat 'j["alertmanager_queue"] == 1 and "HTTP 500" in j["alertmanager_last_error"] and j["alertmanager_last_ok"] is None'
stop_daemon TERM 10
check "tinyfleetd stops at once with a post hanging (exit 0)" "$log" test "$rc" = 0
finish
