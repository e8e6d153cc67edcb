#!/bin/sh
# SPDX-License-Identifier: MIT
# Acknowledge and mute through Debian's Alertmanager (config/alertmanager.yml, waits of 1 s)
# with a webhook and an SMTP receiver of the test's. Checks: `alerts ack` records who and
# when (shown by `alerts`, and as "ack" in the alert's next transition) and creates a
# silence, which amtool sees, that keeps the alert's escalation to critical from both
# receivers; when the alert clears the daemon expires that silence and the clearing reaches
# the webhook; `alerts mute --zone --for` keeps a new alert of that zone from the receivers,
# `alerts mutes` lists it, `alerts unmute` ends it and the alert arrives; bad input is
# refused and changes nothing.
# Run from the repository root: BUILD=/abs/build sh tests/integration/alertmanager_ack.sh

# shellcheck disable=SC2317 # helpers are run by check, which shellcheck does not follow
set -u

NAME=alertmanager_ack
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc
# shellcheck source=tests/integration/mqtt.inc
. tests/integration/mqtt.inc
# shellcheck source=tests/integration/am.inc
. tests/integration/am.inc

start_receivers || { nok "the webhook and SMTP receivers start" "$tmp/smtp.log"; finish; }
am_config
start_am || { nok "alertmanager starts" "$tmp/am.log"; finish; }

free_ports LPORT
write_conf "$conf" gw-ack "$db" "" "127.0.0.1:$LPORT" site=park
cat >>"$conf" <<EOF
[alertmanager]
url = http://127.0.0.1:$APORT
resend_s = 1
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
clear_after_s = 5
update_interval_s = 0
[health]
offline_after_s = 0
battery_low_mv = 0
EOF
for n in 26011F00:village 26011F01:village 26011F10:bay 26011F11:bay; do
    "$T" --db "$db" node add "${n%:*}" --nwkskey "$NK" --appskey "$AK" --zone "${n#*:}" \
        >/dev/null || nok "node add $n"
done
start_daemon "$log" || { nok "tinyfleetd starts" "$log"; finish; }
C="$T -c $conf"

# --- ack: recorded, a silence of that alert, expired when it clears ------------------------
detect 26011F00 200 1 >"$tmp/f1"
send "$tmp/f1" || nok "frame 1 acknowledged" "$tmp/emu.out"
check "the watch arrives" "$tmp/webhook.out" wait_notified 10 webhook firing watch village
run_ack() { run -c "$conf" alerts ack "$@"; }
run_ack 99 --by amina
check_run "ack of an alert that does not exist: exit 1, nothing recorded" \
    eval 'rc_is 1 && stderr_has "alert 99 does not exist" &&
          [ "$(sqlite3 "$db" "select count(*) from alert_acks")" = 0 ]'
run_ack 1 --by amina --note "on our way"
check_run "ack 1: recorded, with a silence" \
    eval 'rc_is 0 && stdout_has "alert 1 acknowledged by amina; silence "'
sid=$(sed 's/.*silence //' "$tmp/out")
amtool --alertmanager.url="http://127.0.0.1:$APORT" silence query -q >"$tmp/amtool.out" 2>&1
check "amtool shows the same silence" "$tmp/amtool.out" grep -qx "$sid" "$tmp/amtool.out"
run -c "$conf" alerts
check_run "alerts shows who acknowledged and when" \
    eval 'stdout_has "acknowledged by amina at 20.*: on our way"'
detect 26011F01 230 1 >"$tmp/f2"
send "$tmp/f2" || nok "frame 2 acknowledged" "$tmp/emu.out"
run -c "$conf" alerts --json
check_run "the next transition (escalate) carries the ack, as published" \
    json 'j["state"] == "escalate" and j["ack"]["by"] == "amina" and j["ack"]["note"] == "on our way" and j["ack"]["silence"] != ""'
sleep 3 # group_wait 1 s and a resend: long enough for the critical alert to be notified
check "the silence keeps the critical alert from the webhook" "$tmp/webhook.out" \
    not_notified webhook firing critical village
check "... and from e-mail" "$tmp/mail.out" not_notified mail firing critical village
check "cleared: the daemon expires the silence" "$tmp/amtool.out" wait_silence_gone "$sid" 15
check "and the clearing reaches the webhook" "$tmp/webhook.out" \
    wait_notified 10 webhook resolved 'watch|warning' village

# --- mute and unmute ------------------------------------------------------------------------
run -c "$conf" alerts mute --zone bay --for 1x
check_run "mute --for 1x: a usage error" eval 'rc_is 2 && stderr_has "not a duration"'
run -c "$conf" alerts mute --zone bay --class elephant --for 10m --by joseph --note storm
check_run "mute the bay's elephants for 10 minutes: prints the silence" \
    eval 'rc_is 0 && [ "$(wc -l <"$tmp/out")" = 1 ]'
mid=$(cat "$tmp/out")
run -c "$conf" alerts mutes
check_run "mutes lists it, with who and the matchers" \
    eval 'stdout_has "^$mid .* joseph .*site=park,zone=bay,alertname=elephant *storm"'
detect 26011F10 200 1 >"$tmp/f3"
detect 26011F11 220 1 >>"$tmp/f3"
send "$tmp/f3" || nok "frames 3 acknowledged" "$tmp/emu.out"
sleep 3
check "muted: the bay's alert reaches no receiver" "$tmp/webhook.out" \
    not_notified webhook firing '.*' bay
run -c "$conf" alerts unmute not-an-id
check_run "unmute of a malformed id: a usage error" eval 'rc_is 2 && stderr_has "not a silence id"'
run -c "$conf" alerts unmute "$mid"
check_run "unmute ends it" eval 'rc_is 0 && stdout_has "silence $mid expired"'
check "unmuted: the bay's alert arrives" "$tmp/webhook.out" \
    wait_notified 10 webhook firing warning bay
run -c "$conf" alerts mutes --json
check_run "mutes: none left" eval 'rc_is 0 && stdout_empty'

stop_daemon TERM 10
check "tinyfleetd stops cleanly (exit 0)" "$log" test "$rc" = 0
finish
