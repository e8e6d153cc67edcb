#!/bin/sh
# What `make demo` shows until the daemon and the fleet exist (issues 3-7): one node's three
# kinds of message built into real LoRaWAN frames with `tinyfleet frame encode`, then taken
# apart as the gateway will with `tinyfleet frame decode`. Uses the test keys of
# proto/SPEC.md section 3. Usage: demo.sh BUILD_DIR
set -eu
tf=$1/tinyfleet
devaddr=26011F00
nwk=44024241ED4CE9A68C6A8BC055233FD3
app=EC925802AE430CA77FD3DD73CB2CC588

show() {
    what=$1 fport=$2 fcnt=$3 payload=$4
    shift 4
    frame=$($tf frame encode --devaddr $devaddr --fcnt "$fcnt" --fport "$fport" \
        --payload "$payload" --nwkskey $nwk --appskey $app "$@")
    printf '\n%s\n  TFP payload (FPort %s): %s\n  LoRaWAN frame:          %s\n  gateway decodes:\n' \
        "$what" "$fport" "$payload" "$frame"
    $tf frame decode --nwkskey $nwk --appskey $app --fcnt-last $((fcnt - 1)) "$frame" |
        sed 's/^/    /'
}

echo "tinyfleet demo: node $devaddr sends three messages; every byte is specified in proto/SPEC.md"
show "1. An elephant rumble heard 5 s long, 300 s ago, 18 dB above the noise (confidence 0.80)" \
    1 1 2101CC2C010512
show "2. The node's health report: 3700 mV, -10 C, up one day" \
    2 2 01740EF680510100010003100E020001
show "3. A turbine's anomaly summary, confirmed uplink, counter past 65535" \
    3 65537 013C2D80F00B100E --confirmed
printf '\nThe same frame with one bit of its MIC flipped is refused:\n'
bad=$($tf frame encode --devaddr $devaddr --fcnt 1 --fport 1 --payload 2101CC2C010512 \
    --nwkskey $nwk --appskey $app | sed 's/A$/B/')
$tf frame decode --nwkskey $nwk --appskey $app "$bad" 2>&1 | sed 's/^/    /' || true
printf '\nThe gateway daemon, the simulated fleet and MQTT alerts are not built yet (see README, Status).\n'
