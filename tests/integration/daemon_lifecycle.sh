#!/bin/sh
# SPDX-License-Identifier: MIT
# tinyfleetd's life as systemd and an operator see it: --check on good and bad files, start
# on free loopback ports with a temp database, READY/WATCHDOG/RELOADING/STOPPING on a
# notification socket this script owns (abstract and path), both bearers answering, SIGHUP
# with a broken file (keeps running) and a good one, refusals to start, SIGTERM/SIGINT -> 0.
# Run from the repository root: BUILD=/abs/build sh tests/integration/daemon_lifecycle.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=daemon_lifecycle
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

# count FILE FIXED-STRING: lines of FILE containing the string.
count() {
    grep -cF -- "$2" "$1" 2>/dev/null || true
}

free_ports COAP_PORT LORA_PORT OTHER_PORT

# notify_listen ADDRESS OUT: a datagram socket like systemd's (path or @abstract); each
# datagram becomes one line of OUT, newlines shown as '|'. Sets $listener.
notify_listen() {
    python3 -c 'import socket, sys
addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
with open(out, "a", buffering=1) as f:
    f.write("bound\n")
    while True:
        f.write(s.recv(4096).decode(errors="replace").replace("\n", "|") + "\n")' "$1" "$2" &
    listener=$!
    pids="$pids $listener"
    wait_for "$2" bound 5
}

# pull_ack PORT: a PULL_DATA to the packet-forwarder port is answered with its PULL_ACK.
pull_ack() {
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(bytes([2, 0x12, 0x34, 2]) + bytes.fromhex("AA555A0000000001"), ("127.0.0.1", int(sys.argv[1])))
d = s.recv(64)
sys.exit(0 if d[:4] == bytes([2, 0x12, 0x34, 4]) else 1)' "$1" 2>/dev/null
}

# coap_ping PORT: an empty confirmable message (RFC 7252 4.3, "CoAP ping") gets a reset.
coap_ping() {
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(bytes([0x40, 0x00, 0xBE, 0xEF]), ("127.0.0.1", int(sys.argv[1])))
d = s.recv(64)
sys.exit(0 if len(d) >= 4 and d[0] & 0xF0 == 0x70 and d[2:4] == bytes([0xBE, 0xEF]) else 1)' "$1" 2>/dev/null
}

# lifecycle_conf FILE LORA-PORT RETENTION DB: a small valid config, with a zone and a rule.
lifecycle_conf() {
    write_conf "$1" lifecycle "$4" "127.0.0.1:$COAP_PORT" "127.0.0.1:$2" retention_days="$3" \
        dedup_window_ms=200
    cat >>"$1" <<EOF
[zone.camp]
lat = -2.7
lon = 37.2
radius_m = 500
[rule.elephant]
type = cluster
class = elephant
EOF
}

bad="$tmp/bad.conf"
notes="$tmp/notify.log"
lifecycle_conf "$conf" "$LORA_PORT" 90 "$db"
printf '[gateway]\nid = x\n[lora]\ndedup_window_ms = abc\n' >"$bad"

# --- --check --------------------------------------------------------------------------------
out="$tmp/out"
# The shipped file's database directory is made by the package (tmpfiles.d); here a temp one.
sed "s|^path = /var/lib/tinyfleet/|path = $tmp/|" config/tinyfleetd.conf >"$tmp/shipped.conf"
"$D" -c "$tmp/shipped.conf" --check >"$out" 2>&1
check "--check accepts the shipped config/tinyfleetd.conf" "$out" \
    test "$?:$(cat "$out")" = "0:config ok"
"$D" -c "$conf" --check >"$out" 2>&1
check "--check accepts a good config" "$out" test "$?:$(cat "$out")" = "0:config ok"
"$D" -c "$bad" --check >"$out" 2>&1
rc=$?
check "--check refuses a bad one (exit 1) naming file:line, section and key" "$out" \
    test "$rc:$(cat "$out")" = "1:$bad:4: [lora] dedup_window_ms: not a number: 'abc'"
"$D" -c "$tmp/missing.conf" --check >"$out" 2>&1
rc=$?
check "--check on a missing file: exit 1, the file named" "$out" \
    test "$rc:$(cat "$out")" = "1:$tmp/missing.conf: cannot open: No such file or directory"
