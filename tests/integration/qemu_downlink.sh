#!/bin/sh
# SPDX-License-Identifier: MIT
# The node firmware in QEMU (mps2-an386, node.elf with the test node's ABP record) talks back
# with a real tinyfleetd: a command is queued with `tinyfleet node command`; the image,
# given a downlink page (its test input, loaded like the record: `-device loader` at
# 0x000FF000), sends confirmed uplinks. Its first uplink goes to the daemon through
# tests/tools/pfwd_downlink.py as a packet forwarder; the PULL_RESP the daemon answers (in
# RX1: the ACK and the command, FCntDown 0) is driven into a second run of the same
# deterministic image, whose first uplink is the same frame. Checks: the node accepts the
# downlink (an ACK, the command applied), answers on FPort 11 in its next uplink, and the
# daemon, given that uplink, marks the command acknowledged. Then the same over the air: an
# image provisioned with `tinyfleet provision --otaa` joins (its JoinRequest to the daemon,
# the JoinAccept into the next run), sends a confirmed uplink under the new session, and
# takes the ACK and a command the same way.
# Run from the repository root: BUILD=/abs/build sh tests/integration/qemu_downlink.sh

# shellcheck disable=SC2317,SC2034 # used by check and eval, which shellcheck does not follow
set -u

NAME=qemu_downlink
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

QEMU=${QEMU:-qemu-system-arm}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-120}
ELF="$BUILD/nodefw/mps2-an386/elephant/node.elf"
GW=AA555A0000000201

if ! command -v "$QEMU" >/dev/null 2>&1; then
    nok "$QEMU is installed (Debian package qemu-system-arm)"
    finish
fi

# page FILE HEX...: the downlink page: "TFDL", the count, each downlink's length and bytes.
page() {
    out=$1
    shift
    python3 -c 'import sys
d = [bytes.fromhex(h) for h in sys.argv[2:]]
b = b"TFDL" + bytes([len(d)]) + b"".join(bytes([len(x)]) + x for x in d)
open(sys.argv[1], "wb").write(b)' "$out" "$@"
}

# qemu_run PAGE OUT: the image with the page loaded; semihosting output in OUT, status $rc.
qemu_run() {
    : >"$2"
    timeout "$QEMU_TIMEOUT" "$QEMU" -M mps2-an386 -nographic -icount shift=0,sleep=off \
        -chardev "file,id=semi,path=$2" -semihosting-config enable=on,target=native,chardev=semi \
        -kernel "$ELF" -device "loader,file=$1,addr=0x000FF000,force-raw=on" \
        >"$2.err" 2>&1 </dev/null
    rc=$?
}
uplinks() { sed -n 's/^radio .* phy=\([0-9a-f]*\)$/\1/p' "$1"; }
fwd() {
    python3 tests/tools/pfwd_downlink.py --server "127.0.0.1:$PORT" --eui "$GW" "$@" \
        >"$tmp/dl" 2>"$tmp/dl.err"
}
sqlv() { sqlite3 -batch "$db" "$@"; }

free_ports PORT
write_conf "$conf" test "$db" "" "127.0.0.1:$PORT" dedup_window_ms=50
check "node $DEV registered, a health-now command queued" "$tmp/out" eval \
    'add_node "$DEV" && "$T" --db "$db" node command "$DEV" health-now >"$tmp/id" 2>&1'
check "tinyfleetd starts" "$log" start_daemon "$log"

# Run 1: windows that hear nothing; the uplinks are confirmed.
page "$tmp/none.bin"
qemu_run "$tmp/none.bin" "$tmp/q1"
check "QEMU run 1: exit 0, confirmed uplinks (MType 100), nothing heard" "$tmp/q1" eval \
    '[ "$rc" -eq 0 ] && [ "$(uplinks "$tmp/q1" | head -1 | cut -c1-2)" = 80 ] &&
    grep -qx "downlinks accepted=0 acks=0 applied=0 answers=0" "$tmp/q1"'
first=$(uplinks "$tmp/q1" | head -1)
fwd --wait 0.5 "$first"
check "the daemon acknowledges the first uplink in RX1, with the command (FPort 10)" \
    "$tmp/dl" eval 'python3 -c "import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(d) == 1 and d[0][\"window\"] == \"rx1\" else 1)" "$tmp/dl" &&
    "$T" --db "$db" commands --json | grep -q "\"state\":\"sent\""'
down=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["data"])' "$tmp/dl")

# Run 2: the daemon's downlink in the first uplink's RX1.
page "$tmp/one.bin" "$down"
qemu_run "$tmp/one.bin" "$tmp/q2"
check "QEMU run 2: exit 0, the same first uplink, the downlink heard" "$tmp/q2" eval \
    '[ "$rc" -eq 0 ] && [ "$(uplinks "$tmp/q2" | head -1)" = "$first" ] &&
    grep -q "^downlink len=" "$tmp/q2"'
check "the node took the ACK, applied the command and answered it" "$tmp/q2" \
    grep -qx "downlinks accepted=1 acks=1 applied=1 answers=1" "$tmp/q2"
