#!/bin/sh
# SPDX-License-Identifier: MIT
# `tinyfleet provision` end to end: a node provisioned for mps2-an386 from a config with a
# DevAddr range gets the lowest free DevAddr, is in `node list`, and its image holds the
# firmware unchanged, erased flash, and at 0x000FF800 a record whose every field and CRC
# (zlib's crc32, independent of our code) match what was asked and the keys the database
# holds; the Intel HEX says the same. The image then runs in QEMU, loaded as the raw .bin,
# and sends frames `tinyfleet frame decode` verifies with the registered keys; with one byte
# of the record flipped, or the record erased, it refuses to start, says why and exits
# non-zero. The record's sensing schedule and health interval: the default (continuous, 6 h),
# a duty cycle and a health interval asked for (read back, and run by QEMU: fewer windows),
# and a version 1 record (no schedule) that QEMU still runs as continuous with health every
# 15 minutes. Also: an STM32WL55 image (record at 0x0803E800), a full range, the refusals
# (unknown board or profile, missing firmware, bad position, long name, no range, schedules
# that cannot run) and a write failure that leaves nothing registered.
# Run from the repository root: BUILD=/abs/build sh tests/integration/provision.sh

# shellcheck disable=SC2317,SC2034 # used by check and eval, which shellcheck does not follow
set -u

NAME=provision
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

QEMU=${QEMU:-qemu-system-arm}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-120}
FW="$BUILD/nodefw"
GW="$tmp/gw.conf"
DB="$tmp/gw.db"
cat >"$GW" <<CONF
[gateway]
id = gw-prov
devaddr_range = 26011F10/30
[storage]
path = $DB
synchronous = normal
[coap]
listen =
[lora]
listen =
[zone.village]
lat = -1.29
lon = 36.82
radius_m = 5000
CONF

nodes() { sqlite3 -batch "$DB" 'SELECT count(*) FROM nodes' 2>/dev/null || echo 0; }

# --- the first node: the lowest free DevAddr of 26011F10/30 -----------------------------------
run -c "$GW" node add 26011F10 --name taken
check_run "a node already holds 26011F10" rc_is 0
run -c "$GW" provision --board mps2-an386 --profile elephant --name "waterhole east" \
    --lat -1.2921 --lon 36.8219 --zone village --out "$tmp/n1" --firmware-dir "$FW"
check_run "provision mps2-an386/elephant: exit 0, names the next free DevAddr 26011F11" \
    eval 'rc_is 0 && stdout_has "node 26011F11 provisioned" && ! grep -qiE "[0-9A-F]{32}" "$tmp/out"'
run -c "$GW" node list
check_run "node list shows 26011F11 with its name, profile and zone" \
    eval 'rc_is 0 && grep -qE "^26011F11 +waterhole east +elephant +village" "$tmp/out"'
run -c "$GW" node show 26011F11 --json --show-keys
cp "$tmp/out" "$tmp/n1.keys"
check_run "node show --show-keys: the registered keys" json '"nwkskey" in j and j["lat"] == -1.2921'
NK1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nwkskey"])' "$tmp/n1.keys")
AK1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["appskey"])' "$tmp/n1.keys")

