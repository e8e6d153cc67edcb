#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-nodefw.sh OUT - instructions per classification window, per profile
# (`make bench-nodefw`), split into features (one step: 1024 samples -> 8 FFT frames of
# log band energies, and the window's feature matrix) and inference (the int8 model and
# its head), beside the model's multiply-accumulates as instructions per MAC.
#
# Both columns count instructions, so they are the same on a loaded machine as on an idle
# one, run after run:
# - host: x86-64 instructions of the host build (libnodefw.a, -O2), counted by callgrind
#   inside board_bench_features() and board_bench_infer() (--toggle-collect), divided by
#   the windows measured;
# - QEMU: Thumb-2 instructions of the Cortex-M4 image (-Os), from the mps2-an386 image's
#   own timing: under `-icount shift=0` each instruction takes 1 ns of virtual time and the
#   25 MHz CMSDK timer ticks every 40 instructions (QEMU 7.2 models no DWT cycle counter:
#   CYCCNT reads 0). Resolution: 40 instructions per measured interval.
# Same signal, same windows as the QEMU test (tests/integration/qemu_classify.sh).

set -u

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 BUILD/nodefw" >&2
    exit 2
fi
out=$1
host=$out/tools/classify-host
BENCH_NAME=bench-nodefw
# shellcheck source=tools/bench.inc
. tools/bench.inc
need valgrind qemu-system-arm timeout
work=$(mktemp -d "${TMPDIR:-/tmp}/tinyfleet-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# host_instr PROFILE FUNCTION: instructions callgrind counted inside FUNCTION.
host_instr() {
    cg=$work/cg.$1.$2
    if ! valgrind --tool=callgrind -q --callgrind-out-file="$cg" --collect-atstart=no \
        --toggle-collect="$2" "$host" --bench "$1" "$out/signal/$1.wav" \
        >"$work/host.$1" 2>"$work/err"; then
        echo "$BENCH_NAME: $host --bench $1 failed under callgrind:" >&2
        cat "$work/err" >&2
        return 1
    fi
    ir=$(sed -n 's/^summary: *//p' "$cg")
    case $ir in
    '' | 0 | *[!0-9]*)
        echo "$BENCH_NAME: callgrind counted nothing in $2 for $1 (got '$ir')" >&2
        return 1
        ;;
    esac
    echo "$ir"
}

# qemu_run PROFILE: the image's "bench" line under -icount shift=0.
qemu_run() {
    : >"$work/qemu.$1"
    if ! timeout 300 qemu-system-arm -M mps2-an386 -nographic -icount shift=0 \
        -chardev "file,id=semi,path=$work/qemu.$1" \
        -semihosting-config enable=on,target=native,chardev=semi \
        -kernel "$out/mps2-an386/$1/nodefw.elf" >"$work/err" 2>&1 </dev/null; then
        echo "$BENCH_NAME: the QEMU image for $1 failed:" >&2
        cat "$work/err" "$work/qemu.$1" >&2
        return 1
    fi
    grep '^bench ' "$work/qemu.$1"
}

field() {
    echo "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

echo "$BENCH_NAME: $(valgrind --version), $(qemu-system-arm --version | head -n 1)"
echo
echo "Instructions per window (features: 1024 samples = 8 FFT frames + the window's matrix;"
echo "inference: model + head). host = x86-64 (callgrind), qemu = Cortex-M4 Thumb-2 (-icount)"
printf '%-9s %4s %6s | %9s %9s %9s | %9s %9s %9s\n' profile win MACs \
    "host feat" "host inf" "inf/MAC" "qemu feat" "qemu inf" "inf/MAC"
for p in elephant whale turbine; do
    feat=$(host_instr "$p" board_bench_features) || exit 1
    inf=$(host_instr "$p" board_bench_infer) || exit 1
    hline=$(cat "$work/host.$p")
    qline=$(qemu_run "$p") || exit 1
    awk -v p="$p" -v hw="$(field "$hline" windows)" -v macs="$(field "$hline" macs)" \
        -v hf="$feat" -v hi="$inf" -v qw="$(field "$qline" windows)" \
        -v qf="$(field "$qline" features_ticks)" -v qi="$(field "$qline" infer_ticks)" \
        -v clk="$(field "$qline" clock_hz)" 'BEGIN {
        ipt = 1e9 / clk;   # instructions per tick at 1 ns per instruction
        if (hw == 0 || qw != hw) { print "bench-nodefw: window counts differ"; exit 1 }
        qf = qf * ipt / qw; qi = qi * ipt / qw;
        printf "%-9s %4d %6d | %9.0f %9.0f %9.2f | %9.0f %9.0f %9.2f\n", p, hw, macs,
            hf / hw, hi / hw, (macs > 0 ? hi / hw / macs : 0),
            qf, qi, (macs > 0 ? qi / macs : 0) }' || exit 1
done
echo
echo "inf/MAC includes everything in the inference call: requantisation, pooling, the head."

# The turbine learns its machine before judging (nodefw/learn.h): the same signal as a
# learning run (first half learning, the rest judged with what it learned), each step counted
# whole (DC blocker, features, learning or judging) against the frozen model's features +
# inference above. Host: per call (the first two only fill the feature ring); QEMU: per window.
echo
echo "Turbine learning: instructions per window, against the frozen model (features + inference)"
printf '%-9s | %9s %9s %9s | %9s %9s %9s\n' turbine "host now" "learning" "judging" \
    "qemu now" "learning" "judging"
lfeat=$(host_instr turbine board_bench_features) || exit 1
linf=$(host_instr turbine board_bench_infer) || exit 1
hnow=$(cat "$work/host.turbine")
hlearn=$(host_instr turbine board_learn_step_learning) || exit 1
hjudge=$(host_instr turbine board_learn_step_judging) || exit 1
lline=$(grep '^lbench ' "$work/host.turbine")
qemu_run turbine >/dev/null || exit 1
qb=$(grep '^bench ' "$work/qemu.turbine")
ql=$(grep '^lbench ' "$work/qemu.turbine")
awk -v hw="$(field "$hnow" windows)" -v hf="$lfeat" -v hi="$linf" -v hl="$hlearn" \
    -v hj="$hjudge" -v lw="$(field "$lline" learn_windows)" -v jw="$(field "$lline" judge_windows)" \
    -v qw="$(field "$qb" windows)" -v qf="$(field "$qb" features_ticks)" \
    -v qi="$(field "$qb" infer_ticks)" -v clk="$(field "$qb" clock_hz)" \
    -v qlw="$(field "$ql" learn_windows)" -v qlt="$(field "$ql" learn_ticks)" \
    -v qjw="$(field "$ql" judge_windows)" -v qjt="$(field "$ql" judge_ticks)" 'BEGIN {
    ipt = 1e9 / clk;
    if (hw == 0 || lw == 0 || jw == 0 || qlw == 0 || qjw == 0) { print "bench-nodefw: no windows"; exit 1 }
    hn = (hf + hi) / hw; hl = hl / (lw + 2); hj = hj / jw;
    qn = (qf + qi) * ipt / qw; ql = qlt * ipt / qlw; qj = qjt * ipt / qjw;
    printf "%-9s | %9.0f %9.0f %9.0f | %9.0f %9.0f %9.0f\n", "per win", hn, hl, hj, qn, ql, qj;
    printf "%-9s | %9s %8.3fx %8.3fx | %9s %8.3fx %8.3fx\n", "ratio", "1", hl / hn, hj / hn,
        "1", ql / qn, qj / qn }' || exit 1