# check_refuses WHAT FILE MESSAGE: --check on FILE exits 1 with exactly "FILE:MESSAGE".
check_refuses() {
    "$D" -c "$2" --check >"$out" 2>&1
    rc=$?
    check "--check refuses $1" "$out" test "$rc:$(cat "$out")" = "1:$2$3"
}
: >"$tmp/empty.conf"
check_refuses "an empty file, naming it" "$tmp/empty.conf" \
    ": empty: no [section] in the file (a file of defaults needs at least [gateway])"
printf '[gateway]\nid = a\0b\n' >"$tmp/nul.conf"
check_refuses "a NUL byte" "$tmp/nul.conf" ":2: [gateway] id: contains a NUL byte"
printf '[gateway]\nid = a\n[lora]\n[gateway]\nsite = b\n' >"$tmp/twice.conf"
check_refuses "a section given twice" "$tmp/twice.conf" ":4: [gateway]: given twice (first at line 1)"
lifecycle_conf "$tmp/port.conf" "$COAP_PORT" 90 "$db"
check_refuses "CoAP and LoRa on one port" "$tmp/port.conf" \
    ":11: [lora] listen: '127.0.0.1:$COAP_PORT' takes the port of [coap] listen '127.0.0.1:$COAP_PORT' (line 9): each listener needs a port of its own"
lifecycle_conf "$tmp/nodir.conf" "$LORA_PORT" 90 "$tmp/no/such/dir/x.db"
check_refuses "a database directory that does not exist" "$tmp/nodir.conf" \
    ":5: [storage] path: the database's directory '$tmp/no/such/dir': No such file or directory"
cp "$conf" "$tmp/tls.conf"
printf '[mqtt]\nhost = 127.0.0.1\ntls_ca = %s/ca.pem\n' "$tmp" >>"$tmp/tls.conf"
tls_line=$(grep -n '^tls_ca' "$tmp/tls.conf" | cut -d: -f1)
check_refuses "a tls_ca file that does not exist" "$tmp/tls.conf" \
    ":$tls_line: [mqtt] tls_ca: cannot read '$tmp/ca.pem': No such file or directory"
[ ! -e "$db" ]
check "--check opens no database" "$out" test $? -eq 0

# --- start ----------------------------------------------------------------------------------
if notify_listen "@tinyfleet-test-$$" "$notes"; then
    ok "notification socket (abstract) bound"
else
    nok "notification socket (abstract) bound" "$notes"
fi
NOTIFY_SOCKET="@tinyfleet-test-$$" WATCHDOG_USEC=400000 \
    sh -c 'WATCHDOG_PID=$$ exec "$0" -c "$1"' "$D" "$conf" 2>"$log" &
dpid=$!
check "starts and logs '<6>tinyfleetd: listening coap=... lora=... db=...'" "$log" \
    wait_for "$log" "<6>tinyfleetd: listening coap=127.0.0.1:$COAP_PORT coap_dtls=off lora=127.0.0.1:$LORA_PORT db=$db"
check "READY=1 on NOTIFY_SOCKET once listening" "$notes" wait_for "$notes" "READY=1"
check "WATCHDOG=1 at half of WATCHDOG_USEC (WATCHDOG_PID = its pid)" "$notes" \
    wait_for "$notes" "WATCHDOG=1" 2
check "the packet-forwarder port answers PULL_DATA with PULL_ACK" "$log" pull_ack "$LORA_PORT"
check "the CoAP port answers a CoAP ping" "$log" coap_ping "$COAP_PORT"

# A second daemon on the same addresses must not start (and must not steal traffic).
log2="$tmp/second.log"
lifecycle_conf "$tmp/second.conf" "$LORA_PORT" 90 "$tmp/second.db"
"$D" -c "$tmp/second.conf" 2>"$log2" &
p2=$!
pids="$pids $p2"
wait_exit "$p2" 5
check "a second daemon on the same ports refuses to start (exit 1)" "$log2" test "$rc" = 1
check "the first still answers" "$log" pull_ack "$LORA_PORT"

# --- SIGHUP ---------------------------------------------------------------------------------
cp "$conf" "$conf.good"
printf '[gateway]\nid = lifecycle\n[storage]\nretention_days = many\n' >"$conf"
kill -HUP "$dpid"
check "SIGHUP with a broken file logs the error with file:line and key" "$log" \
    wait_for "$log" "<3>tinyfleetd: reload failed, keeping the running configuration: $conf:4: [storage] retention_days: not a number: 'many'"