# read_back DIR BOARD PROFILE BASE PAGE FIRMWARE KEYS-JSON NAME LAT LON SCHEDULE: every byte
# of the image against the firmware, erased flash and the record, the record against zlib's
# CRC-32, record.bin, the HEX file and node.json. SCHEDULE: "MODE LISTEN_MS EVERY_MS WAKE
# HEALTH_S" as the record must hold them.
read_back() {
    python3 - "$@" >"$tmp/readback" 2>&1 <<'PY'
import json, os, stat, struct, sys, zlib
d, board, profile, base, page, fw, keys, name, lat, lon, sched = sys.argv[1:12]
base, page = int(base, 16), int(page, 16)
img = open(d + "/nodefw.bin", "rb").read()
fw = open(fw, "rb").read()
k = json.load(open(keys))
assert len(img) == page + 2048, f"image is {len(img)} bytes, want {page + 2048}"
assert img[:len(fw)] == fw, "the firmware is not the image's first bytes"
assert set(img[len(fw):page]) <= {0xFF}, "the gap before the record page is not erased flash"
rec = img[page:page + 108]
assert set(img[page + 108:]) == {0xFF}, "the rest of the record page is not erased"
magic, ver, prof, res, dev = struct.unpack_from("<IBBHI", rec, 0)
assert magic == 0x52504654 and rec[:4] == b"TFPR", f"magic {magic:#x}"
assert ver == 2 and res == 0, f"version {ver}, reserved {res}"
assert prof == ["elephant", "whale", "turbine"].index(profile), f"profile {prof}"
assert f"{dev:08X}" == k["devaddr"], f"devaddr {dev:08X}, database {k['devaddr']}"
assert rec[12:28].hex().upper() == k["nwkskey"], "nwkskey differs from the database"
assert rec[28:44].hex().upper() == k["appskey"], "appskey differs from the database"
la, lo = struct.unpack_from("<ii", rec, 44)
assert la == round(float(lat) * 1e6) and lo == round(float(lon) * 1e6), f"position {la} {lo}"
assert rec[52:84] == name.encode().ljust(32, b"\0"), f"name {rec[52:84]!r}"
(crc,) = struct.unpack_from("<I", rec, 84)
assert crc == zlib.crc32(rec[:84]), f"CRC {crc:#x}, zlib {zlib.crc32(rec[:84]):#x}"
mode, res2, wake, listen, every, health, crc2 = struct.unpack_from("<BBHIIII", rec, 88)
assert res2 == 0 and crc2 == zlib.crc32(rec[:104]), f"second CRC {crc2:#x}, reserved {res2}"
got = (mode, listen, every, wake, health)
assert got == tuple(int(x) for x in sched.split()), f"schedule {got}, want {sched}"
assert open(d + "/record.bin", "rb").read() == rec, "record.bin differs from the image's"
# Intel HEX: data records under extended linear addresses, checksums, then EOF.
mem, upper, eof = {}, 0, False
for line in open(d + "/nodefw.hex"):
    b = bytes.fromhex(line.strip()[1:])
    assert sum(b) & 0xFF == 0, f"HEX checksum: {line}"
    n, addr, typ, data = b[0], (b[1] << 8) | b[2], b[3], b[4:-1]
    assert len(data) == n
    if typ == 4:
        upper = int.from_bytes(data, "big") << 16
    elif typ == 0:
        for i, v in enumerate(data):
            mem[upper + addr + i] = v
    elif typ == 1:
        eof = True
assert eof, "no HEX end-of-file record"
want = {base + i: v for i, v in enumerate(fw)}
want.update({base + page + i: v for i, v in enumerate(rec)})
assert mem == want, "the HEX file does not hold the firmware and the record at their addresses"
j = json.load(open(d + "/node.json"))
assert j["devaddr"] == k["devaddr"] and j["name"] == name and j["profile"] == profile, j
assert j["board"] == board and j["lat"] == float(lat) and j["lon"] == float(lon), j
assert j["image"].endswith("/nodefw.bin") and "nwkskey" not in j, j
assert j["sensing"] == ["continuous", "duty-cycled", "wake-on-sound"][mode], j
assert j["listen_s"] * 1000 == listen and j["every_s"] * 1000 == every, j
assert j["health_s"] == health and round(j["wake_level"] * 32767) == wake, j
for f in ("nodefw.bin", "nodefw.hex", "record.bin", "node.json"):
    m = stat.S_IMODE(os.stat(d + "/" + f).st_mode)
    assert m == 0o600, f"{f} has mode {m:o}: it holds keys"
PY
}
read_back "$tmp/n1" mps2-an386 elephant 0 FF800 "$FW/mps2-an386/elephant/node.bin" \
    "$tmp/n1.keys" "waterhole east" -1.2921 36.8219 "0 0 0 0 21600"
check "mps2-an386 image read back: firmware, 0xFF, record at 0x000FF800 (fields, CRCs, continuous, health 6 h), HEX, JSON" \
    "$tmp/readback" [ ! -s "$tmp/readback" ]

