#!/bin/sh
# SPDX-License-Identifier: MIT
# Alerts end to end over a real mosquitto broker on free loopback ports: frames from the
# packet-forwarder emulator, fusion in tinyfleetd, the outbox, and mosquitto_sub as the
# subscriber (a persistent session, as an operator's dashboard would have). Checks:
# the gateway status (birth, and the will after kill -9), the alert JSON of the contract,
# the retained state topic and its clearing, the detection events; the broker stopped for
# 20 s during a burst of alerts and started again: every transition stored arrives, in seq
# order per alert; kill -9 of the daemon with undelivered rows: they arrive after the
# restart, and the active alerts continue with the same id; a TLS listener with a test CA,
# client certificates and a password file made here (a wrong password is refused and logged).
# Run from the repository root: BUILD=/abs/build sh tests/integration/mqtt_alerts.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=mqtt_alerts
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc

# status_times ONLINE-FILE OFFLINE-FILE CAUSE: the last gateway status in OFFLINE-FILE says
# offline with this cause, and its time against the last "online" in ONLINE-FILE (lines
# ending in the JSON): the same for a will ("connection_lost": fixed at CONNECT, it carries
# the time the lost connection was made, as the birth message does), not earlier for a clean
# stop ("stopped": the time of the stop).
status_times() {
    python3 - "$@" <<'EOF'
import json, sys
def statuses(path):
    return [json.loads(l[l.index("{"):]) for l in open(path) if '"gateway":' in l and "{" in l
            and '"state":"o' in l]
online = [s for s in statuses(sys.argv[1]) if s["state"] == "online"][-1]
offline = statuses(sys.argv[2])[-1]
cause = sys.argv[3]
assert offline["state"] == "offline" and offline.get("cause") == cause, offline
if cause == "connection_lost":
    assert offline["time"] == online["time"], (online, offline)
else:
    assert offline["time"] >= online["time"], (online, offline)
EOF
}

# --- the broker, the subscriber, the daemon ----------------------------------------------------
tcp_port BPORT
free_ports CPORT LPORT
start_broker "$BPORT" || { nok "mosquitto starts" "$tmp/mosquitto-$BPORT.log"; finish; }
subscribe

write_conf "$conf" gw-t "$db" "127.0.0.1:$CPORT" "127.0.0.1:$LPORT" site=test
cat >>"$conf" <<EOF
[mqtt]
host = 127.0.0.1
port = $BPORT
publish_events = true
reconnect_max_s = 2
[zone.village]
critical = false
lat = -2.6530
lon = 37.2600
radius_m = 1500
[rule.elephant]
type = cluster
class = elephant
window_s = 60
min_nodes = 2
watch_confidence = 0.5
warning_confidence = 0.7
critical_confidence = 0.99
clear_after_s = 4
update_interval_s = 0
[health]
offline_after_s = 0
battery_low_mv = 0
EOF
"$T" --db "$db" node add 26011F00 --nwkskey "$NK" --appskey "$AK" --lat -2.653 --lon 37.259 \
    --zone village >/dev/null &&
    "$T" --db "$db" node add 26011F01 --nwkskey "$NK" --appskey "$AK" --lat -2.654 --lon 37.261 \
        --zone village >/dev/null || nok "node add"

start_daemon "$log" || { nok "tinyfleetd starts" "$log"; finish; }
check "status: the birth message says online" "$tmp/sub.out" \
    wait_for "$tmp/sub.out" " $PREFIX/gateway/gw-t/status {\"state\":\"online\",\"gateway\":\"gw-t\"" 10
retained "$PREFIX/gateway/gw-t/status" >"$tmp/status.out"
check "status: retained" "$tmp/status.out" grep -q '"state":"online"' "$tmp/status.out"

# --- one alert: open (watch), escalate (warning), cleared -------------------------------------
{
    detect 26011F00 200 1
} >"$tmp/f1"
send "$tmp/f1" || nok "frame 1 acknowledged" "$tmp/emu.out"
wait_for "$tmp/sub.out" '"state":"open"' 10
{
    detect 26011F01 230 1
} >"$tmp/f2"
send "$tmp/f2" || nok "frame 2 acknowledged" "$tmp/emu.out"
wait_for "$tmp/sub.out" '"state":"escalate"' 10

check "alert JSON: open then escalate, with every field of the contract" "$tmp/sub.out" \
    python3 - "$tmp/sub.out" "$PREFIX" <<'EOF'
import json, re, sys
msgs = [l.split(" ", 2) for l in open(sys.argv[1]).read().splitlines()]
alerts = [json.loads(p) for r, t, p in msgs if r == "0" and t == sys.argv[2] + "/alert/elephant/village"]
t3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
a, b = alerts[0], alerts[1]
need = {"id", "seq", "class", "zone", "level", "state", "confidence", "nodes", "detections",
        "lat", "lon", "first_seen", "last_seen", "gateway", "message"}