check "RELOADING=1 with MONOTONIC_USEC" "$notes" wait_for "$notes" "RELOADING=1|MONOTONIC_USEC="
alive "$dpid"
check "... and keeps running" "$log" test $? -eq 0
check "... serving the old configuration" "$log" pull_ack "$LORA_PORT"

lifecycle_conf "$conf" "$OTHER_PORT" 30 "$db"
kill -HUP "$dpid"
check "SIGHUP with a good file reloads it" "$log" \
    wait_for "$log" "<6>tinyfleetd: reloaded $conf: 8 classes, 1 zones, 1 rules, retention 30 days"
check "... and says a new listen address needs a restart" "$log" \
    wait_for "$log" "<4>tinyfleetd: reload: changes to [lora] listen take effect only after a restart"
check "READY=1 after each reload" "$notes" test "$(count "$notes" "READY=1")" -ge 3
check "... still on the old port" "$log" pull_ack "$LORA_PORT"

# --- SIGTERM --------------------------------------------------------------------------------
stop_daemon TERM 5
check "SIGTERM: exit status 0 within 5 s" "$log" test "$rc" = 0
check "STOPPING=1 on NOTIFY_SOCKET" "$notes" wait_for "$notes" "STOPPING=1" 2
check "the log ends with 'stopped'" "$log" test "$(tail -n 1 "$log")" = "<6>tinyfleetd: stopped"
check "no error was logged" "$log" test "$(count "$log" "<3>")" -eq 1
check "the database file was created" "$log" test -s "$db"
kill "$listener" 2>/dev/null

# --- refusals to start ----------------------------------------------------------------------
"$D" -c "$bad" 2>"$out"
rc=$?
check "a bad config: exit 1 with '<3>tinyfleetd: FILE:LINE: [section] key: ...'" "$out" \
    test "$rc:$(cat "$out")" = "1:<3>tinyfleetd: $bad:4: [lora] dedup_window_ms: not a number: 'abc'"
lifecycle_conf "$tmp/nodb.conf" "$LORA_PORT" 90 "$tmp/junk.db"
echo "not a database, but more than its header" >"$tmp/junk.db"
"$D" -c "$tmp/nodb.conf" 2>"$out"
rc=$?
check "an unusable database: exit 1 with the store's message" "$out" \
    test "$rc:$(grep -c "<3>tinyfleetd: cannot open the database $tmp/junk.db: ." "$out")" = "1:1"
"$D" -c "$tmp/tls.conf" 2>"$out"
rc=$?
check "a missing tls_ca: exit 1 at start, file, line and key named" "$out" \
    test "$rc:$(cat "$out")" = "1:<3>tinyfleetd: $tmp/tls.conf:$tls_line: [mqtt] tls_ca: cannot read '$tmp/ca.pem': No such file or directory"
"$D" --no-such-option >"$out" 2>&1
rc=$?
check "an unknown option: exit 2 with the usage" "$out" \
    test "$rc:$(grep -c '^usage: tinyfleetd' "$out")" = "2:1"

# --- a path notification socket, and SIGINT ---------------------------------------------------
notes2="$tmp/notify2.log"
log3="$tmp/third.log"
notify_listen "$tmp/notify.sock" "$notes2" || true
# The watchdog variables name another process (inherited from a parent): no pings.
NOTIFY_SOCKET="$tmp/notify.sock" WATCHDOG_USEC=100000 WATCHDOG_PID=1 "$D" -c "$conf" 2>"$log3" &
p3=$!
pids="$pids $p3"
check "READY=1 on a path NOTIFY_SOCKET" "$notes2" wait_for "$notes2" "READY=1"
sleep 0.3
kill -INT "$p3"
wait_exit "$p3" 5
check "SIGINT: exit status 0" "$log3" test "$rc" = 0
check "STOPPING=1 on the path socket" "$notes2" wait_for "$notes2" "STOPPING=1" 2
check "no WATCHDOG=1 when WATCHDOG_PID is not the daemon" "$notes2" test "$(count "$notes2" "WATCHDOG=1")" -eq 0
kill "$listener" 2>/dev/null

finish