# The CLI's board table repeats each board's linker script (the flash base and the record
# page): the linked image's symbols must say the same as the image the CLI wrote.
# layout_check DIR ELF BASE PAGE: the vector table (the .bin's first byte) at BASE, the
# symbol board_provision at BASE + PAGE and at node.json's record_address.
layout_check() {
    "${CROSS_NM:-arm-none-eabi-nm}" "$2" >"$tmp/syms" 2>&1
    python3 - "$@" "$tmp/syms" >"$tmp/layout" 2>&1 <<'PY'
import json, sys
d, elf, base, page, syms = sys.argv[1:6]
base, page = int(base, 16), int(page, 16)
sym = {l.split()[2]: int(l.split()[0], 16) for l in open(syms) if len(l.split()) == 3}
j = json.load(open(d + "/node.json"))
assert sym["core_vectors"] == base, f"{elf}: vectors at {sym['core_vectors']:#x}, CLI base {base:#x}"
assert sym["board_provision"] == base + page, f"{elf}: board_provision {sym['board_provision']:#x}"
assert int(j["record_address"], 16) == sym["board_provision"], f"record_address {j['record_address']}"
PY
}
layout_check "$tmp/n1" "$FW/mps2-an386/elephant/node.elf" 0 FF800
check "mps2-an386: the CLI's flash base and record page are the linker script's" \
    "$tmp/layout" [ ! -s "$tmp/layout" ]

# --- the provisioned image in QEMU: the raw .bin loaded at 0, as flash would hold it ----------
# qemu_run IMAGE OUT: semihosting output in OUT, the exit status in $rc.
qemu_run() {
    : >"$2"
    timeout "$QEMU_TIMEOUT" "$QEMU" -M mps2-an386 -nographic -icount shift=0,sleep=off \
        -chardev "file,id=semi,path=$2" -semihosting-config enable=on,target=native,chardev=semi \
        -device "loader,file=$1,addr=0,force-raw=on" >"$2.err" 2>&1 </dev/null
    rc=$?
}
if command -v "$QEMU" >/dev/null 2>&1; then
    qemu_run "$tmp/n1/nodefw.bin" "$tmp/q1"
    check "QEMU: the provisioned image starts as 26011F11 and ends with exit 0 (exit $rc)" \
        "$tmp/q1" eval '[ "$rc" -eq 0 ] && grep -q "^provisioned devaddr=26011F11 name=waterhole east$" "$tmp/q1"'
    check "QEMU: it applies the record's schedule: continuous, health every 21600 s" "$tmp/q1" \
        grep -qx "schedule sensing=0 listen_ms=0 every_ms=0 health_s=21600" "$tmp/q1"
    : >"$tmp/frames"
    for phy in $(sed -n 's/^radio .* phy=\([0-9a-f]*\)$/\1/p' "$tmp/q1"); do
        "$T" frame decode --nwkskey "$NK1" --appskey "$AK1" "$phy" >>"$tmp/frames" 2>&1
    done
    python3 - "$tmp/frames" >"$tmp/fcheck" 2>&1 <<'PY'
import json, sys
fs = [json.loads(l) for l in open(sys.argv[1])]
assert fs, "no frame sent"
for i, f in enumerate(fs):
    assert f["mic_ok"] and f["devaddr"] == "26011F11" and f["fcnt"] == i, f"frame {i}: {f}"
    assert "tfp" in f, f"frame {i} does not decrypt to TFP: {f}"
PY
    n=$(grep -c . "$tmp/frames")
    check "QEMU: its $n frames verify (MIC, DevAddr, TFP) with the registered keys" \
        "$tmp/fcheck" [ ! -s "$tmp/fcheck" ]
    # The test keys of node.elf must not verify them: the record's keys are the ones used.
    phy=$(sed -n 's/^radio .* phy=\([0-9a-f]*\)$/\1/p' "$tmp/q1" | head -n 1)
    "$T" frame decode --nwkskey "$NK" --appskey "$AK" "$phy" >"$tmp/wrong" 2>&1
    check "QEMU: the frames do not verify under the compiled-in test keys" "$tmp/wrong" \
        grep -q '"mic_ok":false' "$tmp/wrong"

    # One byte of the record flipped (in the AppSKey), then the record erased.
    python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[0xFF800 + 30] ^= 0x01
open(sys.argv[2], "wb").write(b)
b[0xFF800:0xFF800 + 88] = b"\xff" * 88
open(sys.argv[3], "wb").write(b)' "$tmp/n1/nodefw.bin" "$tmp/flip.bin" "$tmp/erased.bin"
    qemu_run "$tmp/flip.bin" "$tmp/q2"
    check "QEMU: one flipped record byte: refuses, 'provisioning record corrupt (CRC)', exit 3 (exit $rc)" \
        "$tmp/q2" eval '[ "$rc" -eq 3 ] && grep -qx "tinyfleet: provisioning record corrupt (CRC)" "$tmp/q2" && ! grep -q "^radio" "$tmp/q2"'
    qemu_run "$tmp/erased.bin" "$tmp/q3"
    check "QEMU: erased record: refuses, 'no provisioning record', exit 3 (exit $rc)" \
        "$tmp/q3" eval '[ "$rc" -eq 3 ] && grep -qx "tinyfleet: no provisioning record" "$tmp/q3" && ! grep -q "^radio" "$tmp/q3"'
    # The same node as a version 1 record (88 bytes, one CRC, the rest of the page erased):
    # still read, as continuous sensing with health every 15 minutes.
    python3 -c 'import sys, struct, zlib
