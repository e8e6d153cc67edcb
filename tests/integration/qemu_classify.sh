#!/bin/sh
# SPDX-License-Identifier: MIT
# The Cortex-M4 firmware under QEMU classifies exactly as the host build does. For each
# profile, the mps2-an386 image (test signal baked in at build time) runs in
# `qemu-system-arm -M mps2-an386` with semihosting and prints one line of integers per window;
# classify-host runs the same code over the host libnodefw.a on the WAV copy of the signal.
# The lines must be identical, window for window, and as many as the signal holds; and
# `tinyfleet-node classify` on the WAV must report the same class, confidence, level (and
# anomaly score, flag and peak band) for every window. The turbine image also learns from
# the first half of its signal and judges the rest: its learned state and every window's
# verdict must equal the host's, byte for byte. Then the whole node (node.elf) runs
# on the same signal and its LoRa frames must decode with `tinyfleet frame decode`.
# Run from the repository root: BUILD=/abs/build sh tests/integration/qemu_classify.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=qemu_classify
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

QEMU=${QEMU:-qemu-system-arm}
HOST="$BUILD/nodefw/tools/classify-host"
# Generous: an image runs in well under a second of emulation; a hang must not stall CI.
QEMU_TIMEOUT=${QEMU_TIMEOUT:-120}

if ! command -v "$QEMU" >/dev/null 2>&1; then
    nok "$QEMU is installed (Debian package qemu-system-arm)"
    finish
fi

for p in elephant whale turbine; do
    elf="$BUILD/nodefw/mps2-an386/$p/nodefw.elf"
    wav="$BUILD/nodefw/signal/$p.wav"
    # Semihosting output goes to a file of its own (without a chardev QEMU writes it to
    # stderr, mixed with its own messages).
    : >"$tmp/qemu.$p"
    timeout "$QEMU_TIMEOUT" "$QEMU" -M mps2-an386 -nographic \
        -chardev "file,id=semi,path=$tmp/qemu.$p" \
        -semihosting-config enable=on,target=native,chardev=semi \
        -kernel "$elf" >"$tmp/qemu-err.$p" 2>&1 </dev/null
    rc=$?
    check "$p: the QEMU image exits 0 (exit $rc)" "$tmp/qemu-err.$p" [ "$rc" -eq 0 ]
    "$HOST" "$p" "$wav" >"$tmp/host.$p" 2>"$tmp/host-err.$p"
    rc=$?
    check "$p: classify-host exits 0 (exit $rc)" "$tmp/host-err.$p" [ "$rc" -eq 0 ]

    # samples in the WAV (data chunk / 2) -> complete windows: steps of 1024, first at 3
    samples=$(sed -n 's/^profile .* samples=\([0-9]*\)$/\1/p' "$tmp/qemu.$p")
    want=$(((${samples:-0} / 1024) - 2))
    grep -E '^(win|windows) ' "$tmp/qemu.$p" >"$tmp/q.$p"
    grep -E '^(win|windows) ' "$tmp/host.$p" >"$tmp/h.$p"
    # The turbine's learning run (learn_run.h): windows, learned state and verdicts.
    grep -E '^(lwin|lstate|lwindows) ' "$tmp/qemu.$p" >"$tmp/lq.$p"
    grep -E '^(lwin|lstate|lwindows) ' "$tmp/host.$p" >"$tmp/lh.$p"
    got=$(grep -c '^win ' "$tmp/q.$p")
    check "$p: QEMU printed $want windows (got $got)" "$tmp/qemu.$p" \
        eval '[ "$want" -gt 0 ] && [ "$got" -eq "$want" ] && grep -qx "windows $want" "$tmp/q.$p"'
    diff -u "$tmp/h.$p" "$tmp/q.$p" >"$tmp/diff.$p"
    check "$p: QEMU and host windows are identical ($got windows)" "$tmp/diff.$p" \
        eval '[ -s "$tmp/q.$p" ] && [ ! -s "$tmp/diff.$p" ]'
    if [ "$p" = turbine ]; then
        diff -u "$tmp/lh.$p" "$tmp/lq.$p" >"$tmp/ldiff.$p"
        bytes=$(sed -n 's/^lwindows .* bytes=\([0-9]*\)$/\1/p' "$tmp/lq.$p")
        check "turbine: QEMU and host learn the same states byte for byte (each phase's, the last ${bytes:-0} bytes) and judge alike" \
            "$tmp/ldiff.$p" eval '[ ! -s "$tmp/ldiff.$p" ] &&
                grep -Eq "^lwindows $want learned=[0-9]+ thr=[1-9][0-9]* modes=[1-8] " "$tmp/lq.$p" &&
                [ "$(grep -c "^lstate 0 " "$tmp/lq.$p")" -ge 5 ] &&
                grep -q "^lstate 0 544c0201" "$tmp/lq.$p" &&
                grep -q "^lstate 0 544c0202" "$tmp/lq.$p" &&
                grep -q "^lstate 0 544c0203" "$tmp/lq.$p" &&
                grep -q "^lwin .* phase=4 " "$tmp/lq.$p"'
    fi
    # The node program's own `classify` on the same WAV: the same windows, in its JSON form.
    # (The turbine's frozen model, which the image runs, only on request: --frozen.)
    frozen=
    [ "$p" = turbine ] && frozen=--frozen
    "$BUILD/tinyfleet-node" classify --profile "$p" $frozen "$wav" >"$tmp/node.$p" \
        2>"$tmp/node-err.$p"
    rc=$?
    check "$p: tinyfleet-node classify exits 0 (exit $rc)" "$tmp/node-err.$p" [ "$rc" -eq 0 ]
    python3 - "$tmp/q.$p" "$tmp/node.$p" >"$tmp/cmp.$p" 2>&1 <<'PY'