: >"$tmp/frames"
for phy in $(uplinks "$tmp/q2"); do
    "$T" frame decode --nwkskey "$NK" --appskey "$AK" "$phy" >>"$tmp/frames" 2>&1
done
check "its second uplink is the answer: FPort 11, confirmed" "$tmp/frames" python3 -c 'import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if f[1]["fport"] == 11 and f[1]["mtype"] == "confirmed_up" and f[1]["mic_ok"] else 1)' "$tmp/frames"
fwd --wait 0.5 "$(uplinks "$tmp/q2" | sed -n 2p)"
check "the daemon, given the answer, marks the command acknowledged (applied)" /dev/null \
    test "$(sqlv "SELECT state || ' ' || status FROM commands")" = "acknowledged applied"
# --- OTAA: the provisioned image joins, then talks back -------------------------------------
# Each run is the same image with one more of the daemon's answers in its page: the
# JoinAccept for its JoinRequest, then the ACK and command for its first uplink.
APPKEY=2B7E151628AED2A6ABF7158809CF4F3C
check "provision --otaa for mps2-an386, a command queued for the node" "$tmp/prov" eval \
    '"$T" --db "$db" provision --board mps2-an386 --profile elephant --lat 1 --lon 2 \
        --out "$tmp/otaa" --firmware-dir "$BUILD/nodefw" --devaddr 26011F20 --otaa \
        --deveui 0004A30B001C0720 --joineui 70B3D57ED0000000 --appkey "$APPKEY" \
        >"$tmp/prov" 2>&1 && "$T" --db "$db" node command 26011F20 health-now >>"$tmp/prov" 2>&1'
# qemu_otaa PAGE OUT: the provisioned 1 MB image with the page written into it at 0x000FF000
# (the image covers that address, erased), loaded at 0 as flash would hold it.
qemu_otaa() {
    : >"$2"
    python3 -c 'import sys
im = bytearray(open(sys.argv[1], "rb").read())
pg = open(sys.argv[2], "rb").read()
im[0xFF000:0xFF000 + len(pg)] = pg
open(sys.argv[3], "wb").write(im)' "$tmp/otaa/nodefw.bin" "$1" "$tmp/otaa.bin"
    timeout "$QEMU_TIMEOUT" "$QEMU" -M mps2-an386 -nographic -icount shift=0,sleep=off \
        -chardev "file,id=semi,path=$2" -semihosting-config enable=on,target=native,chardev=semi \
        -device "loader,file=$tmp/otaa.bin,addr=0,force-raw=on" >"$2.err" 2>&1 </dev/null
    rc=$?
}
answer() { python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["data"])' "$tmp/dl"; }
page "$tmp/o1.bin"
qemu_otaa "$tmp/o1.bin" "$tmp/o1"
jr=$(uplinks "$tmp/o1" | head -1)
check "QEMU OTAA run 1: its first transmission is a JoinRequest (MHDR 00, 23 bytes), nothing else" \
    "$tmp/o1" eval '[ "$(printf %s "$jr" | cut -c1-2)" = 00 ] && [ ${#jr} -eq 46 ] &&
    [ "$(uplinks "$tmp/o1" | cut -c1-2 | sort -u)" = 00 ]'
fwd --wait 1 "$jr"
check "the daemon answers it with a JoinAccept in join1" "$tmp/dl" grep -q '"window": *"join1"' "$tmp/dl"
ja=$(answer)
page "$tmp/o2.bin" "$ja"
qemu_otaa "$tmp/o2.bin" "$tmp/o2"
up1=$(uplinks "$tmp/o2" | sed -n 2p)
check "QEMU OTAA run 2: joined, then a confirmed uplink as 26011F20" "$tmp/o2" eval \
    '[ "$(printf %s "$up1" | cut -c1-10)" = 80201f0126 ]'
fwd --wait 0.5 "$up1"
check "the daemon takes it under the new session and answers with the ACK and the command" \
    "$tmp/dl" eval 'grep -q "\"window\": *\"rx1\"" "$tmp/dl" &&
    [ "$(sqlv "SELECT session FROM frames WHERE devaddr = 637607712")" = 1 ]'
ack=$(answer)
page "$tmp/o3.bin" "$ja" "$ack"
qemu_otaa "$tmp/o3.bin" "$tmp/o3"
check "QEMU OTAA run 3: the ACK taken, the command applied and answered" "$tmp/o3" \
    grep -qx "downlinks accepted=1 acks=1 applied=1 answers=1" "$tmp/o3"
fwd --wait 0.5 "$(uplinks "$tmp/o3" | sed -n 3p)"
check "the daemon marks the OTAA node's command acknowledged" /dev/null test \
    "$(sqlv "SELECT state FROM commands WHERE devaddr = 637607712")" = acknowledged

check "tinyfleetd alive" /dev/null alive "$dpid"
stop_daemon TERM 10
check "tinyfleetd exits 0 on SIGTERM" /dev/null test "$rc" = 0
finish