assert need <= set(a) and need <= set(b), set(a)
assert (a["seq"], a["state"], a["level"]) == (1, "open", "watch"), a
assert (b["seq"], b["state"], b["level"], b["id"]) == (2, "escalate", "warning", a["id"]), b
assert a["class"] == "elephant" and a["zone"] == "village" and a["gateway"] == "gw-t"
assert a["nodes"] == ["26011F00"] and b["nodes"] == ["26011F00", "26011F01"], b
assert abs(a["confidence"] - 200 / 255) < 1e-3
assert abs(b["confidence"] - (1 - (1 - 200 / 255) * (1 - 230 / 255))) < 1e-3, b
assert b["detections"] == 2
assert -2.6545 < b["lat"] < -2.6525 and 37.258 < b["lon"] < 37.262, b
assert all(t3339.match(x[k]) for x in (a, b) for k in ("first_seen", "last_seen"))
assert "lephant" in b["message"] and "village" in b["message"], b["message"]
EOF
retained "$PREFIX/state/alert/elephant/village" >"$tmp/state.out"
check "the retained state topic holds the active alert" "$tmp/state.out" \
    grep -q '"state":"escalate"' "$tmp/state.out"
check "publish_events: each detection on its event topic" "$tmp/sub.out" \
    grep -q "^0 $PREFIX/event/elephant/26011F01 {\"kind\":\"detection\"" "$tmp/sub.out"
check "quiet for clear_after_s: the alert is cleared" "$tmp/sub.out" \
    wait_for "$tmp/sub.out" '"state":"cleared"' 10
sleep 0.5
check "the cleared alert's retained state is gone (an empty retained message)" "$tmp/sub.out" \
    test -z "$(retained "$PREFIX/state/alert/elephant/village")"

# --- the broker away for 20 s during a burst of alerts ----------------------------------------
# 20 zones, two nodes each: each zone's alert opens, escalates and (4 s later) clears while
# the broker is down.
i=0
: >"$tmp/burst"
while [ "$i" -lt 20 ]; do
    a=$(printf '2602%02X00' "$i")
    b=$(printf '2602%02X01' "$i")
    "$T" --db "$db" node add "$a" --nwkskey "$NK" --appskey "$AK" --zone "z$i" >/dev/null
    "$T" --db "$db" node add "$b" --nwkskey "$NK" --appskey "$AK" --zone "z$i" >/dev/null
    detect "$a" 180 1 >>"$tmp/burst"
    detect "$b" 240 1 >>"$tmp/burst"
    i=$((i + 1))
done
stop_broker
down_at=$(date +%s)
sleep 1 # the node cache reads new nodes within NODE_TTL_MS; these are new, so read at once
send "$tmp/burst" || nok "burst acknowledged while the broker is down" "$tmp/emu.out"
sleep 6 # the clearing of every burst alert happens during the outage too
depth=$(outbox_depth)
check "broker down: the transitions wait in the outbox ($depth rows)" "$log" test "$depth" -ge 120
while [ "$(($(date +%s) - down_at))" -lt 20 ]; do sleep 1; done
start_broker "$BPORT" || nok "mosquitto starts again" "$tmp/mosquitto-$BPORT.log"
check "broker back after 20 s: every transition arrives, in seq order per alert" \
    "$tmp/delivered.out" wait_delivered 30
cat "$tmp/delivered.out"
sleep 1
check "the outbox is empty again" "$log" test "$(outbox_depth)" = 0

# --- kill -9 with undelivered rows ------------------------------------------------------------
# A zone whose alert is open when the daemon dies: after the restart it continues (same id).
"$T" --db "$db" node add 26030000 --nwkskey "$NK" --appskey "$AK" --zone kz >/dev/null
"$T" --db "$db" node add 26030001 --nwkskey "$NK" --appskey "$AK" --zone kz >/dev/null
sed -i 's/^clear_after_s = 4$/clear_after_s = 120/' "$conf"
stop_daemon TERM 10
start_daemon "$log.2" || nok "tinyfleetd restarts" "$log.2"
stop_broker
detect 26030000 200 1 >"$tmp/k1"
send "$tmp/k1" || nok "frame acknowledged with the broker down" "$tmp/emu.out"
sleep 0.5
check "broker down: the open transition waits in the outbox" "$log.2" test "$(outbox_depth)" -ge 2
kill -KILL "$dpid"
wait_exit "$dpid" 5
dpid=""
start_broker "$BPORT" || nok "mosquitto starts again" "$tmp/mosquitto-$BPORT.log"
start_daemon "$log.3" || nok "tinyfleetd starts after kill -9" "$log.3"
check "after kill -9 and a restart: the undelivered rows arrive" "$tmp/delivered.out" \
    wait_delivered 15
detect 26030001 230 1 >"$tmp/k2"
send "$tmp/k2" || nok "frame after the restart acknowledged" "$tmp/emu.out"
wait_for "$tmp/sub.out" "\"seq\":2,\"class\":\"elephant\",\"zone\":\"kz\"" 10
check "the alert active before kill -9 continues: same id, seq 2 escalates it with both nodes" \
    "$tmp/sub.out" \
    python3 - "$tmp/sub.out" "$PREFIX" <<'EOF'
