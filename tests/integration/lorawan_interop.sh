#!/bin/sh
# SPDX-License-Identifier: MIT
# LoRaWAN 1.0.x interoperability with lora-packet, an implementation we did not write:
# (a) frames from `tinyfleet frame encode` must pass lora-packet's MIC check and decrypt to
# the payload given, 32-bit counters included; (b) frames lora-packet builds must decode
# with `tinyfleet frame decode` (mic_ok true, same payload). A flipped bit must fail on both
# sides, so neither checker passes everything. Run from the repository root:
#   BUILD=/abs/build/dir sh tests/integration/lorawan_interop.sh
set -u

NAME=lorawan_interop
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
VEC=tests/vectors
VERIFY=$VEC/verify-lorawan.js

# TFP v1 payloads (ARCHITECTURE.md, "The frame").
DET1=2101E60C000412
DET8=2801FF0000010302C83B000C1403802C011E06044D0004022805B40F0EFFFF06FAFFFF013C078C201C5A0B000100010000
HEALTH=01800EF940E201000201034038250002
ANOMALY=013C072ADB0D5802
RAW17=000102030405060708090A0B0C0D0E0F10
RAW33=A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5

# This script's lines carry its name: "lorawan_interop: ok   LABEL", "...: FAIL LABEL: WHY".
ok() {
    pass=$((pass + 1))
    echo "$NAME: ok   $1"
}

bad() {
    fail=$((fail + 1))
    echo "$NAME: FAIL $1: $2"
}

if ! command -v node >/dev/null 2>&1; then
    bad "setup" "node not found (tools/deps.sh installs it)"
    finish
fi
if [ ! -d "$VEC/node_modules/lora-packet" ]; then
    bad "setup" "lora-packet is not installed in $VEC (make deps runs npm ci there)"
    finish
fi

