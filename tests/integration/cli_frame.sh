#!/bin/sh
# SPDX-License-Identifier: MIT
# `tinyfleet frame encode|decode` end to end: encode/decode round trips for the three TFP
# messages, the confirmed flag, 32-bit counters, what each set of keys shows, wrong MIC,
# malformed input, usage errors, and two frames checked with lora-packet (an implementation
# we did not write). Run from the repository root: BUILD=/abs/build sh tests/integration/cli_frame.sh
# JSON is checked by parsing it with python3, never by matching text.

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=cli_frame
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

not_in_output() { ! grep -qi -- "$1" "$tmp/out" "$tmp/err"; }
frame_hex() { grep -qxE '[0-9A-F]+' "$tmp/out" && [ "$(wc -l <"$tmp/out")" -eq 1 ]; }

# encode ARGS...: encode with both keys and DevAddr 26011F00; the frame goes to $frame.
encode() {
    run frame encode --devaddr "$DEV" --nwkskey "$NK" --appskey "$AK" "$@"
    frame=$(cat "$tmp/out")
}

# --- FPort 1: two detection records -----------------------------------------------------------
# hdr 22 (version 1, 2 records); elephant p=200/255, age 10 s, 5 s, 12 dB;
# human p=255/255, age 0x1234 = 4660 s, 255 s, 0 dB
DET=2201C80A00050C04FF3412FF00
encode --fcnt 7 --fport 1 --payload "$DET"
check_run "encode fport 1: exit 0, one line of upper-case hex" eval 'rc_is 0 && frame_hex'
check_run "encode fport 1: MHDR 40, DevAddr little-endian on air" \
    eval 'case $frame in 40001F0126*) true ;; *) false ;; esac'
check_run "encode: output carries no key" eval "not_in_output $NK && not_in_output $AK"
run frame decode --nwkskey "$NK" --appskey "$AK" "$frame"
check_run "decode fport 1: exit 0" rc_is 0
check_run "decode fport 1: frame fields" json 'j["mtype"] == "unconfirmed_up" and
    j["devaddr"] == "26011F00" and j["fcnt"] == 7 and j["fport"] == 1 and
    j["adr"] is False and j["ack"] is False and j["fopts"] == "" and j["mic_ok"] is True'
check_run "decode fport 1: payload decrypted" json 'j["payload"] == "'"$DET"'"'
check_run "decode fport 1: record 1 (elephant)" json 'j["tfp"]["kind"] == "detection" and
    len(j["tfp"]["records"]) == 2 and j["tfp"]["records"][0] == {"class": "elephant",
    "class_id": 1, "confidence": j["tfp"]["records"][0]["confidence"], "age_s": 10,
    "duration_s": 5, "level_db": 12} and abs(j["tfp"]["records"][0]["confidence"] - 200/255) < 1e-9'
check_run "decode fport 1: record 2 (human, confidence 255 -> 1.0)" json 'j["tfp"]["records"][1] ==
    {"class": "human", "class_id": 4, "confidence": 1.0, "age_s": 4660, "duration_s": 255,
    "level_db": 0}'
check_run "decode: output carries no key" eval "not_in_output $NK && not_in_output $AK"
lower=$(printf '%s' "$frame" | tr 'A-F' 'a-f')
run frame decode --nwkskey "$(printf '%s' "$NK" | tr 'A-F' 'a-f')" --appskey "$AK" "$lower"
check_run "decode accepts lower-case hex" eval 'rc_is 0 && json "j[\"payload\"] == \"$DET\" and j[\"mic_ok\"]"'