import json, sys
msgs = [l.split(" ", 2) for l in open(sys.argv[1]).read().splitlines()]
kz = [json.loads(p) for r, t, p in msgs if r == "0" and t == sys.argv[2] + "/alert/elephant/kz"]
first = {}
for m in kz:
    first.setdefault(m["seq"], m)
assert sorted(first) == [1, 2], first
assert first[1]["id"] == first[2]["id"] and first[2]["nodes"] == ["26030000", "26030001"], first
# The first node's detection was put back into the window at the restart: two nodes, warning.
assert first[2]["state"] == "escalate" and first[2]["level"] == "warning", first
EOF
check "every transition so far was delivered" "$tmp/delivered.out" wait_delivered 10

# The will: kill -9 leaves the broker to say the gateway is offline.
kill -KILL "$dpid"
wait_exit "$dpid" 5
dpid=""
sleep 0.5
retained "$PREFIX/gateway/gw-t/status" >"$tmp/status.out"
check "kill -9: the broker publishes the will, the retained status says offline" \
    "$tmp/status.out" grep -q '"state":"offline"' "$tmp/status.out"
check "the will: cause connection_lost, its time that of the session's online message" \
    "$tmp/status.out" status_times "$tmp/sub.out" "$tmp/status.out" connection_lost

# --- TLS: a CA, a server certificate for 127.0.0.1, a client certificate ----------------------
pki="$tmp/pki"
mkdir -p "$pki"
(
    cd "$pki" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
        -subj "/CN=tinyfleet test CA" &&
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
            -subj "/CN=127.0.0.1" &&
        printf 'subjectAltName=IP:127.0.0.1\n' >san.ext &&
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -out server.crt -days 2 -extfile san.ext &&
        openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
            -subj "/CN=gw-t" &&
        openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -out client.crt -days 2
) >"$tmp/pki.log" 2>&1 || nok "openssl makes the test PKI" "$tmp/pki.log"
: >"$pki/passwd"
mosquitto_passwd -b "$pki/passwd" gw-t 's3cret pass' 2>>"$tmp/pki.log"
mosquitto_passwd -b "$pki/passwd" watcher watcher-pass 2>>"$tmp/pki.log"
tcp_port TPORT
start_broker "$TPORT" "cafile $pki/ca.crt
certfile $pki/server.crt
keyfile $pki/server.key
require_certificate true
allow_anonymous false
password_file $pki/passwd" || nok "mosquitto with a TLS listener starts" "$tmp/mosquitto-$TPORT.log"
mosquitto_sub -h 127.0.0.1 -p "$TPORT" --cafile "$pki/ca.crt" --cert "$pki/client.crt" \
    --key "$pki/client.key" -u watcher -P watcher-pass -t "$PREFIX/#" -F '%r %t %p' \
    >"$tmp/tls.out" 2>"$tmp/tls.err" &
pids="$pids $!"
# tls_settings PASSWORD: the [mqtt] section points at the TLS listener with these credentials.
tls_settings() {
    python3 - "$conf" "$TPORT" "$pki" "$1" <<'EOF'
import re, sys
path, port, pki, password = sys.argv[1:5]
conf = open(path).read()
conf = re.sub(r"(?m)^(port|tls_ca|tls_cert|tls_key|username|password) = .*\n", "", conf)
conf = conf.replace("[mqtt]\n", "[mqtt]\nport = %s\ntls_ca = %s/ca.crt\ntls_cert = %s/client.crt\n"
                    "tls_key = %s/client.key\nusername = gw-t\npassword = %s\n"
                    % (port, pki, pki, pki, password), 1)
open(path, "w").write(conf)
EOF
}
tls_settings wrong
start_daemon "$log.4" || nok "tinyfleetd starts with a wrong MQTT password" "$log.4"
check "a wrong password: the broker's refusal is logged, the daemon keeps running" "$log.4" \
    wait_for "$log.4" "refused the connection" 10
stop_daemon TERM 10
tls_settings 's3cret pass'
start_daemon "$log.4" || nok "tinyfleetd starts with TLS settings" "$log.4"
check "TLS with client certificates and a password: the daemon connects, its birth message arrives" \
    "$log.4" wait_for "$tmp/tls.out" " $PREFIX/gateway/gw-t/status {\"state\":\"online\"" 15
stop_daemon TERM 10
check "SIGTERM: exit 0" "$log.4" test "$rc" = 0
check "SIGTERM: the daemon says offline itself (a clean disconnect fires no will)" "$tmp/tls.out" \
    wait_for "$tmp/tls.out" " $PREFIX/gateway/gw-t/status {\"state\":\"offline\"" 5
check "SIGTERM: the offline status has cause stopped and the time of the stop" "$tmp/tls.out" \
    status_times "$tmp/tls.out" "$tmp/tls.out" stopped

finish