# json_expect LABEL JSON WANT: every key of the JSON object WANT has the same value in JSON.
# "payload" compares hex case-insensitively; "tfp_kind" stands for tfp.kind (null: no tfp).
json_expect() {
    if msg=$(node -e '
let got;
try {
    got = JSON.parse(process.argv[1]);
} catch (e) {
    console.log("not one JSON object: " + JSON.stringify(process.argv[1]));
    process.exit(1);
}
const want = JSON.parse(process.argv[2]);
const wrong = [];
for (const k of Object.keys(want)) {
    let g = got[k];
    let w = want[k];
    if (k === "tfp_kind") {
        g = got.tfp === null || got.tfp === undefined ? null : got.tfp.kind;
    } else if (k === "payload" && typeof g === "string" && typeof w === "string") {
        g = g.toLowerCase();
        w = w.toLowerCase();
    }
    if (JSON.stringify(g) !== JSON.stringify(w)) {
        wrong.push(k + " is " + JSON.stringify(g) + ", want " + JSON.stringify(w));
    }
}
if (wrong.length > 0) {
    console.log(wrong.join("; "));
    process.exit(1);
}' "$2" "$3" 2>&1); then
        ok "$1"
    else
        bad "$1" "$msg"
    fi
}

# flip_bit HEX: HEX with the lowest bit of byte 9 flipped (the first FRMPayload byte of a frame
# without FOpts), so the frame still parses and only the MIC can tell.
flip_bit() {
    node -e 'const b = Buffer.from(process.argv[1], "hex"); b[9] ^= 1;
console.log(b.toString("hex").toUpperCase());' "$1"
}

# --- (a) tinyfleet encodes, lora-packet verifies and decrypts ---------------------------
# encode_case LABEL FCNT FPORT PAYLOAD [ENCODE OPTIONS...]
encode_case() {
    label="encode $1"
    fcnt=$2
    fport=$3
    payload=$4
    shift 4
    if ! phy=$("$T" frame encode --devaddr "$DEV" --fcnt "$fcnt" --fport "$fport" \
        --payload "$payload" --nwkskey "$NK" --appskey "$AK" "$@" 2>"$tmp/err"); then
        bad "$label" "tinyfleet frame encode failed: $(head -n 1 "$tmp/err")"
        return
    fi
    out=$(node "$VERIFY" "$NK" "$AK" "$phy" "$fcnt" 2>"$tmp/err")
    rc=$?
    if [ "$rc" -ne 0 ]; then
        bad "$label" "verify-lorawan.js exit $rc for $phy: $out $(head -n 1 "$tmp/err")"
        return
    fi
    json_expect "$label" "$out" "{\"mic_ok\":true,\"devaddr\":\"$DEV\",\"fcnt\":$((fcnt)),\
\"fport\":$fport,\"payload\":\"$payload\"}"
}

if [ -x "$T" ]; then
    encode_case "detections 1 record, fcnt 0" 0 1 "$DET1"
    encode_case "health, confirmed, fcnt 65535" 65535 2 "$HEALTH" --confirmed
    encode_case "anomaly, fcnt 65536" 65536 3 "$ANOMALY"
    encode_case "detections 8 records, confirmed, fcnt 0x12345678" 0x12345678 1 "$DET8" --confirmed
    encode_case "FPort 0 MAC commands, fcnt 0xFFFFFFFF" 4294967295 0 0203070600
    encode_case "33 bytes, ADR ACK FOpts, fcnt 0xFFFF0000" 4294901760 10 "$RAW33" \
        --adr --ack --fopts 0307
    encode_case "17 bytes, fcnt 1" 1 223 "$RAW17"
    encode_case "FPort without payload, fcnt 2" 2 5 ""

    # A corrupted tinyfleet frame must not pass lora-packet.
    if phy=$("$T" frame encode --devaddr "$DEV" --fcnt 70000 --fport 1 --payload "$DET1" \
        --nwkskey "$NK" --appskey "$AK" 2>"$tmp/err"); then
        if node "$VERIFY" "$NK" "$AK" "$(flip_bit "$phy")" 70000 >"$tmp/out" 2>&1; then
            bad "encode, flipped bit refused" "lora-packet accepted $(cat "$tmp/out")"
        else
            ok "encode, flipped bit refused"
        fi
        # Nor the right frame with the counter's upper 16 bits left out.
        if node "$VERIFY" "$NK" "$AK" "$phy" >"$tmp/out" 2>&1; then
            bad "encode, upper counter bits matter" "lora-packet accepted $(cat "$tmp/out")"
        else
            ok "encode, upper counter bits matter"
        fi
    else
        bad "encode, flipped bit refused" "tinyfleet frame encode failed: $(head -n 1 "$tmp/err")"
    fi
else
    bad "encode" "$T missing: build it with make $BUILD/tinyfleet"
fi

# --- (b) lora-packet builds, tinyfleet decodes --------------------------------------------
# lp_build FCNT [FPORT PAYLOAD] [--confirmed]: PHYPayload hex from lora-packet.
lp_build() {
    node "$VERIFY" --build --devaddr "$DEV" --nwkskey "$NK" --appskey "$AK" --fcnt "$@"
}

# decode_case LABEL FCNT FPORT PAYLOAD MTYPE TFP_KIND [DECODE OPTIONS...]
# FPORT "-" builds a frame without FPort and expects fport null.
decode_case() {
    label="decode $1"
    fcnt=$2
    fport=$3
    payload=$4
    mtype=$5
    kind=$6
    shift 6
    confirmed=""
    if [ "$mtype" = confirmed_up ]; then
        confirmed=--confirmed
    fi
    if [ "$fport" = - ]; then
        want="{\"mic_ok\":true,\"mtype\":\"$mtype\",\"devaddr\":\"$DEV\",\"fcnt\":$((fcnt)),\
\"fport\":null}"
        phy=$(lp_build "$fcnt" $confirmed 2>"$tmp/err") || phy=""
    else
        want="{\"mic_ok\":true,\"mtype\":\"$mtype\",\"devaddr\":\"$DEV\",\"fcnt\":$((fcnt)),\
\"fport\":$fport,\"payload\":\"$payload\",\"tfp_kind\":$kind}"
        phy=$(lp_build "$fcnt" --fport "$fport" --payload "$payload" $confirmed 2>"$tmp/err") ||
            phy=""
    fi
    if [ -z "$phy" ]; then
        bad "$label" "lora-packet build failed: $(head -n 1 "$tmp/err")"
        return
    fi
    if [ ! -x "$T" ]; then
        # The lora-packet side alone: the frame it built must pass its own check.
        if node "$VERIFY" "$NK" "$AK" "$phy" "$fcnt" >/dev/null; then
            ok "$label (lora-packet side only)"
        else
            bad "$label" "lora-packet rejects its own frame $phy"
        fi
        return
    fi
    out=$("$T" frame decode --nwkskey "$NK" --appskey "$AK" "$@" "$phy" 2>"$tmp/err")
    rc=$?
    if [ "$rc" -ne 0 ]; then
        bad "$label" "tinyfleet frame decode exit $rc for $phy: $out $(head -n 1 "$tmp/err")"
        return
    fi
    json_expect "$label" "$out" "$want"
}

decode_case "detections 1 record, fcnt 1" 1 1 "$DET1" unconfirmed_up '"detection"'
decode_case "detections 8 records, confirmed, fcnt 40000" 40000 1 "$DET8" confirmed_up \
    '"detection"'
decode_case "health, fcnt 65535" 65535 2 "$HEALTH" unconfirmed_up '"health"'
decode_case "anomaly, confirmed, fcnt 300" 300 3 "$ANOMALY" confirmed_up '"anomaly"'
decode_case "FPort 0 MAC commands, fcnt 2" 2 0 0203070600 unconfirmed_up null
decode_case "33 bytes not TFP, fcnt 7" 7 42 "$RAW33" unconfirmed_up null
decode_case "no FPort, fcnt 9" 9 - "" unconfirmed_up null
# 32-bit counters: the gateway knows the last counter, the frame only the 16 low bits.
decode_case "anomaly, fcnt 0x12345678 after 0x12345677" 0x12345678 3 "$ANOMALY" unconfirmed_up \
    '"anomaly"' --fcnt-last 0x12345677
decode_case "detections, fcnt 65536 after 65535" 65536 1 "$DET1" unconfirmed_up '"detection"' \
    --fcnt-last 65535

# A corrupted lora-packet frame must not pass tinyfleet.
if [ -x "$T" ] && phy=$(lp_build 11 --fport 2 --payload "$HEALTH"); then
    if "$T" frame decode --nwkskey "$NK" --appskey "$AK" "$(flip_bit "$phy")" \
        >"$tmp/out" 2>/dev/null; then
        bad "decode, flipped bit refused" "exit 0: $(cat "$tmp/out")"
    else
        json_expect "decode, flipped bit refused" "$(cat "$tmp/out")" '{"mic_ok":false}'
    fi
fi

finish