b = bytearray(open(sys.argv[1], "rb").read())
r = bytearray(b[0xFF800:0xFF800 + 84])
r[4] = 1
b[0xFF800:0xFF800 + 108] = r + struct.pack("<I", zlib.crc32(r)) + b"\xff" * 20
open(sys.argv[2], "wb").write(b)' "$tmp/n1/nodefw.bin" "$tmp/v1.bin"
    qemu_run "$tmp/v1.bin" "$tmp/q5"
    check "QEMU: a version 1 record still runs: continuous, health every 900 s, same windows (exit $rc)" \
        "$tmp/q5" eval '[ "$rc" -eq 0 ] && grep -qx "schedule sensing=0 listen_ms=0 every_ms=0 health_s=900" "$tmp/q5" && [ "$(grep "^node windows=" "$tmp/q5")" = "$(grep "^node windows=" "$tmp/q1")" ]'
    qemu_run "$FW/mps2-an386/elephant/node.bin" "$tmp/q4"
    check "QEMU: the unprovisioned node.bin refuses to start (exit $rc)" \
        "$tmp/q4" eval '[ "$rc" -eq 3 ] && grep -qx "tinyfleet: no provisioning record" "$tmp/q4"'
else
    nok "$QEMU is installed (Debian package qemu-system-arm)"
fi

# --- STM32WL55: the record at 0x0803E800, the HEX at 0x08000000 --------------------------------
# No --firmware-dir: the default, nodefw/ beside the binary ($BUILD/nodefw).
run -c "$GW" provision --board stm32wl55 --profile turbine --name "gearbox 7" --lat 52.5 \
    --lon -4.25 --out "$tmp/n2" --show-keys --listen-s 2.5 --every-s 600 --health-s 3600
check_run "provision stm32wl55/turbine: exit 0, 26011F12, keys printed with --show-keys, the schedule" \
    eval 'rc_is 0 && stdout_has "node 26011F12 provisioned" && [ "$(grep -cE "^(nwkskey|appskey) +[0-9A-F]{32}$" "$tmp/out")" -eq 2 ] && stdout_has "make flash IMAGE=" && stdout_has "sensing    2.5 s of every 600 s, health every 3600 s"'
run -c "$GW" node show 26011F12 --json --show-keys
cp "$tmp/out" "$tmp/n2.keys"
# --show-keys also puts the keys into node.json; read_back wants them out: compare apart.
python3 -c 'import json, sys
j, k = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert j.pop("nwkskey") == k["nwkskey"] and j.pop("appskey") == k["appskey"]
json.dump(j, open(sys.argv[1], "w"))' "$tmp/n2/node.json" "$tmp/n2.keys" >"$tmp/keyjson" 2>&1
check "stm32wl55: node.json carries the registered keys with --show-keys" "$tmp/keyjson" \
    [ ! -s "$tmp/keyjson" ]
read_back "$tmp/n2" stm32wl55 turbine 08000000 3E800 "$FW/stm32wl55/turbine/nodefw.bin" \
    "$tmp/n2.keys" "gearbox 7" 52.5 -4.25 "1 2500 600000 0 3600"
check "stm32wl55 image read back: record at 0x0803E800 (fields, CRCs, 2.5 s of every 600 s, health 1 h), HEX at 0x08000000" \
    "$tmp/readback" [ ! -s "$tmp/readback" ]
layout_check "$tmp/n2" "$FW/stm32wl55/turbine/nodefw.elf" 08000000 3E800
check "stm32wl55: the CLI's flash base and record page are the linker script's" \
    "$tmp/layout" [ ! -s "$tmp/layout" ]

