#!/bin/sh
# SPDX-License-Identifier: MIT
# The node firmware on the host against the real gateway: tinyfleetd on free loopback ports,
# nodes registered with `tinyfleet node add`, and `tinyfleet-node run` feeding a synthesised
# elephant scene through the whole firmware (features, model, aggregator, frame counter,
# TFP, LoRaWAN frame) over BOTH bearers: CoAP POST /up with the node's own CON client, and
# LoRa through the simulated packet forwarder (PUSH_DATA, PUSH_ACK). Checks that the gateway
# stored exactly the frames and events the node says it sent, that the counter kept in the
# node's storage file survives a restart (skipping ahead, never replayed), that a 4.01 is
# dropped and counted, `tinyfleet-node classify`'s answers for good and bad WAV files, and a
# turbine's learned state kept in its storage file across restarts (and --relearn).
# Run from the repository root: BUILD=/abs/build sh tests/integration/node_run.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=node_run
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

N="$BUILD/tinyfleet-node"
DEV_C=26011F10 # the CoAP node
DEV_L=26011F11 # the LoRa node

# node_out EXPR: the last node run printed one JSON line s (its counters) and EXPR holds.
node_out() {
    python3 -c 'import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
s = json.loads(lines[-1]) if len(lines) == 1 else None
sys.exit(0 if s is not None and eval("(" + sys.argv[2] + ")") else 1)' "$tmp/node.out" "$1"
}

# run_node ARGS...: tinyfleet-node run with the common node arguments; output in
# $tmp/node.out and $tmp/node.err, exit status in $rc.
run_node() {
    "$N" run --profile elephant --nwkskey "$NK" --appskey "$AK" --speed 40 "$@" \
        >"$tmp/node.out" 2>"$tmp/node.err"
    rc=$?
    cat "$tmp/node.out" "$tmp/node.err" >"$tmp/node.show"
}

# stored DEVADDR EXPR: `events --json` of DEVADDR as ev, its frame counters as fc (sorted,
# from the frames table), and the node's last counters as s; EXPR holds.
stored() {
    "$T" --db "$db" events --json --node "$1" >"$tmp/events" 2>&1 || return 1
    python3 -c 'import json, sqlite3, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
c = sqlite3.connect("file:" + sys.argv[2] + "?mode=ro", uri=True)
fc = sorted(r[0] for r in c.execute("SELECT fcnt FROM frames WHERE devaddr = ?",
                                    (int(sys.argv[3], 16),)))
lines = [l for l in open(sys.argv[4]) if l.strip()]
s = json.loads(lines[-1])
sys.exit(0 if eval("(" + sys.argv[5] + ")") else 1)' "$tmp/events" "$db" "$1" "$tmp/node.out" "$2"
}

free_ports COAP LORA
write_conf "$conf" test "$db" "127.0.0.1:$COAP" "127.0.0.1:$LORA"

# --- setup ----------------------------------------------------------------------------------
check "tinyfleet-node --help" /dev/null sh -c "'$N' --help | grep -q 'fleet --scenario'"
check "nodes $DEV_C and $DEV_L registered" "$tmp/out" \
    sh -c "'$T' --db '$db' node add $DEV_C --nwkskey $NK --appskey $AK --profile elephant \
        >'$tmp/out' 2>&1 && '$T' --db '$db' node add $DEV_L --nwkskey $NK --appskey $AK \
        --profile elephant >>'$tmp/out' 2>&1"
"$N" synth --profile elephant --seconds 40 --event rumble --at 12 --snr 25 --seed 3 \
    "$tmp/el.wav" 2>"$tmp/synth.err"
check "synth writes a 40 s elephant scene" "$tmp/synth.err" \
    test "$(wc -c <"$tmp/el.wav")" -eq $((44 + 2 * 40000))
check "tinyfleetd starts and logs 'listening'" "$log" start_daemon "$log"

# --- CoAP -------------------------------------------------------------------------------------
run_node --devaddr "$DEV_C" --coap "coap://127.0.0.1:$COAP/up" --wav "$tmp/el.wav" \
    --nv "$tmp/c.nv" --batch-s 2
