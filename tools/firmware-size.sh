#!/bin/sh
# SPDX-License-Identifier: MIT
# firmware-size.sh [--check] OUT "BOARDS" "PROFILES": flash and RAM of every firmware image.
# Per image: text, data, bss (arm-none-eabi-size), the model's bytes (the symbols of its
# generated header, all prefixed <profile>_), and the worst stack: the deepest call path
# from the reset handler plus the deepest interrupt handler, computed by stack_depth.py
# from the compiler's -fcallgraph-info=su output (not just the largest single frame).
# flash = text + data; RAM = data + bss + worst stack.
#
# --check also fails when the firmware budget is broken (stm32wl55 + elephant: flash
# <= 64 KB, RAM <= 16 KB, model included) or an image links malloc, free or printf.
set -u

check=0
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
if [ $# -ne 3 ]; then
    echo "usage: $0 [--check] OUT_DIR \"BOARDS\" \"PROFILES\"" >&2
    exit 2
fi
out=$1
boards=$2
profiles=$3
here=$(dirname "$0")
SIZE=${CROSS_SIZE:-arm-none-eabi-size}
NM=${CROSS_NM:-arm-none-eabi-nm}
FLASH_MAX=65536
RAM_MAX=16384
bad=0
details=""

printf '%-11s %-9s %7s %5s %6s %6s %6s %7s %6s\n' board profile text data bss model stack \
    flash RAM
for b in $boards; do
    for p in $profiles; do
        elf=$out/$b/$p/nodefw.elf
        map=$out/$b/$p/nodefw.map
        if [ ! -f "$elf" ] || [ ! -f "$map" ]; then
            echo "firmware-size: $elf or its map is missing (make firmware)" >&2
            exit 1
        fi
        # shellcheck disable=SC2046 # one word per field
        set -- $($SIZE -B "$elf" | awk 'NR == 2 {print $1, $2, $3}')
        text=$1
        data=$2
        bss=$3
        # (constants sit in the .text output section: nm types them t)
        model=$($NM -S -t d "$elf" | awk -v p="${p}_" '$3 ~ /^[tTrRdD]$/ && index($4, p) == 1 {
            s += $2 } END { print s + 0 }')
        # the objects the linker took, as the map file names them
        objs=$(grep -oE "$out/[^ ]+\.o" "$map" | sort -u)
        # shellcheck disable=SC2086 # one argument per object
        st=$(python3 "$here/stack_depth.py" "$elf" $objs) || {
            echo "firmware-size: $b/$p: $st" >&2
            bad=1
        }
        stack=$(echo "$st" | sed -n 's/^stack=\([0-9]*\).*/\1/p')
        stack=${stack:-0}
        flash=$((text + data))
        ram=$((data + bss + stack))
        printf '%-11s %-9s %7d %5d %6d %6d %6d %7d %6d\n' "$b" "$p" "$text" "$data" "$bss" \
            "$model" "$stack" "$flash" "$ram"
        details="$details
  $b/$p: $(echo "$st" | sed 's/^stack=[0-9]* //')"
        if [ "$check" -eq 1 ]; then
            libc=$($NM "$elf" | awk '$3 ~ /^(malloc|free|calloc|realloc|_malloc_r|printf|sprintf|snprintf|puts)$/ {print $3}' | tr '\n' ' ')
            if [ -n "$libc" ]; then
                echo "firmware-size: $b/$p links $libc(firmware must not)" >&2
                bad=1
            fi
            if [ "$b/$p" = "stm32wl55/elephant" ] &&
                { [ "$flash" -gt "$FLASH_MAX" ] || [ "$ram" -gt "$RAM_MAX" ]; }; then
                echo "firmware-size: stm32wl55/elephant over budget: flash $flash > $FLASH_MAX" \
                    "or RAM $ram > $RAM_MAX" >&2
                bad=1
            fi
        fi
    done
done
echo
echo "stack = deepest call path from reset + deepest interrupt handler with its 36-byte"
echo "exception frame (stack_depth.py: -fcallgraph-info=su frames, library code from the"
echo "disassembly, indirect calls to any address-taken function, two levels deep):$details"
if [ "$check" -eq 1 ]; then
    if [ "$bad" -ne 0 ]; then
        echo "firmware-check: FAILED"
        exit 1
    fi
    echo "firmware-check: stm32wl55/elephant within 64 KB flash and 16 KB RAM; no malloc/printf"
fi
exit "$bad"
