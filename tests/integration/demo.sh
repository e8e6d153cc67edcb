#!/bin/sh
# SPDX-License-Identifier: MIT
# `make demo` is the README's first command: run its script and check that the gateway
# stored and refused what the demo says it does, so the demo cannot rot unnoticed.
NAME=demo
set -u
. tests/integration/common.inc

out=$tmp/demo.out
if sh tools/demo.sh "$BUILD" >"$out" 2>&1; then
    ok "demo script exits 0"
else
    nok "demo script exits 0" "$(tail -n 20 "$out")"
fi
count() { grep -c -- "$1" "$out"; }
[ "$(count 'CoAP reply 2.04')" -eq 4 ] && ok "four CoAP frames answered 2.04" ||
    nok "four CoAP frames answered 2.04" "$(count 'CoAP reply 2.04')"
[ "$(count 'CoAP reply 4.01')" -eq 1 ] && ok "the forged frame answered 4.01" ||
    nok "the forged frame answered 4.01" "$(count 'CoAP reply 4.01')"
[ "$(count 'CoAP reply 4.03')" -eq 1 ] && ok "the replayed frame answered 4.03" ||
    nok "the replayed frame answered 4.03" "$(count 'CoAP reply 4.03')"
grep -q 'PUSH_ACK from both' "$out" && ok "both forwarders got PUSH_ACK" ||
    nok "both forwarders got PUSH_ACK" "missing"
grep -Eq '^accepted +4 +1 +5$' "$out" && ok "stats: 4 accepted over CoAP, 1 over LoRa" ||
    nok "stats: 4 accepted over CoAP, 1 over LoRa" "$(grep '^accepted' "$out")"
grep -Eq '^duplicate +0 +1 +1$' "$out" && ok "stats: the second forwarder's copy is a duplicate" ||
    nok "stats: the second forwarder's copy is a duplicate" "$(grep '^duplicate' "$out")"
[ "$(count ' detection ')" -eq 3 ] && ok "three detections stored" ||
    nok "three detections stored" "$(count ' detection ')"
grep -q 'tinyfleetd stopped cleanly' "$out" && ok "daemon stopped by the demo" ||
    nok "daemon stopped by the demo" "missing"
finish