# --- make flash: its checks, and the openocd command it runs (a stand-in openocd) -----------
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s"\n' "$tmp/openocd.args" >"$tmp/bin/openocd"
chmod +x "$tmp/bin/openocd"
make -s --no-print-directory flash IMAGE="$tmp/n2/nodefw.bin" OPENOCD="$tmp/bin/openocd" \
    >"$tmp/flash.out" 2>&1
rc=$?
printf '%s\n' -f interface/stlink.cfg -f target/stm32wlx.cfg -c \
    "program {$tmp/n2/nodefw.bin} 0x08000000 verify reset exit" >"$tmp/openocd.want"
check "make flash IMAGE=DIR/nodefw.bin runs openocd with ST-LINK, stm32wlx, program at 0x08000000" \
    "$tmp/flash.out" eval '[ "$rc" -eq 0 ] && cmp -s "$tmp/openocd.args" "$tmp/openocd.want"'
make -s --no-print-directory flash >"$tmp/flash.out" 2>&1
rc=$?
check "make flash without IMAGE: fails, says how to call it" "$tmp/flash.out" \
    eval '[ "$rc" -ne 0 ] && grep -q "make flash IMAGE=DIR/nodefw.bin" "$tmp/flash.out"'
make -s --no-print-directory flash IMAGE="$FW/stm32wl55/turbine/nodefw.bin" \
    OPENOCD="$tmp/bin/openocd" >"$tmp/flash.out" 2>&1
rc=$?
check "make flash of the bare build (no record): refused" "$tmp/flash.out" \
    eval '[ "$rc" -ne 0 ] && grep -q "provisioning record" "$tmp/flash.out"'
make -s --no-print-directory flash IMAGE="$tmp/n2/nodefw.bin" OPENOCD="$tmp/no/openocd" \
    >"$tmp/flash.out" 2>&1
rc=$?
check "make flash without openocd: fails, names the Debian package" "$tmp/flash.out" \
    eval '[ "$rc" -ne 0 ] && grep -q "apt-get install openocd" "$tmp/flash.out"'

# --- the range fills up -------------------------------------------------------------------------
run -c "$GW" provision --board mps2-an386 --profile elephant --lat 0 --lon 0 --out "$tmp/n3" \
    --firmware-dir "$FW" --json --listen-s 8 --every-s 12
check_run "the last free DevAddr, 26011F13 (--json: node.json's object, the schedule)" \
    json 'j["devaddr"] == "26011F13" and j["profile"] == "elephant" and "nwkskey" not in j and j["sensing"] == "duty-cycled" and j["listen_s"] == 8 and j["every_s"] == 12 and j["health_s"] == 21600'
if command -v "$QEMU" >/dev/null 2>&1; then
    # 8 s of every 12 s over the 24 s test signal: fewer windows than listening throughout.
    qemu_run "$tmp/n3/nodefw.bin" "$tmp/q6"
    w1=$(sed -n 's/^node windows=\([0-9]*\) .*/\1/p' "$tmp/q1")
    w6=$(sed -n 's/^node windows=\([0-9]*\) .*/\1/p' "$tmp/q6")
    check "QEMU: a duty-cycled record runs: 8 s of every 12 s, $w6 windows against $w1 continuous (exit $rc)" \
        "$tmp/q6" eval '[ "$rc" -eq 0 ] && grep -qx "schedule sensing=1 listen_ms=8000 every_ms=12000 health_s=21600" "$tmp/q6" && [ "${w6:-0}" -gt 0 ] && [ "$w6" -lt "$w1" ]'
fi
before=$(nodes)
run -c "$GW" provision --board mps2-an386 --profile whale --lat 0 --lon 0 --out "$tmp/n4" \
    --firmware-dir "$FW"
check_run "range full: exit 1, says so, registers nothing, writes nothing" \
    eval 'rc_is 1 && stderr_has "26011F10-26011F13 is full" && [ "$(nodes)" -eq "$before" ] && [ ! -e "$tmp/n4/nodefw.bin" ]'
run -c "$GW" provision --board mps2-an386 --profile whale --lat 0 --lon 0 --out "$tmp/n4" \
    --firmware-dir "$FW" --devaddr 26011F20
check_run "--devaddr outside the configured range: exit 1" \
    eval 'rc_is 1 && stderr_has "outside \[gateway\] devaddr_range"'