import json, sys
wins = [dict(kv.split("=") for kv in l.split()[2:]) for l in open(sys.argv[1]) if l.startswith("win ")]
js = [json.loads(l) for l in open(sys.argv[2])]
assert len(wins) == len(js), f"{len(wins)} QEMU windows, {len(js)} JSON lines"
for i, (w, j) in enumerate(zip(wins, js)):
    w = {k: int(v) for k, v in w.items()}
    want = {"end_ms": round(j["t"] * 1000), "conf": round(j["confidence"] * 255),
            "class": j["class_id"] if w["det"] else w["class"], "level": j["level_db"]}
    if w["det"] == 0:
        assert j["class_id"] == 0, f"window {i}: not detected but class_id {j['class_id']}"
    if "anomaly_score" in j:
        want.update(score=round(j["anomaly_score"] * 255), anom=int(j["anomalous"]),
                    peak=j["peak_band"])
    for k, v in want.items():
        assert w[k] == v, f"window {i}: {k} {w[k]} in QEMU, {v} from tinyfleet-node"
PY
    check "$p: tinyfleet-node classify agrees with QEMU on every window" "$tmp/cmp.$p" \
        eval '[ ! -s "$tmp/cmp.$p" ] && [ -s "$tmp/node.$p" ]'
    # The host twin reads the WAV; the image holds the C array: both came from one rendering.
    bytes=$(($(wc -c <"$wav") - 44))
    check "$p: the WAV holds the image's $samples samples" "$tmp/qemu.$p" \
        [ "$bytes" -eq $((${samples:-0} * 2)) ]

    # The whole node firmware (node.elf: node.h over the board's HAL) on the same signal:
    # its LoRa frames, printed by the board's radio, must be frames the gateway accepts
    # under the test node's keys, numbered 0, 1, 2... and ending in a health message that
    # counts every window the classification above saw.
    node="$BUILD/nodefw/mps2-an386/$p/node.elf"
    : >"$tmp/node-qemu.$p"
    timeout "$QEMU_TIMEOUT" "$QEMU" -M mps2-an386 -nographic -icount shift=0,sleep=off \
        -chardev "file,id=semi,path=$tmp/node-qemu.$p" \
        -semihosting-config enable=on,target=native,chardev=semi \
        -kernel "$node" >"$tmp/node-qemu-err.$p" 2>&1 </dev/null
    rc=$?
    check "$p: the QEMU node image ends with exit 0 (exit $rc)" "$tmp/node-qemu.$p" \
        [ "$rc" -eq 0 ]
    : >"$tmp/frames.$p"
    for phy in $(sed -n 's/^radio .* phy=\([0-9a-f]*\)$/\1/p' "$tmp/node-qemu.$p"); do
        "$T" frame decode --nwkskey "$NK" --appskey "$AK" "$phy" >>"$tmp/frames.$p" 2>&1
    done
    python3 - "$tmp/frames.$p" "$want" >"$tmp/fcmp.$p" 2>&1 <<'PY'
import json, sys
fs = [json.loads(l) for l in open(sys.argv[1])]
assert fs, "no frame sent"
for i, f in enumerate(fs):
    assert f["mic_ok"] and f["devaddr"] == "26011F00", f"frame {i}: {f}"
    assert f["fcnt"] == i, f"frame {i} has fcnt {f['fcnt']}"
    assert f["fport"] in (1, 2, 3) and "tfp" in f, f"frame {i}: {f}"
assert fs[-1]["tfp"]["kind"] == "health", f"last frame: {fs[-1]}"
n = sum(f["tfp"]["inferences"] for f in fs if f["tfp"]["kind"] == "health")
assert n == int(sys.argv[2]), f"health messages count {n} inferences, {sys.argv[2]} windows"
PY
    nframes=$(grep -c . "$tmp/frames.$p")
    check "$p: the node's $nframes frames pass MIC, counter and health checks" "$tmp/fcmp.$p" \
        [ ! -s "$tmp/fcmp.$p" ]
done

finish