# --- FPort 2: health ----------------------------------------------------------------------------
# version 1, 3700 mV, -5 C, uptime 86400 s, model 0x0102 v3, 1000 inferences, 7 detections,
# 2 tx failures
HEALTH=01740EFB80510100020103E803070002
encode --fcnt 8 --fport 2 --payload "$HEALTH"
run frame decode --nwkskey "$NK" --appskey "$AK" "$frame"
check_run "decode fport 2: health fields" eval 'rc_is 0 && json "j[\"tfp\"] == {\"kind\": \"health\",
    \"battery_mv\": 3700, \"temp_c\": -5, \"uptime_s\": 86400, \"model_id\": 258,
    \"model_ver\": 3, \"inferences\": 1000, \"detections\": 7, \"tx_failures\": 2} and
    j[\"fport\"] == 2 and j[\"fcnt\"] == 8 and j[\"mic_ok\"]"'

# --- FPort 3: anomaly summary -------------------------------------------------------------------
# version 1, 60 windows, 5 anomalous, mean 40, max 200, band 7, period 600 s
ANOM=013C0528C8075802
encode --fcnt 9 --fport 3 --payload "$ANOM"
run frame decode --nwkskey "$NK" --appskey "$AK" "$frame"
check_run "decode fport 3: anomaly fields" eval 'rc_is 0 && json "j[\"tfp\"] == {\"kind\": \"anomaly\",
    \"windows\": 60, \"anomalous\": 5, \"score_mean\": 40, \"score_max\": 200, \"peak_band\": 7,
    \"period_s\": 600} and j[\"fport\"] == 3"'

# --- flags ---------------------------------------------------------------------------------------
encode --fcnt 10 --fport 3 --payload "$ANOM" --confirmed --adr --ack --fopts 0203
check_run "encode --confirmed: MHDR 80" eval 'case $frame in 80*) true ;; *) false ;; esac'
run frame decode --nwkskey "$NK" --appskey "$AK" "$frame"
check_run "decode: confirmed_up, adr, ack, fopts" json 'j["mtype"] == "confirmed_up" and
    j["adr"] is True and j["ack"] is True and j["fopts"] == "0203" and j["mic_ok"] is True and
    j["tfp"]["kind"] == "anomaly"'

# --- 32-bit counter -------------------------------------------------------------------------------
encode --fcnt 70000 --fport 1 --payload "$DET"
big=$frame
encode --fcnt 0x11170 --fport 1 --payload "$DET"
check_run "encode --fcnt: 0x11170 is 70000" eval '[ "$frame" = "$big" ]'
run frame decode --nwkskey "$NK" --appskey "$AK" --fcnt-last 65536 "$big"
check_run "decode --fcnt-last 65536: fcnt 70000, MIC and payload right" eval 'rc_is 0 &&
    json "j[\"fcnt\"] == 70000 and j[\"mic_ok\"] and j[\"payload\"] == \"$DET\""'
run frame decode --nwkskey "$NK" --appskey "$AK" --fcnt-last 0x10000 "$big"
check_run "decode --fcnt-last accepts 0x hex" eval 'rc_is 0 && json "j[\"fcnt\"] == 70000"'
run frame decode --nwkskey "$NK" --appskey "$AK" "$big"
check_run "decode without --fcnt-last: 16 on-air bits (4464), MIC fails, exit 1" eval 'rc_is 1 &&
    json "j[\"fcnt\"] == 4464 and j[\"mic_ok\"] is False"'
encode --fcnt 4294967295 --fport 1 --payload "$DET"
run frame decode --nwkskey "$NK" --appskey "$AK" --fcnt-last 4294967200 "$frame"
check_run "counter 2^32-1 round trip" eval 'rc_is 0 && json "j[\"fcnt\"] == 4294967295 and j[\"mic_ok\"]"'

# --- what each set of keys shows -----------------------------------------------------------------
encode --fcnt 11 --fport 1 --payload "$DET"
run frame decode "$frame"
check_run "no keys: exit 0, only the clear fields and payload_encrypted" eval 'rc_is 0 && json "
    sorted(j) == sorted([\"mtype\", \"devaddr\", \"fcnt\", \"fport\", \"adr\", \"ack\", \"fopts\",
    \"payload_encrypted\"]) and j[\"devaddr\"] == \"26011F00\" and j[\"fcnt\"] == 11 and
    j[\"fport\"] == 1 and len(j[\"payload_encrypted\"]) == len(\"$DET\") and
    j[\"payload_encrypted\"] != \"$DET\""'
run frame decode --nwkskey "$NK" "$frame"
check_run "NwkSKey only: mic_ok, payload still encrypted" eval 'rc_is 0 && json "j[\"mic_ok\"] is True
    and \"payload_encrypted\" in j and \"payload\" not in j and \"tfp\" not in j"'
run frame decode --appskey "$AK" "$frame"
check_run "AppSKey only: payload and tfp, no mic_ok" eval 'rc_is 0 && json "\"mic_ok\" not in j and
    j[\"payload\"] == \"$DET\" and j[\"tfp\"][\"kind\"] == \"detection\""'

# --- refusals -------------------------------------------------------------------------------------
run frame decode --nwkskey "$NK_WRONG" --appskey "$AK" "$frame"
check_run "wrong NwkSKey: JSON with mic_ok false, exit 1" eval 'rc_is 1 && json "j[\"mic_ok\"] is False
    and j[\"devaddr\"] == \"26011F00\""'
check_run "wrong NwkSKey: says so on stderr" stderr_has "MIC"
short=$(printf '%s' "$frame" | cut -c1-20)
run frame decode --nwkskey "$NK" --appskey "$AK" "$short"
check_run "truncated frame (10 bytes): exit 1, stderr names it, no stdout" eval 'rc_is 1 &&
    stderr_has "tinyfleet: frame decode: truncated" && stdout_empty'
run frame decode --nwkskey "$NK" --appskey "$AK" "${frame}0"
check_run "odd number of hex digits: exit 1 naming it" eval 'rc_is 1 && stderr_has "odd number"'
run frame decode --nwkskey "$NK" --appskey "$AK" "40ZZ"
check_run "bad hex digit: exit non-zero naming it" eval '[ "$rc" -ne 0 ] && stderr_has "hex digit .Z."'
run frame decode "20001F0126000100AABBCCDD"
check_run "not a data-up MHDR: exit 1" eval 'rc_is 1 && stderr_has "not a data-up frame"'
encode --fcnt 12 --fport 1 --payload FF
run frame decode --nwkskey "$NK" --appskey "$AK" "$frame"
check_run "payload that is not TFP: tfp null, tfp_error, exit 0" eval 'rc_is 0 && json "j[\"tfp\"] is None
    and isinstance(j[\"tfp_error\"], str) and j[\"tfp_error\"] != \"\" and j[\"payload\"] == \"FF\""'
run frame decode 40001F0126000100AABBCCDD
check_run "frame without FPort: fport null" eval 'rc_is 0 && json "j[\"fport\"] is None and
    j[\"fcnt\"] == 1 and j[\"payload_encrypted\"] == \"\""'

# --- usage errors: exit 2, the option named --------------------------------------------------------
run frame encode --devaddr "$DEV" --fcnt 1 --fport 1 --nwkskey "$NK" --appskey "$AK"
check_run "encode without --payload: exit 2 naming it" eval 'rc_is 2 && stderr_has "--payload" &&
    stdout_empty'
run frame encode --devaddr 26011F0 --fcnt 1 --fport 1 --payload "" --nwkskey "$NK" --appskey "$AK"
check_run "7-digit DevAddr: exit 2 naming --devaddr" eval 'rc_is 2 && stderr_has "--devaddr: must be exactly 8"'
run frame encode --devaddr "$DEV" --fcnt 4294967296 --fport 1 --payload "" --nwkskey "$NK" --appskey "$AK"
check_run "--fcnt above 32 bits: exit 2" eval 'rc_is 2 && stderr_has "--fcnt"'
run frame encode --devaddr "$DEV" --fcnt -1 --fport 1 --payload "" --nwkskey "$NK" --appskey "$AK"
check_run "--fcnt -1: exit 2" eval 'rc_is 2 && stderr_has "--fcnt"'
run frame encode --devaddr "$DEV" --fcnt 1 --fport 256 --payload "" --nwkskey "$NK" --appskey "$AK"
check_run "--fport 256: exit 2" eval 'rc_is 2 && stderr_has "--fport"'
run frame encode --devaddr "$DEV" --fcnt 1 --fport 1 --payload "" --nwkskey "${NK%??}" --appskey "$AK"
check_run "short --nwkskey: exit 2, key not echoed" eval 'rc_is 2 &&
    stderr_has "--nwkskey: must be 32 hex digits" && not_in_output "${NK%??}"'
run frame encode --devaddr "$DEV" --fcnt 1 --fport 1 --payload 0 --nwkskey "$NK" --appskey "$AK"
check_run "odd --payload: exit 2" eval 'rc_is 2 && stderr_has "--payload: odd number"'
run frame decode --nwkskey "$NK"
check_run "decode without a frame: exit 2" rc_is 2
run frame decode --bogus "$frame"
check_run "unknown option: exit 2" eval 'rc_is 2 && stderr_has "--bogus"'
run frame frobnicate
check_run "unknown subverb: exit 2" rc_is 2
run nosuchverb
check_run "unknown verb: exit 2" eval 'rc_is 2 && stderr_has "nosuchverb"'
run
check_run "no verb: exit 2" rc_is 2
run -c /etc/x.conf --db /tmp/x.db frame decode "$frame"
check_run "-c and --db together: exit 2" rc_is 2
run --db /nonexistent/tinyfleet.db frame decode "$frame"
check_run "--db is ignored by frame" eval 'rc_is 0 && json "j[\"fcnt\"] == 12"'
run --help
check_run "--help: exit 0, lists frame" eval 'rc_is 0 && grep -q "frame" "$tmp/out"'
run frame decode --help
check_run "frame decode --help: exit 0" eval 'rc_is 0 && grep -q "payload_encrypted" "$tmp/out"'

# --- frames from lora-packet 0.9.3 -----------------------------------------------------------------
# The example frame of lora-packet's README: DevAddr 49BE7DF1, FCnt 2, FPort 1, payload "test".
run frame decode --nwkskey 44024241ed4ce9a68c6a8bc055233fd3 \
    --appskey ec925802ae430ca77fd3dd73cb2cc588 40F17DBE4900020001954378762B11FF0D
check_run "lora-packet README frame: MIC and payload" eval 'rc_is 0 && json "j[\"mic_ok\"] and
    j[\"devaddr\"] == \"49BE7DF1\" and j[\"fcnt\"] == 2 and j[\"payload\"] == \"74657374\""'
# Confirmed, ADR, ACK, FOpts 0203, FCnt 70000 (0x11170), FPort 2: lora-packet verified this frame's
# MIC and decrypted its payload with FCntMSBytes 0001.
L2=80001F0126A2701102030270499228E3135AA244057D2F9876045A8BA57E77
encode --confirmed --adr --ack --fopts 0203 --fcnt 70000 --fport 2 --payload "$HEALTH"
check_run "encode matches a frame lora-packet verified (32-bit FCnt)" eval '[ "$frame" = "$L2" ]'

finish