# --- refusals: nothing registered ---------------------------------------------------------------
before=$(nodes)
P="provision --lat 1 --lon 2 --out $tmp/bad --firmware-dir $FW"
# shellcheck disable=SC2086 # $P is meant to split
{
    run --db "$DB" $P --board esp32 --profile whale
    check_run "unknown board: exit 2, names it" eval 'rc_is 2 && stderr_has "unknown board .esp32."'
    run --db "$DB" $P --board stm32wl55 --profile bat
    check_run "unknown profile: exit 2, names it" eval 'rc_is 2 && stderr_has "unknown profile .bat."'
    run --db "$DB" provision --board stm32wl55 --profile whale --lat 91 --lon 2 --out "$tmp/bad"
    check_run "latitude 91: exit 2" eval 'rc_is 2 && stderr_has "--lat"'
    run --db "$DB" provision --board stm32wl55 --profile whale --lat 1 --lon east --out "$tmp/bad"
    check_run "longitude 'east': exit 2" eval 'rc_is 2 && stderr_has "--lon"'
    run --db "$DB" $P --board stm32wl55 --profile whale --name "$(printf '%032d' 0)"
    check_run "a 32-byte name: exit 2, at most 31 bytes" eval 'rc_is 2 && stderr_has "at most 31"'
    run --db "$DB" $P --board stm32wl55 --profile whale
    check_run "--db without a range and no --devaddr: exit 1, says how" \
        eval 'rc_is 1 && stderr_has "devaddr_range" && stderr_has "--devaddr"'
    run --db "$DB" $P --board stm32wl55 --profile whale --devaddr 26011F0
    check_run "--devaddr of 7 digits: exit 2" eval 'rc_is 2 && stderr_has "--devaddr"'
    run --db "$DB" provision --board stm32wl55 --profile whale --lat 1 --lon 2 --out "$tmp/bad" \
        --firmware-dir "$tmp/nowhere" --devaddr 26011F30
    check_run "missing firmware: exit 1, names the file and how to build it" \
        eval 'rc_is 1 && stderr_has "$tmp/nowhere/stm32wl55/whale/nodefw.bin" && stderr_has "make firmware"'
    run --db "$DB" provision --board stm32wl55 --profile whale --lat 1 --out "$tmp/bad"
    check_run "missing --lon: exit 2" eval 'rc_is 2 && stderr_has "missing --lon"'
    run --db "$DB" $P --board stm32wl55 --profile whale --devaddr 26011F30 --listen-s 6
    check_run "--listen-s without --every-s or --wake-level: exit 2, says what a schedule is" \
        eval 'rc_is 2 && stderr_has "either --every-s S or --wake-level X"'
    run --db "$DB" $P --board stm32wl55 --profile whale --devaddr 26011F30 --listen-s 6 \
        --every-s 60 --wake-level 0.1
    check_run "--every-s and --wake-level together: exit 2" eval 'rc_is 2 && stderr_has "either"'
    run --db "$DB" $P --board stm32wl55 --profile whale --devaddr 26011F30 --listen-s 61 \
        --every-s 60
    check_run "--listen-s longer than --every-s: exit 2" eval 'rc_is 2 && stderr_has "longer than"'
    run --db "$DB" $P --board stm32wl55 --profile whale --devaddr 26011F30 --health-s 30
    check_run "--health-s 30: exit 2, names the range" eval 'rc_is 2 && stderr_has "--health-s" && stderr_has "60 to 604800"'
    run --db "$DB" $P --board stm32wl55 --profile whale --devaddr 26011F30 --listen-s 5 \
        --wake-level 1.5
    check_run "--wake-level 1.5: exit 2" eval 'rc_is 2 && stderr_has "--wake-level"'
}
# A file that cannot be written: nodefw.bin is a directory in --out.
mkdir -p "$tmp/bad/nodefw.bin"
# shellcheck disable=SC2086 # $P is meant to split
run --db "$DB" $P --board stm32wl55 --profile whale --devaddr 26011F31
check_run "an image that cannot be written: exit 1, the node removed again" \
    eval 'rc_is 1 && stderr_has "cannot create" && stderr_has "26011F31 not registered"'
check "after every refusal: no node added, no file left in --out" "$tmp/err" \
    eval '[ "$(nodes)" -eq "$before" ] && [ "$(ls "$tmp/bad")" = nodefw.bin ]'
run --db "$DB" provision --board stm32wl55 --profile whale --lat 1 --lon 2 --out "$tmp/n5" \
    --firmware-dir "$FW" --devaddr 26011F31
