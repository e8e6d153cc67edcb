#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-proto.sh BIN - the proto/ benchmark table (`make bench-proto`).
# Per-operation cost is counted in instructions by callgrind, which gives the same number
# on a loaded machine as on an idle one: each operation runs N and 2N times inside
# bench_loop() (the only code collected) and (I(2N) - I(N)) / N is reported, so the loop's
# entry cost cancels too. AES speed beside OpenSSL is wall clock, best of interleaved
# trials. Every number printed is measured by this run. BENCH_N overrides N (2000).

set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 BENCH_PROTO_BINARY" >&2
    exit 2
fi
bin=$1
n=${BENCH_N:-2000}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "bench-proto: valgrind not found (Debian package valgrind)" >&2
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyfleet-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# instr OP COUNT: print the instructions callgrind counted inside bench_loop().
instr() {
    out=$work/cg.$1.$2
    if ! valgrind --tool=callgrind -q --callgrind-out-file="$out" --collect-atstart=no \
        --toggle-collect='bench_loop*' "$bin" run "$1" "$2" >"$work/run.$1" 2>"$work/err"; then
        echo "bench-proto: $bin run $1 $2 failed under callgrind:" >&2
        cat "$work/err" >&2
        return 1
    fi
    ir=$(sed -n 's/^summary: *//p' "$out")
    case $ir in
    '' | 0 | *[!0-9]*)
        echo "bench-proto: callgrind counted nothing in bench_loop for $1 (got '$ir')" >&2
        return 1
        ;;
    esac
    echo "$ir"
}

# row LABEL OP: one line of the instruction table.
row() {
    i1=$(instr "$2" "$n") || exit 1
    i2=$(instr "$2" $((n * 2))) || exit 1
    frame=$(sed -n 's/.*frame_bytes=\([0-9]*\).*/\1/p' "$work/run.$2")
    payload=$(sed -n 's/.*payload_bytes=\([0-9]*\).*/\1/p' "$work/run.$2")
    awk -v l="$1" -v a="$i1" -v b="$i2" -v n="$n" -v f="$frame" -v p="$payload" 'BEGIN {
        fs = f > 0 ? f " B" : "-"; ps = p > 0 ? p " B" : "-";
        printf "  %-50s %6s %8s %13.0f\n", l, fs, ps, (b - a) / n }'
}

echo "bench-proto: $bin, $(valgrind --version)"
echo
echo "Instructions per operation (callgrind, (I($((n * 2))) - I($n)) / $n; same on any load)"
printf '  %-50s %6s %8s %13s\n' "operation" "frame" "payload" "instructions"
row "gateway: parse+fcnt+verify+decrypt+decode, 1 det" gw1
row "gateway: parse+fcnt+verify+decrypt+decode, 8 det" gw8
row "node: tfp encode + frame build, 1 detection" node1
row "node: tfp encode + frame build, 8 detections" node8
row "proto_aes128_init (key expansion)" aes-init
row "proto_aes128_encrypt (one block)" aes-block

if ! "$bin" aes >"$work/aes" 2>"$work/err"; then
    echo "bench-proto: $bin aes failed:" >&2
    cat "$work/err" >&2
    exit 1
fi
get() {
    sed -n "s/^$1=//p" "$work/aes"
}
aesni=no
if grep -qw aes /proc/cpuinfo 2>/dev/null; then
    aesni=yes
fi
echo
echo "AES-128 encryption speed, wall clock (CLOCK_MONOTONIC): best of $(get trials)" \
    "interleaved trials of $(get trial_ms) ms each"
echo "($(get openssl), CPU AES instructions: $aesni)"
printf '  %-50s %10s %9s %13s\n' "implementation" "Mblocks/s" "ns/block" "ours/OpenSSL"
awk -v ours="$(get ours_block)" -v ob="$(get ossl_block)" -v obulk="$(get ossl_bulk)" \
    -v bytes="$(get bulk_bytes)" 'BEGIN {
    printf "  %-50s %10.2f %9.1f %13s\n", "proto_aes128_encrypt, 1 block per call",
        ours / 1e6, 1e9 / ours, "-";
    printf "  %-50s %10.2f %9.1f %13.3f\n", "OpenSSL EVP AES-128-ECB, 1 block per call",
        ob / 1e6, 1e9 / ob, ours / ob;
    printf "  %-50s %10.2f %9.1f %13.3f\n", "OpenSSL EVP AES-128-ECB, " bytes " B per call",
        obulk / 1e6, 1e9 / obulk, ours / obulk }'
