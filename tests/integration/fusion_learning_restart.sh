#!/bin/sh
# SPDX-License-Identifier: MIT
# A turbine node that said it is learning its machine stays a learner across a restart of
# tinyfleetd: after the restart, before any new health message, its anomaly summary (one that
# would open a critical machine_anomaly) opens nothing; once a health message says it is
# ready, the same summary opens the alert. Frames over CoAP (coap-client-notls).
# Run from the repository root: BUILD=/abs/build sh tests/integration/fusion_learning_restart.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=fusion_learning_restart
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

CLIENT=coap-client-notls
if ! command -v "$CLIENT" >/dev/null 2>&1; then
    echo "$NAME: $CLIENT is missing (Debian package libcoap3-bin)"
    fail=1
    finish
fi

# Health version 2 (proto/SPEC.md 2.2): version 1's fields, then learn, progress, threshold.
H_LEARNING=02740EFB80510100020103E803070002012800 # learning, 40 %
H_READY=02740EFB80510100020103E8030700020200A0    # ready, threshold 160
ANOM=01C896C8FA075802                          # 200 windows, 150 anomalous, max 250, 600 s

# send FCNT FPORT PAYLOAD: the frame POSTed to /up; true on 2.04.
send() {
    encode_frame "$1" "$2" "$3" >"$tmp/f.hex" || return 1
    python3 -c 'import sys
open(sys.argv[2], "wb").write(bytes.fromhex(open(sys.argv[1]).read()))' "$tmp/f.hex" "$tmp/f.bin"
    $CLIENT -m post -t 42 -f "$tmp/f.bin" -B 10 "coap://127.0.0.1:$COAP/up" >"$tmp/post.log" 2>&1
}
# alerts: the machine_anomaly rows of $DEV in the database.
alerts() {
    python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("SELECT count(*) FROM alerts WHERE class = ? AND topic_key = ?",
                ("machine_anomaly", sys.argv[2])).fetchone()[0])' "$db" "$DEV"
}
learn_col() {
    python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("SELECT learn FROM nodes").fetchone()[0])' "$db"
}

free_ports COAP
write_conf "$conf" test "$db" "127.0.0.1:$COAP" ""
cat >>"$conf" <<CONF
[rule.turbine]
type = persistence
class = machine_anomaly
k = 3
n = 5
critical_confidence = 0.9
clear_after_s = 3600
update_interval_s = 300
CONF
add_node "$DEV"
start_daemon "$tmp/d1.log"
check "a health message: the node is learning (stored)" "$tmp/post.log" \
    eval 'send 1 2 "$H_LEARNING" && [ "$(learn_col)" = 1 ]'
stop_daemon TERM 10
check "tinyfleetd stopped (exit 0)" "$tmp/d1.log" test "$rc" = 0

start_daemon "$log"
check "restarted: the learner's summary opens no machine_anomaly" "$log" \
    eval 'send 2 3 "$ANOM" && send 3 3 "$ANOM" && [ "$(alerts)" = 0 ]'
check "...its health says ready: the same summary opens the alert" "$log" \
    eval 'send 4 2 "$H_READY" && send 5 3 "$ANOM" && [ "$(alerts)" = 1 ]'
stop_daemon TERM 10
check "SIGTERM: exit 0" "$log" test "$rc" = 0

finish