check "run over CoAP: exit 0" "$tmp/node.show" test "$rc" -eq 0
check "...counters: frames all delivered, nothing failed, 37 windows of 1024 samples" \
    "$tmp/node.show" node_out '
s["bearer"] == "coap" and s["frames"] >= 1 and s["delivered"] == s["frames"] and
s["tx_failed"] == 0 and s["windows"] == 37'
check "...stored by the gateway: fcnt 0, 1, ..., the rumble as elephant, a health message" \
    "$tmp/events" stored "$DEV_C" '
fc == list(range(s["frames"])) and
[e["kind"] for e in ev].count("health") == 1 and
all(e["kind"] in ("health", "detection") for e in ev) and
[e for e in ev if e["kind"] == "health"][0]["battery_mv"] == 3600 and
len([e for e in ev if e["kind"] == "detection"]) == s["episodes"] >= 1 and
all(e["class"] == "elephant" and e["duration_s"] >= 2 for e in ev if e["kind"] == "detection")'

# The same node again with its storage file: the counter continues past the stored limit
# (K = 64): no counter is used twice, so the gateway accepts every frame.
first=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())["frames"])' \
    "$tmp/node.out" 2>/dev/null || echo 0)
run_node --devaddr "$DEV_C" --coap "coap://127.0.0.1:$COAP/up" --wav "$tmp/el.wav" \
    --nv "$tmp/c.nv" --batch-s 2
check "restarted node: frames delivered, counter resumed at the stored limit 64" \
    "$tmp/node.show" sh -c "test $rc -eq 0 && python3 -c '
