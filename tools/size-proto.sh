#!/bin/sh
# Cortex-M4 flash and RAM of proto/: the node side (TFP encode + frame build) and the
# gateway side (parse, counter, MIC verify, decrypt, TFP decode), each linked alone with
# --gc-sections against newlib-nano, so only reachable code counts (memcpy/memset included).
# Usage: size-proto.sh MCU_OBJ_DIR
set -eu
dir=$1
CC=${CROSS_CC:-arm-none-eabi-gcc}
SIZE=${CROSS_SIZE:-arm-none-eabi-size}
flags="-mcpu=cortex-m4 -mthumb -Os -ffreestanding -ffunction-sections -fdata-sections -std=c99"
$CC $flags -Iproto/include -c tools/size-probe.c -o "$dir/size-probe.o"
objs="$dir/aes.o $dir/cmac.o $dir/err.o $dir/frame.o $dir/tfp.o"
printf '%-10s %8s %6s %6s  %s\n' side text data bss "largest functions (bytes)"
for side in node gateway; do
    # shellcheck disable=SC2086 # word splitting of flags and objects is intended
    $CC -mcpu=cortex-m4 -mthumb --specs=nano.specs -nostartfiles -Wl,--gc-sections \
        -Wl,-e,size_probe_$side -o "$dir/size-$side.elf" "$dir/size-probe.o" $objs
    set -- $($SIZE -B "$dir/size-$side.elf" | awk 'NR==2 {print $1, $2, $3}')
    top=$(arm-none-eabi-nm --size-sort -S -t d "$dir/size-$side.elf" | grep -iE ' [tr] ' |
          sort -k2 -nr | head -n 5 | awk '{printf "%s %d, ", $4, $2}')
    printf '%-10s %8s %6s %6s  %s\n' "$side" "$1" "$2" "$3" "${top%, }"
done
