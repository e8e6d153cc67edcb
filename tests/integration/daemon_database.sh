#!/bin/sh
# SPDX-License-Identifier: MIT
# tinyfleetd and its database file, as an operator meets them: a second daemon on the same
# database (other ports) refuses to start and names the first one's pid, while the first goes
# on answering and the CLI reads the database; then the database files are deleted while
# frames flow over CoAP: from then on no frame is answered 2.04, and the daemon exits
# non-zero with one line saying why, for systemd to restart it on a new database.
# Run from the repository root: BUILD=/abs/build sh tests/integration/daemon_database.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=daemon_database
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

FRAMES=150

free_ports COAP_PORT COAP2_PORT LORA2_PORT
write_conf "$conf" database "$db" "127.0.0.1:$COAP_PORT" ""
add_node "$DEV" || {
    nok "node add" "$tmp/out"
    finish
}

# Frames 1..FRAMES of the node (one detection each), one hex line per frame.
i=1
while [ "$i" -le "$FRAMES" ]; do
    encode_frame "$i" 1 2101C80A00050C || exit 1
    i=$((i + 1))
done >"$tmp/frames.hex"

# flow OUT: POST each frame of $tmp/frames.hex to /up in turn (CON, RFC 7252), one line per
# frame in OUT: "fcnt send_time_ns code", code as "2.04", "5.03", ... or "none" (no answer
# within 1 s); one frame each 20 ms at most; stops after three frames without an answer (the
# daemon is gone).
flow() {
    python3 -c 'import os, socket, sys, time
port, frames, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent = 0
with open(out, "w", buffering=1) as f:
    for n, line in enumerate(open(frames), 1):
        mid, tok = n & 0xFFFF, n.to_bytes(2, "big")
        # CON POST, token of 2 bytes, Uri-Path "up", Content-Format 42, payload.
        msg = bytes([0x42, 0x02]) + mid.to_bytes(2, "big") + tok + b"\xb2up\x11\x2a\xff" \
            + bytes.fromhex(line.strip())
        sent = time.time_ns()
        s.sendto(msg, ("127.0.0.1", port))
        code, end = "none", time.monotonic() + 1.0
        while code == "none" and time.monotonic() < end:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                d = s.recv(2048)
            except (socket.timeout, ConnectionRefusedError):
                continue
            if len(d) < 4 or d[1] == 0 or d[4:4 + (d[0] & 15)] != tok:
                continue  # an empty ACK, or not ours
            if d[0] >> 4 & 3 == 0:  # a separate CON response: acknowledge it
                s.sendto(bytes([0x60, 0]) + d[2:4], ("127.0.0.1", port))
            code = "%d.%02d" % (d[1] >> 5, d[1] & 31)
        f.write("%d %d %s\n" % (n, sent, code))
        silent = silent + 1 if code == "none" else 0
        if silent == 3:
            break
        time.sleep(max(0.0, sent / 1e9 + 0.02 - time.time()))' "$COAP_PORT" "$tmp/frames.hex" "$1"
}

# lines FILE: the number of lines in FILE (0 when missing).
lines() {
    if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# --- one daemon per database ------------------------------------------------------------------
check "the first daemon starts" "$log" start_daemon "$log"
write_conf "$tmp/second.conf" second "$db" "127.0.0.1:$COAP2_PORT" "127.0.0.1:$LORA2_PORT"
log2="$tmp/second.log"
"$D" -c "$tmp/second.conf" 2>"$log2" &
p2=$!
pids="$pids $p2"
wait_exit "$p2" 10
check "a second daemon on the same database (other ports) exits 1" "$log2" test "$rc" = 1
check "... with one line naming the database and the first one's pid" "$log2" \
    grep -qxF "<3>tinyfleetd: cannot set up the database $db: in use by another daemon, pid $dpid (tinyfleetd): stop it first, or give this one a [storage] path of its own" "$log2"
check "... before listening" "$log2" test "$(grep -c listening "$log2")" -eq 0

# --- the files deleted while frames flow --------------------------------------------------------
flow "$tmp/flow.log" &
fpid=$!
pids="$pids $fpid"
n=0
while [ "$(lines "$tmp/flow.log")" -lt 20 ] && [ "$n" -lt 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
check "the first daemon answers 2.04 to the first 20 frames" "$tmp/flow.log" \
    test "$(head -n 20 "$tmp/flow.log" | grep -c ' 2\.04$')" -eq 20
run --db "$db" events --json
check_run "the CLI reads the database while the daemon holds it" jsonl "N >= 20"
# The time right after the last file is gone, on the clock the frames' times are from.
deleted=$(python3 -c 'import os, sys, time
for f in sys.argv[1:]:
    os.unlink(f)
print(time.time_ns())' "$db" "$db-wal" "$db-shm")
wait_exit "$dpid" 10
drc=$rc
dpid=""
wait_exit "$fpid" 10
check "after the deletion the daemon exits non-zero within 10 s" "$log" test "$drc" = 1
check "... with one line naming the file and saying why" "$log" \
    grep -qxF "<3>tinyfleetd: the database file $db or its -wal was deleted or replaced while tinyfleetd ran: nothing written since can be kept; exiting so that a restart opens the database anew" "$log"
check "... and no other error line" "$log" test "$(grep -c '^<3>' "$log")" -eq 1
check "no frame sent after the deletion was answered 2.04" "$tmp/flow.log" \
    awk -v t="$deleted" '$2 > t && $3 == "2.04" { bad = 1 } END { exit bad }' "$tmp/flow.log"
check "the frame after the deletion was refused (5.03) before the daemon went" "$tmp/flow.log" \
    test "$(grep -c ' 5\.03$' "$tmp/flow.log")" -ge 1

finish
