#!/bin/sh
# SPDX-License-Identifier: MIT
# Home Assistant MQTT discovery ([mqtt] homeassistant = true) over a real mosquitto broker on
# a free loopback port, read as Home Assistant would with mosquitto_sub. Checks: the retained
# discovery configs (topic layout and the keys of the schema) of the gateway status, the zone
# x class binary sensor and each node's battery and last-seen sensors; the zone sensor's state
# OFF, ON while an alert of that zone and class is active, with the alert's fields as
# attributes, OFF once it clears; a node's last-seen time; a node renamed and one removed with
# the CLI while the daemon runs (its configs emptied); availability: the status topic the
# configs name says online, and offline after the daemon stops.
# Run from the repository root: BUILD=/abs/build sh tests/integration/mqtt_homeassistant.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=mqtt_homeassistant
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc

HA=homeassistant
NODE_ID=tinyfleet_gw-t

# ha_retained FILE: every retained message under $HA/ as "TOPIC PAYLOAD" lines in FILE.
ha_retained() {
    mosquitto_sub -h 127.0.0.1 -p "$BPORT" -t "$HA/#" --retained-only -W 1 -F '%t %p' \
        >"$1" 2>/dev/null
    return 0
}

# wait_retained TOPIC PAYLOAD SECONDS: until TOPIC's retained message is PAYLOAD ("" = none).
wait_retained() {
    n=0
    while [ "$n" -lt "$(($3 * 4))" ]; do
        [ "$(retained "$1")" = "$2" ] && return 0
        sleep 0.25
        n=$((n + 1))
    done
    return 1
}

# configs FILE PYTHON-ASSERTS: the configs of FILE (ha_retained) as dict c of topic -> JSON,
# and the asserts run on them.
configs() {
    python3 - "$1" "$2" "$PREFIX" "$HA" "$NODE_ID" <<'EOF'
import json, sys
c = {}
for line in open(sys.argv[1]).read().splitlines():
    topic, _, payload = line.partition(" ")
    c[topic] = json.loads(payload)
prefix, ha, node = sys.argv[3:6]
exec(sys.argv[2])
EOF
}

tcp_port BPORT
free_ports CPORT LPORT
start_broker "$BPORT" || { nok "mosquitto starts" "$tmp/mosquitto-$BPORT.log"; finish; }
mosquitto_sub -h 127.0.0.1 -p "$BPORT" -q 1 -t "$PREFIX/#" -t "$HA/#" -F '%r %t %p' \
    >"$tmp/sub.out" 2>"$tmp/sub.err" &
pids="$pids $!"

write_conf "$conf" gw-t "$db" "127.0.0.1:$CPORT" "127.0.0.1:$LPORT" site=test
cat >>"$conf" <<EOF
[mqtt]
host = 127.0.0.1
port = $BPORT
homeassistant = true
reconnect_max_s = 2
[zone.village]
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
clear_after_s = 3
update_interval_s = 0
[health]
offline_after_s = 0
battery_low_mv = 0
EOF
"$T" --db "$db" node add 26011F00 --nwkskey "$NK" --appskey "$AK" --zone village \
    --name 'tree <1>' --profile elephant >/dev/null &&
    "$T" --db "$db" node add 26011F01 --nwkskey "$NK" --appskey "$AK" --zone village \
        >/dev/null || nok "node add"

start_daemon "$log" || { nok "tinyfleetd starts" "$log"; finish; }
wait_for "$tmp/sub.out" "$HA/sensor/$NODE_ID/26011f01_last_seen/config {" 10
ha_retained "$tmp/ha.1"
check "discovery: the configs are retained under <prefix>/<component>/<node_id>/<object_id>/config" \
    "$tmp/ha.1" configs "$tmp/ha.1" '
want = {ha + "/binary_sensor/" + node + "/status/config",
        ha + "/binary_sensor/" + node + "/village_elephant/config",
        ha + "/sensor/" + node + "/26011f00_battery/config",
        ha + "/sensor/" + node + "/26011f00_last_seen/config",
        ha + "/sensor/" + node + "/26011f01_battery/config",
        ha + "/sensor/" + node + "/26011f01_last_seen/config"}
assert set(c) == want, sorted(c)'
check "discovery: every config has the keys of the schema; unique ids derive from gateway and object" \
    "$tmp/ha.1" configs "$tmp/ha.1" '
status = prefix + "/gateway/gw-t/status"
for topic, o in c.items():
    obj = topic.split("/")[3]
    assert o["unique_id"] == node + "_" + obj == o["object_id"], o
    assert o["name"] and o["device"]["identifiers"] and o["device"]["name"], o
    assert o["state_topic"], o
    if obj != "status":
        av = o["availability"]
        assert av == [{"topic": status, "value_template": "{{ value_json.state }}",
                       "payload_available": "online", "payload_not_available": "offline"}], av
