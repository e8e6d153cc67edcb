#!/bin/sh
# SPDX-License-Identifier: MIT
# Program a provisioned STM32WL55 node image through an ST-LINK (Nucleo-WL55JC's on-board
# one) with openocd: `make flash IMAGE=DIR/nodefw.bin`, where DIR is what
# `tinyfleet provision --board stm32wl55 ... --out DIR` wrote. A .bin starts at 0x08000000
# and holds the provisioning record at 0x0803E800; it is checked for that record first, so an
# unprovisioned build (which the firmware would refuse to run) is not flashed by mistake. A
# .hex or .elf carries its own addresses and is passed as it is.
#
# openocd's configs are the Debian package's (openocd 0.12, /usr/share/openocd/scripts):
# interface/stlink.cfg and target/stm32wlx.cfg; OPENOCD_INTERFACE and OPENOCD_TARGET
# override them (e.g. interface/stlink-dap.cfg), OPENOCD the program.
# Usage: flash.sh IMAGE
set -u

OPENOCD=${OPENOCD:-openocd}
INTERFACE=${OPENOCD_INTERFACE:-interface/stlink.cfg}
TARGET=${OPENOCD_TARGET:-target/stm32wlx.cfg}
BASE=0x08000000
RECORD_OFF=256000   # 0x3E800: the record page, 2 KB (nodefw/boards/stm32wl55/stm32wl55.ld)
LIMIT=258048        # 0x3F000: the frame-counter pages start here; an image must end before

die() {
    echo "flash: $1" >&2
    exit "${2:-1}"
}

image=${1:-}
[ -n "$image" ] || die "no image: make flash IMAGE=DIR/nodefw.bin (DIR from \`tinyfleet provision --board stm32wl55 ... --out DIR\`)" 2
[ -f "$image" ] || die "$image: no such file (provision the node first: tinyfleet provision --board stm32wl55 ... --out DIR)" 2

case $image in
*.bin)
    size=$(wc -c <"$image")
    [ "$size" -ge $((RECORD_OFF + 88)) ] ||
        die "$image ($size bytes) ends before the provisioning record at 0x0803E800: flash the nodefw.bin that \`tinyfleet provision\` wrote, not the bare build"
    [ "$size" -le "$LIMIT" ] ||
        die "$image ($size bytes) reaches into the frame-counter pages at 0x0803F000"
    magic=$(od -An -c -j "$RECORD_OFF" -N 4 "$image" | tr -d ' ')
    [ "$magic" = TFPR ] ||
        die "$image has no provisioning record at 0x0803E800 (the firmware would refuse to start)"
    addr=" $BASE"
    ;;
*.hex | *.elf) addr="" ;;
*) die "$image: expected a .bin, .hex or .elf file" 2 ;;
esac

command -v "$OPENOCD" >/dev/null 2>&1 ||
    die "$OPENOCD is not installed (Debian: apt-get install openocd), or set OPENOCD=/path/to/openocd"

# The braces quote the path for openocd's Tcl (spaces); a brace inside it would break that.
case $image in
*[{}]*) die "$image: a path with { or } cannot be passed to openocd" 2 ;;
esac
echo "flash: $OPENOCD -f $INTERFACE -f $TARGET -c \"program {$image}$addr verify reset exit\""
exec "$OPENOCD" -f "$INTERFACE" -f "$TARGET" -c "program {$image}$addr verify reset exit"
