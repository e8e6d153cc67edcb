#!/bin/sh
# SPDX-License-Identifier: MIT
# Alerts to Debian's Prometheus Alertmanager, end to end on free loopback ports (the example
# config/alertmanager.yml passes amtool check-config first): frames from
# the packet-forwarder emulator, fusion in tinyfleetd, the Alertmanager outbox, Alertmanager
# run with config/alertmanager.yml (addresses pointed at the test's receivers, waits of 1 s),
# a webhook receiver and an SMTP server. Checks: an alert arrives at the webhook with the
# labels and annotations of the contract; its escalation to critical arrives by e-mail and
# webhook at once; Alertmanager stopped for 20 s while an alert clears and another opens, and
# tinyfleetd killed with SIGKILL in that time: after both are back, the clearing and the new
# alert reach the receivers, and the outbox is empty; `tinyfleet stats` shows the queue, the
# last success and the last error.
# Run from the repository root: BUILD=/abs/build sh tests/integration/alertmanager.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=alertmanager
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc
# shellcheck source=tests/integration/am.inc
. tests/integration/am.inc

amtool check-config config/alertmanager.yml >"$tmp/amtool.out" 2>&1
check "amtool check-config accepts config/alertmanager.yml" "$tmp/amtool.out" \
    grep -q SUCCESS "$tmp/amtool.out"
start_receivers || { nok "the webhook and SMTP receivers start" "$tmp/smtp.log"; finish; }
am_config
start_am || { nok "alertmanager starts" "$tmp/am.log"; finish; }

free_ports CPORT LPORT
write_conf "$conf" gw-am "$db" "" "127.0.0.1:$LPORT" site=park
cat >>"$conf" <<EOF
[alertmanager]
url = http://127.0.0.1:$APORT
resend_s = 2
[zone.village]
critical = true
lat = -2.6530
lon = 37.2600
radius_m = 1500
[zone.bay]
lat = -2.7000
lon = 37.3000
radius_m = 1500
[rule.elephant]
type = cluster
class = elephant
window_s = 60
min_nodes = 2
watch_confidence = 0.5
warning_confidence = 0.7
critical_confidence = 0.99
clear_after_s = 6
update_interval_s = 0
[rule.whale]
type = cluster
class = whale
window_s = 60
min_nodes = 2
watch_confidence = 0.5
warning_confidence = 0.7
critical_confidence = 0.99
clear_after_s = 120
update_interval_s = 0
[health]
offline_after_s = 0
battery_low_mv = 0
EOF
for n in 26011F00 26011F01; do
    "$T" --db "$db" node add "$n" --nwkskey "$NK" --appskey "$AK" --zone village \
        --lat -2.653 --lon 37.26 >/dev/null ||
        nok "node add $n"
done
for n in 26011F10 26011F11; do
    "$T" --db "$db" node add "$n" --nwkskey "$NK" --appskey "$AK" --zone bay >/dev/null ||
        nok "node add $n"
done
start_daemon "$log" || { nok "tinyfleetd starts" "$log"; finish; }

# --- one alert: watch, then critical (two nodes in a critical zone) -------------------------
detect 26011F00 200 1 >"$tmp/f1"
send "$tmp/f1" || nok "frame 1 acknowledged" "$tmp/emu.out"
check "watch: arrives at the webhook" "$tmp/webhook.out" \
    wait_notified 15 webhook firing watch village
check "watch: with the labels and annotations of the contract" "$tmp/webhook.out" \
    /usr/bin/python3 - "$tmp/webhook.out" <<'EOF'
import json, re, sys
a = [a for l in open(sys.argv[1]) for a in json.loads(l)["alerts"]][0]
l, an = a["labels"], a["annotations"]
want = {"alertname": "elephant", "zone": "village", "key": "village", "severity": "watch",
        "rule": "elephant", "gateway": "gw-am", "site": "park"}
assert {k: l.get(k) for k in want} == want, l
assert re.match(r"^\d+$", l["alert_id"]), l
assert "lephant" in an["summary"] and "village" in an["summary"], an
assert an["nodes"] == "26011F00" and an["seq"] == "1", an
assert abs(float(an["confidence"]) - 200 / 255) < 1e-3, an
assert -2.66 < float(an["lat"]) < -2.65 and 37.25 < float(an["lon"]) < 37.27, an
assert an["description"].startswith("first seen 20"), an
assert a["startsAt"].startswith(an["description"][11:30]), (a["startsAt"], an)
EOF
detect 26011F01 230 1 >"$tmp/f2"
send "$tmp/f2" || nok "frame 2 acknowledged" "$tmp/emu.out"
check "critical: arrives at the webhook" "$tmp/webhook.out" \
    wait_notified 15 webhook firing critical village
check "critical: arrives by e-mail as well" "$tmp/mail.out" \
    wait_notified 15 mail firing critical village
check "the chat's watch group is resolved (the critical alert replaces the watch)" \
    "$tmp/webhook.out" wait_notified 10 webhook resolved 'watch|warning' village
check "stats: nothing queued, a last success" "$tmp/amstats.json" \
    am_stat 'j["alertmanager_queue"] == 0 and j["alertmanager_last_ok"] is not None'

# --- Alertmanager away for 20 s; the daemon killed with SIGKILL in that time ------------------
stop_am
down=$(date +%s)
# The village alert clears while Alertmanager is away (clear_after_s = 6); a whale alert opens
# in the bay and stays (clear_after_s = 120).
whale() {
    encode_frame "$2" 1 "2102$(printf '%02X' 200)0000051E" "$NK" "$1"
}
whale 26011F10 1 >"$tmp/f3"
whale 26011F11 1 >>"$tmp/f3"
send "$tmp/f3" || nok "frames 3 acknowledged while Alertmanager is away" "$tmp/emu.out"
sleep 1
check "stats: the whale alert waits in the outbox, with the error" "$tmp/amstats.json" \
    am_stat 'j["alertmanager_queue"] >= 1 and "127.0.0.1" in (j["alertmanager_last_error"] or "")'
stop_daemon KILL 5
start_daemon "$log.2" || { nok "tinyfleetd starts again" "$log.2"; finish; }
check "nothing reached the receivers while Alertmanager was away" "$tmp/webhook.out" \
    not_notified webhook firing '.*' bay
sleep $((20 - ($(date +%s) - down)))
start_am || { nok "alertmanager starts again" "$tmp/am.log"; finish; }
check "after the outage: the bay's whale warning arrives at the webhook" "$tmp/webhook.out" \
    wait_notified 15 webhook firing warning bay
check "after the outage: the village clearing arrives at the webhook" "$tmp/webhook.out" \
    wait_notified 15 webhook resolved critical village
check "after the outage: the village clearing arrives by e-mail" "$tmp/mail.out" \
    wait_notified 15 mail resolved critical village
check "stats: the outbox is empty again" "$tmp/amstats.json" am_stat 'j["alertmanager_queue"] == 0'

stop_daemon TERM 10
check "tinyfleetd stops cleanly (exit 0)" "$log.2" test "$rc" = 0
[ "$fail" -eq 0 ] || { cat "$log" "$log.2" "$tmp/am.log"; sqlite3 "$db" 'select id, class, topic_key, level, state from alerts; select * from am_outbox'; }
check "no password or token in the logs" "$log" sh -c "! grep -qi 'authorization' '$log' '$log.2'"
finish