import json, sys
s = json.loads(open(sys.argv[1]).read())
sys.exit(0 if s[\"delivered\"] == s[\"frames\"] >= 1 and s[\"fcnt_next\"] == 64 + s[\"frames\"]
         else 1)' '$tmp/node.out'"
check "...stored by the gateway under counters 64, 65, ... (none refused as a replay)" \
    "$tmp/events" stored "$DEV_C" '
fc == list(range('"$first"')) + list(range(64, 64 + s["frames"]))'

# Wrong keys: the gateway answers 4.01; the node drops the frame and counts it.
"$N" run --profile elephant --nwkskey "$NK_WRONG" --appskey "$AK" --speed 40 \
    --devaddr "$DEV_C" --coap "coap://127.0.0.1:$COAP/up" --wav "$tmp/el.wav" \
    >"$tmp/node.out" 2>"$tmp/node.err"
rc=$?
check "bad MIC over CoAP: 4.01, each frame dropped and counted, exit 1" "$tmp/node.out" \
    sh -c "test $rc -eq 1 && python3 -c '
import json, sys
s = json.loads(open(sys.argv[1]).read())
sys.exit(0 if s[\"frames\"] >= 1 and s[\"tx_failed\"] == s[\"frames\"] and
         s[\"delivered\"] == 0 and s[\"coap_retransmissions\"] == 0 else 1)' '$tmp/node.out'"

# Nobody at the CoAP port: each frame is sent, retransmitted 4 times with back-off, then
# counted as lost (at x400 the 62..93 simulated seconds take a quarter of a second).
free_ports DEAD
"$N" run --profile elephant --nwkskey "$NK" --appskey "$AK" --speed 400 \
    --devaddr "$DEV_C" --coap "coap://127.0.0.1:$DEAD/up" --wav "$tmp/el.wav" \
    >"$tmp/node.out" 2>"$tmp/node.err"
rc=$?
check "gateway unreachable over CoAP: retransmitted, given up, counted, exit 1" "$tmp/node.out" \
    sh -c "test $rc -eq 1 && python3 -c '
import json, sys
s = json.loads(open(sys.argv[1]).read())
sys.exit(0 if s[\"frames\"] >= 1 and s[\"tx_failed\"] == s[\"frames\"] and
         s[\"delivered\"] == 0 and s[\"coap_timeouts\"] >= 1 and
         s[\"coap_retransmissions\"] == 4 * s[\"coap_timeouts\"] else 1)' '$tmp/node.out'"

# --- LoRa through the simulated packet forwarder ---------------------------------------------
run_node --devaddr "$DEV_L" --forwarder "127.0.0.1:$LORA" --wav "$tmp/el.wav" \
    --eui AA555A0000000042 --batch-s 2
check "run over LoRa: exit 0, a PUSH_ACK for every frame, airtime counted" "$tmp/node.show" \
    sh -c "test $rc -eq 0 && python3 -c '
import json, sys
s = json.loads(open(sys.argv[1]).read())
sys.exit(0 if s[\"bearer\"] == \"lora\" and s[\"frames\"] >= 1 and
         s[\"push_acks\"] == s[\"frames\"] and s[\"push_ack_timeouts\"] == 0 and
         s[\"airtime_ms\"] > 0 and s[\"budget_refused\"] == 0 else 1)' '$tmp/node.out'"
check "...the gateway stored each frame and the health message" "$tmp/events" stored "$DEV_L" '
fc == list(range(s["frames"])) and [e["kind"] for e in ev].count("health") == 1 and
len([e for e in ev if e["kind"] == "detection"]) == s["episodes"]'
check "...received through forwarder AA555A0000000042 at SF9" /dev/null python3 -c '
import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
rx = c.execute("SELECT r.gateway, r.datr FROM receptions r JOIN frames f ON f.id = r.frame_id "
               "WHERE f.devaddr = ?", (int(sys.argv[2], 16),)).fetchall()
sys.exit(0 if rx and all(g == "AA555A0000000042" and d == "SF9BW125" for g, d in rx) else 1)' \
    "$db" "$DEV_L"

# --- classify ----------------------------------------------------------------------------------
"$N" classify --profile elephant "$tmp/el.wav" >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "classify: one JSON line per window, t in steps of 1.024 s, valid classes" eval \
    'rc_is 0 && jsonl "N == 37 and all(abs(x[\"t\"] - 1.024 * (i + 3)) < 1e-6 and
        0 <= x[\"confidence\"] <= 1 and x[\"class\"] in (\"none\", \"elephant\", \"human\",
        \"vehicle\", \"gunshot\", \"unknown\") for i, x in enumerate(js))"'
"$N" synth --profile whale --seconds 5 "$tmp/whale.wav" 2>/dev/null
"$N" classify --profile elephant "$tmp/whale.wav" >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "classify: a 2000 Hz file for the elephant profile is a clear error" eval \
    'rc_is 1 && stderr_has "sample rate 2000 Hz, but the elephant profile needs 1000 Hz" &&
     stdout_empty'
python3 -c 'import struct, sys
d = b"\0\0" * 2000
h = b"RIFF" + struct.pack("<I", 36 + len(d)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 2,
    1000, 4000, 4, 16) + b"data" + struct.pack("<I", len(d))
open(sys.argv[1], "wb").write(h + d)
open(sys.argv[2], "wb").write(open(sys.argv[3], "rb").read()[:30])' \
    "$tmp/stereo.wav" "$tmp/trunc.wav" "$tmp/el.wav"
"$N" classify --profile elephant "$tmp/stereo.wav" >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "classify: a stereo file is a clear error" eval \
    'rc_is 1 && stderr_has "stereo file (2 channels): mono 16-bit PCM required" && stdout_empty'
"$N" classify --profile elephant "$tmp/trunc.wav" >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "classify: a truncated header is a clear error" eval \
    'rc_is 1 && stderr_has "truncated header" && stdout_empty'
"$N" classify --profile bat "$tmp/el.wav" >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "classify: an unknown profile is a usage error" eval \
    'rc_is 2 && stderr_has "unknown profile" && stdout_empty'

# --- duty-cycled on a manual clock ------------------------------------------------------------
# 6 s of every 60 s for 330 s (periods from 58.4 s, the phase of 26011F11) at --speed max: the clock moves only while the node idles, so
# every period is classified whole (4 windows: the first 2176 samples in) however loaded the
# host, and two runs agree exactly.
for i in 1 2; do
    "$N" run --profile elephant --devaddr "$DEV_L" --nwkskey "$NK" --appskey "$AK" \
        --forwarder "127.0.0.1:$LORA" --event rumble --snr -60 --seconds 330 --seed 3 \
        --speed max --listen-s 6 --every-s 60 --nv "$tmp/duty.nv" >"$tmp/duty$i.out" 2>&1
    echo "rc=$?" >>"$tmp/duty$i.out"
done
check "run --speed max, 6 s of every 60 s: 5 periods of 4 windows, 30 s on, twice the same" \
    "$tmp/duty1.out" python3 -c '
import json, sys
a, b = (open(p).read().splitlines() for p in sys.argv[1:3])
s, t = json.loads(a[-2]), json.loads(b[-2])
sys.exit(0 if a[-1] == b[-1] == "rc=0" and s["listen_periods"] == 5 and s["windows"] == 20 and
         abs(s["energy"]["sensor_on_s"] - 30) < 1e-6 and
         (s["windows"], s["energy"]["sensor_on_s"]) == (t["windows"], t["energy"]["sensor_on_s"])
         else 1)' "$tmp/duty1.out" "$tmp/duty2.out"
"$N" run --profile elephant --devaddr "$DEV_L" --nwkskey "$NK" --appskey "$AK" \
    --forwarder "127.0.0.1:$LORA" --event rumble --listen-s 6 --every-s 60 --wake-margin-db 15 \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "run: --wake-margin-db without --wake-level is a usage error" eval \
    'rc_is 2 && stderr_has "--wake-margin-db needs --wake-level" && stdout_empty'

# --- the end --------------------------------------------------------------------------------
# --- a turbine learning its machine: the state in the storage file, across restarts -------------
DEV_T=26011F12
"$N" synth --profile turbine --seconds 30 --event turbine --at 0 --seed 5 "$tmp/t.wav" \
    2>"$tmp/synth.err"
"$T" --db "$db" node add "$DEV_T" --nwkskey "$NK" --appskey "$AK" --profile turbine \
    >"$tmp/out" 2>&1
# turbine_run ARGS...: 30 s of the turbine over CoAP, learning for 60 s, state in $tmp/t.nv.
turbine_run() {
    "$N" run --profile turbine --devaddr "$DEV_T" --nwkskey "$NK" --appskey "$AK" --speed 200 \
        --coap "coap://127.0.0.1:$COAP/up" --wav "$tmp/t.wav" --nv "$tmp/t.nv" --learn-s 60 \
        "$@" >"$tmp/node.out" 2>"$tmp/node.err"
    rc=$?
    cat "$tmp/node.out" "$tmp/node.err" >"$tmp/node.show"
}
# gw_learn WORD: `tinyfleet node show` says WORD on its learning line.
gw_learn() {
    "$T" --db "$db" node show "$DEV_T" >"$tmp/show" 2>&1 && grep -q "^learning   $1" "$tmp/show"
}
turbine_run
check "turbine, 30 s of a 60 s learning period: learning, about half done, state stored" \
    "$tmp/node.show" eval 'test $rc -eq 0 && node_out "s[\"learn\"] == \"learning\" and
        40 <= s[\"learn_progress\"] <= 50" && [ -s "$tmp/t.nv.learn" ] && gw_learn "learning 4"'
first=$(sed -n 's/.*"learn_progress":\([0-9]*\).*/\1/p' "$tmp/node.out")
turbine_run
check "...restarted: it continues from the stored state (not from 0)" "$tmp/node.show" \
    eval 'test $rc -eq 0 && node_out "s[\"learn\"] == \"learning\" and
        s[\"learn_progress\"] >= ${first:-100} + 40"'
turbine_run
check "...restarted again: ready, its threshold shown by the gateway" "$tmp/node.show" \
    eval 'test $rc -eq 0 && node_out "s[\"learn\"] == \"ready\" and s[\"learn_threshold\"] > 0" &&
        gw_learn "ready, threshold $(sed -n "s/.*\"learn_threshold\":\([0-9]*\).*/\1/p" \
            "$tmp/node.out")"'
turbine_run --relearn
check "...--relearn: learning again from the start" "$tmp/node.show" \
    eval 'test $rc -eq 0 && node_out "s[\"learn\"] == \"learning\" and
        s[\"learn_progress\"] <= 50" && gw_learn "learning"'

check "tinyfleetd still running" "$log" alive "$dpid"
stop_daemon TERM 10
check "SIGTERM: exit 0" "$log" test "$rc" = 0

finish
