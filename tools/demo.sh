#!/bin/sh
# What `make demo` shows until fusion, MQTT and the simulated fleet exist (issues 4-7): the
# gateway daemon taking real LoRaWAN frames over both bearers. It starts tinyfleetd on free
# loopback ports with a fresh database, registers three nodes, sends an elephant detection
# over CoAP (libcoap's coap-client), a whale detection heard by two packet forwarders, a
# turbine's health and anomaly reports, a forged and a replayed frame, then prints what the
# gateway stored and refused, and stops the daemon by its PID. Usage: demo.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
tf=$build/tinyfleet
tmp=$(mktemp -d)
daemon_pid=""
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Test keys of proto/SPEC.md section 3; never deploy them.
nwk=44024241ED4CE9A68C6A8BC055233FD3
app=EC925802AE430CA77FD3DD73CB2CC588

set -- $(python3 -c 'import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
coap_port=$1
lora_port=$2
cat >"$tmp/demo.conf" <<EOF
[gateway]
id = demo
site = demo
[storage]
path = $tmp/demo.db
[coap]
listen = 127.0.0.1:$coap_port
[lora]
listen = 127.0.0.1:$lora_port
EOF

step() { printf '\n== %s\n' "$*"; }

step "Registering three nodes"
$tf -c "$tmp/demo.conf" node add 26011F00 --name "waterhole east" --profile elephant \
    --lat -1.2921 --lon 36.8219 --zone village --nwkskey $nwk --appskey $app
$tf -c "$tmp/demo.conf" node add 26011F01 --name "lane buoy 3" --profile whale \
    --lat 57.1 --lon -6.3 --zone shipping_lane --nwkskey $nwk --appskey $app
$tf -c "$tmp/demo.conf" node add 26011F02 --name "turbine 7 nacelle" --profile turbine \
    --zone windfarm --nwkskey $nwk --appskey $app

step "Starting tinyfleetd (CoAP on $coap_port, packet forwarders on $lora_port)"
"$build/tinyfleetd" -c "$tmp/demo.conf" 2>"$tmp/daemon.log" &
daemon_pid=$!
n=0
until grep -q listening "$tmp/daemon.log"; do
    n=$((n + 1))
    if [ "$n" -gt 100 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
        cat "$tmp/daemon.log"
        exit 1
    fi
    sleep 0.05
done
sed 's/^/   /' "$tmp/daemon.log"

frame() { # DEVADDR FCNT FPORT PAYLOAD [KEY]
    $tf frame encode --devaddr "$1" --fcnt "$2" --fport "$3" --payload "$4" \
        --nwkskey "${5:-$nwk}" --appskey $app
}
coap_post() { # FRAMEHEX: post it and print the reply code libcoap logged
    python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1" >"$tmp/f.bin"
    coap-client-notls -m post -t 42 -f "$tmp/f.bin" -v 7 "coap://127.0.0.1:$coap_port/up" 2>&1 |
        sed -n 's/.* c:\([0-9]\.[0-9][0-9]\).*/   CoAP reply \1/p' | tail -n 1
}

step "Elephant rumble (p=0.80, 5 s, 18 dB) from 26011F00 over CoAP"
coap_post "$(frame 26011F00 1 1 2101CC2C010512)"
step "Whale upcall from 26011F01, heard by two packet forwarders"
python3 tests/tools/pfwd_emu.py --server "127.0.0.1:$lora_port" --eui AA555A0000000101 \
    --eui AA555A0000000102 "$(frame 26011F01 1 1 2102E60A000214)" && echo "   PUSH_ACK from both"
step "Turbine 26011F02: health report, then an anomaly summary (45 of 60 windows anomalous)"
coap_post "$(frame 26011F02 1 2 01740EF680510100010003100E020001)"
coap_post "$(frame 26011F02 2 3 013C2D80F00B100E)"
step "A forged frame (wrong key), the herd heard again, then the first frame replayed"
coap_post "$(frame 26011F00 2 1 2101FF00000A30 000102030405060708090A0B0C0D0E0F)"
coap_post "$(frame 26011F00 2 1 2101F00000091A)"
coap_post "$(frame 26011F00 1 1 2101CC2C010512)"
sleep 0.2

step "tinyfleet events"
$tf -c "$tmp/demo.conf" events
step "tinyfleet stats"
$tf -c "$tmp/demo.conf" stats
step "tinyfleet node list"
$tf -c "$tmp/demo.conf" node list

kill "$daemon_pid"
wait "$daemon_pid"
daemon_pid=""
printf '\ntinyfleetd stopped cleanly. Alert fusion, MQTT and the simulated fleet come next (README, Status).\n'