check_run "--devaddr with --db: exit 0" eval 'rc_is 0 && stdout_has "node 26011F31 provisioned"'
run --db "$DB" provision --board stm32wl55 --profile whale --lat 1 --lon 2 --out "$tmp/n5" \
    --firmware-dir "$FW" --devaddr 26011F31
check_run "the same --devaddr again: exit 1, already registered" \
    eval 'rc_is 1 && stderr_has "already registered"'

# --- the range key in the config ----------------------------------------------------------------
for bad in "26011F01/24" "26011F00/33" "26011F00-26011E00" "2601/24" "26011F00"; do
    sed "s|^devaddr_range = .*|devaddr_range = $bad|" "$GW" >"$tmp/bad.conf"
    run -c "$tmp/bad.conf" provision --board stm32wl55 --profile whale --lat 1 --lon 2 \
        --out "$tmp/bad" --firmware-dir "$FW"
    check_run "devaddr_range = $bad: exit 1, the config error names line and key" \
        eval 'rc_is 1 && stderr_has "bad.conf:3: \[gateway\] devaddr_range"'
done
"$D" -c "$GW" --check >"$tmp/check" 2>&1
check "tinyfleetd --check accepts devaddr_range" "$tmp/check" grep -q "config ok" "$tmp/check"

# --- OTAA: a version 3 record with the join identity, registered as node add --otaa ----------
OK=2B7E151628AED2A6ABF7158809CF4F3C
run --db "$DB" provision --board stm32wl55 --profile turbine --lat 1 --lon 2 --out "$tmp/n6" \
    --firmware-dir "$FW" --devaddr 26011F40 --otaa --deveui 0004A30B001C0530 --joineui 70B3D57ED0000000 \
    --appkey "$OK" --json --show-keys
check_run "provision --otaa: exit 0, node.json has the EUIs and the AppKey, no session keys" \
    eval 'rc_is 0 && python3 -c "import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if (j[\"deveui\"], j[\"joineui\"], j[\"appkey\"]) == (\"0004A30B001C0530\",
    \"70B3D57ED0000000\", \"$OK\") and \"nwkskey\" not in j else 1)" "$tmp/out"'
# The record, read with zlib's crc32 (independent of our code): version 3, 144 bytes, zero
# session keys, DevEUI and JoinEUI little-endian, the AppKey, three good CRCs.
check "record.bin: version 3, EUIs LE, AppKey, zero session keys, CRCs 0..83, 0..103, 0..139" \
    "$tmp/n6/record.bin" /usr/bin/python3 -c 'import struct, sys, zlib
r = open(sys.argv[1], "rb").read()
crc = lambda n: struct.unpack_from("<I", r, n)[0] == zlib.crc32(r[:n])
ok = (len(r) == 144 and r[4] == 3 and r[12:44] == bytes(32) and crc(84) and crc(104) and crc(140)
      and r[108:116] == bytes.fromhex("0004A30B001C0530")[::-1]
      and r[116:124] == bytes.fromhex("70B3D57ED0000000")[::-1]
      and r[124:140] == bytes.fromhex(sys.argv[2]))
sys.exit(0 if ok else 1)' "$tmp/n6/record.bin" "$OK"
check "the image holds the same 144 bytes at the record page" "$tmp/n6/record.bin" \
    cmp -n 144 -i 256000:0 "$tmp/n6/nodefw.bin" "$tmp/n6/record.bin"
check "registered as an OTAA node (DevEUI found by the join check)" /dev/null \
    test "$(sqlite3 -batch "$DB" "SELECT deveui, hex(appkey) FROM nodes WHERE devaddr = 637607744")" = "0004A30B001C0530|$OK"
run --db "$DB" provision --board stm32wl55 --profile turbine --lat 1 --lon 2 --out "$tmp/n7" \
    --firmware-dir "$FW" --devaddr 26011F41 --otaa --deveui 0004A30B001C05 --joineui 70B3D57ED0000000
check_run "provision --otaa with a short DevEUI: exit 2, nothing written" \
    eval 'rc_is 2 && stderr_has "deveui" && [ ! -e "$tmp/n7" ]'
run --db "$DB" provision --board stm32wl55 --profile turbine --lat 1 --lon 2 --out "$tmp/n7" \
    --firmware-dir "$FW" --devaddr 26011F41 --deveui 0004A30B001C0531
check_run "--deveui without --otaa: exit 2" eval 'rc_is 2 && stderr_has "go with --otaa"'

finish