z = c[ha + "/binary_sensor/" + node + "/village_elephant/config"]
assert z["state_topic"] == prefix + "/ha/elephant/village/state", z
assert z["json_attributes_topic"] == prefix + "/ha/elephant/village/attributes", z
assert (z["payload_on"], z["payload_off"]) == ("ON", "OFF"), z
b = c[ha + "/sensor/" + node + "/26011f00_battery/config"]
assert b["device_class"] == "voltage" and b["unit_of_measurement"] == "mV", b
assert b["state_topic"] == prefix + "/node/26011F00/health", b
assert b["device"]["name"] == "tree <1>" and b["device"]["via_device"] == node, b
s = c[ha + "/sensor/" + node + "/26011f00_last_seen/config"]
assert s["device_class"] == "timestamp" and s["device"] == b["device"], s
g = c[ha + "/binary_sensor/" + node + "/status/config"]
assert g["state_topic"] == status and g["device_class"] == "connectivity", g'
retained "$PREFIX/gateway/gw-t/status" >"$tmp/status.out"
check "availability: the status topic the configs name says online" "$tmp/status.out" \
    python3 -c 'import json, sys; assert json.load(sys.stdin)["state"] == "online"' \
    <"$tmp/status.out"
check "zone sensor: OFF with no alert active" "$tmp/sub.out" \
    wait_retained "$PREFIX/ha/elephant/village/state" OFF 5

# --- an alert: ON with its fields as attributes, OFF once it clears ----------------------------
detect 26011F00 200 1 >"$tmp/f1"
send "$tmp/f1" || nok "frame acknowledged" "$tmp/emu.out"
check "zone sensor: ON while the alert is active" "$tmp/sub.out" \
    wait_retained "$PREFIX/ha/elephant/village/state" ON 5
retained "$PREFIX/ha/elephant/village/attributes" >"$tmp/attr.out"
check "zone sensor: the alert's fields are its attributes" "$tmp/attr.out" \
    python3 -c 'import json, sys
a = json.load(sys.stdin)
assert (a["class"], a["zone"], a["state"], a["level"]) == ("elephant", "village", "open", "watch"), a
assert a["nodes"] == ["26011F00"] and a["gateway"] == "gw-t" and a["message"], a' <"$tmp/attr.out"
retained "$PREFIX/ha/node/26011F00/seen" >"$tmp/seen.out"
check "node sensor: last seen is the RFC 3339 time of its frame" "$tmp/seen.out" \
    grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "$tmp/seen.out"
check "zone sensor: OFF once the alert clears (clear_after_s)" "$tmp/sub.out" \
    wait_retained "$PREFIX/ha/elephant/village/state" OFF 8
check "zone sensor: the attributes are those of the clearing" "$tmp/sub.out" \
    wait_retained "$PREFIX/ha/elephant/village/attributes" \
    "$(grep " $PREFIX/alert/elephant/village " "$tmp/sub.out" | tail -1 | cut -d' ' -f3-)" 3

# --- the registry changed with the CLI while the daemon runs ----------------------------------
"$T" --db "$db" node edit 26011F00 --name 'fence post' >/dev/null || nok "node edit"
"$T" --db "$db" node remove 26011F01 >/dev/null || nok "node remove"
check "node removed: its configs are emptied within seconds" "$tmp/sub.out" \
    wait_retained "$HA/sensor/$NODE_ID/26011f01_battery/config" "" 5
check "node removed: both of its sensors, and its last-seen state" "$tmp/sub.out" \
    test -z "$(retained "$HA/sensor/$NODE_ID/26011f01_last_seen/config")$(retained \
        "$PREFIX/ha/node/26011F01/seen")"
ha_retained "$tmp/ha.2"
check "node renamed: its device's new name is announced, the other configs stay" "$tmp/ha.2" \
    configs "$tmp/ha.2" '
assert c[ha + "/sensor/" + node + "/26011f00_battery/config"]["device"]["name"] == "fence post"
assert len(c) == 4, sorted(c)'

# --- availability after the stop --------------------------------------------------------------
stop_daemon TERM 10
check "SIGTERM: exit 0" "$log" test "$rc" = 0
retained "$PREFIX/gateway/gw-t/status" >"$tmp/status.out"
check "availability: offline once the daemon has stopped" "$tmp/status.out" \
    python3 -c 'import json, sys; assert json.load(sys.stdin)["state"] == "offline"' \
    <"$tmp/status.out"

finish
