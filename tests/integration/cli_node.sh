#!/bin/sh
# SPDX-License-Identifier: MIT
# `tinyfleet node|events|stats` end to end on a real database file: node add with generated
# and given keys, duplicates, list/show (keys only with --show-keys), remove, events and
# stats on an empty and on a seeded database (rows inserted with the sqlite3 shell, as
# tinyfleetd would write them), -c FILE, a missing or too new database, and a write lock
# held by another process (the daemon) while the CLI runs.
# Run from the repository root: BUILD=/abs/build sh tests/integration/cli_node.sh
# JSON is checked by parsing it with python3, never by matching text.

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=cli_node
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

DEV2=26011F01
DEV_NUM=637607680 # 0x26011F00
DEV2_NUM=637607681

DB="$tmp/gw.db"

# No 32-hex-digit string (a session key) anywhere in the output.
no_key_printed() { ! grep -qiE '[0-9A-F]{32}' "$tmp/out" "$tmp/err"; }
keys_printed() { [ "$(grep -cE '^(nwkskey|appskey) +[0-9A-F]{32}$' "$tmp/out")" -eq 2 ]; }
sql() { sqlite3 -batch "$DB" "$@"; }

# --- a missing database is an error, not a new empty file ---------------------------------
for verb in "node list" "node show $DEV" "node remove $DEV" "events" "stats"; do
    # shellcheck disable=SC2086 # the verb's words are meant to split
    run --db "$DB" $verb
    check_run "$verb on a missing database: exit 1, says so, creates nothing" \
        eval 'rc_is 1 && stderr_has "no database at" && stdout_empty && [ ! -e "$DB" ]'
done

# --- node add: generated keys -----------------------------------------------------------------
run --db "$DB" node add "$DEV" --name "waterhole east" --profile elephant --lat -1.2921 \
    --lon 36.8219 --zone village
check_run "node add (generated keys): exit 0, creates the database" \
    eval 'rc_is 0 && stdout_has "node $DEV added" && [ -e "$DB" ]'
check_run "node add (generated keys): no key printed without --show-keys" no_key_printed
run --db "$DB" node show "$DEV" --show-keys
check_run "node show --show-keys: both keys, once each" eval 'rc_is 0 && keys_printed'
gen_nk=$(sed -n 's/^nwkskey *//p' "$tmp/out")
gen_ak=$(sed -n 's/^appskey *//p' "$tmp/out")
check_run "generated NwkSKey and AppSKey differ" [ "$gen_nk" != "$gen_ak" ]
check_run "generated keys are stored as 16-byte blobs" \
    [ "$(sql "SELECT hex(nwkskey) || ' ' || hex(appskey) FROM nodes WHERE devaddr = $DEV_NUM")" = "$gen_nk $gen_ak" ]

run --db "$DB" node add 26011F0A --show-keys
other_nk=$(sed -n 's/^nwkskey *//p' "$tmp/out")
check_run "node add --show-keys prints the generated keys once; another node gets other keys" \
    eval 'rc_is 0 && keys_printed && [ "$other_nk" != "$gen_nk" ]'
run --db "$DB" node remove 26011F0A

# --- node add: given keys ---------------------------------------------------------------------
run --db "$DB" node add "$DEV2" --nwkskey "$NK" --appskey "$(echo "$AK" | tr 'A-F' 'a-f')" \
    --profile turbine
check_run "node add (given keys, lower-case hex): exit 0, keys not echoed" \
    eval 'rc_is 0 && no_key_printed'
run --db "$DB" node show "$DEV2" --json --show-keys
check_run "node show --json --show-keys: the given keys, upper case" \
    jsonl 'N == 1 and j["devaddr"] == "26011F01" and j["nwkskey"] == "'"$NK"'" and j["appskey"] == "'"$AK"'"'

# --- duplicates and usage errors --------------------------------------------------------------
run --db "$DB" node add "$DEV" --nwkskey "$NK" --appskey "$AK"
check_run "duplicate DevAddr: exit 1, clear message" \
    eval 'rc_is 1 && stderr_has "$DEV is already registered" && stdout_empty'
check_run "duplicate DevAddr: the registered keys are unchanged" \
    [ "$(sql "SELECT hex(nwkskey) FROM nodes WHERE devaddr = $DEV_NUM")" = "$gen_nk" ]
run --db "$DB" node add 26011F02 --nwkskey "$NK"
check_run "only one key given: usage error (exit 2)" eval 'rc_is 2 && stderr_has "both --nwkskey and --appskey"'
run --db "$DB" node add 26011F02 --lat 10
check_run "--lat without --lon: exit 2" eval 'rc_is 2 && stderr_has "--lat and --lon"'
run --db "$DB" node add 26011F02 --lat 91 --lon 0
check_run "latitude 91: exit 2" eval 'rc_is 2 && stderr_has "--lat"'
run --db "$DB" node add 26011F0 --name x
check_run "DevAddr of 7 digits: exit 2" eval 'rc_is 2 && stderr_has "8 hex digits"'
run --db "$DB" node add 26011F02 --nwkskey "${NK}00" --appskey "$AK"
check_run "a 17-byte key: exit 2, the key is not repeated" \
    eval 'rc_is 2 && stderr_has "32 hex digits" && no_key_printed'
run --db "$DB" node add
check_run "node add without DEVADDR: exit 2" eval 'rc_is 2 && stderr_has "missing DEVADDR"'
run --db "$DB" node frobnicate
check_run "unknown node subverb: exit 2" eval 'rc_is 2 && stderr_has "unknown subverb"'
check_run "no node was added by the refused commands" [ "$(sql 'SELECT count(*) FROM nodes')" -eq 2 ]

# --- list and show: no keys -------------------------------------------------------------------
run --db "$DB" node list
check_run "node list: a heading and one line per node, no keys" \
    eval 'rc_is 0 && [ "$(wc -l <"$tmp/out")" -eq 3 ] && stdout_has "waterhole east" && no_key_printed'
run --db "$DB" node list --json
check_run "node list --json: one object per node, no key fields" \
    jsonl 'N == 2 and [x["devaddr"] for x in js] == ["26011F00", "26011F01"] and all("nwkskey" not in x and "appskey" not in x for x in js) and js[0]["lat"] == -1.2921 and js[0]["zone"] == "village" and js[1]["lat"] is None and js[0]["last_fcnt"] is None and ms.match(js[0]["created"])'
run --db "$DB" node show "$DEV"
check_run "node show: the node, keys hidden" \
    eval 'rc_is 0 && stdout_has "waterhole east" && stdout_has "hidden" && no_key_printed'
run --db "$DB" node show "$DEV" --json
check_run "node show --json: no key fields" jsonl 'N == 1 and "nwkskey" not in j and j["profile"] == "elephant"'
run --db "$DB" node list --show-keys
check_run "node list --show-keys is refused (exit 2)" eval 'rc_is 2 && no_key_printed'

# --- events and stats on a database without any ------------------------------------------------
run --db "$DB" events
check_run "events, none stored: exit 0, says so" eval 'rc_is 0 && stdout_has "(no events)"'
run --db "$DB" events --json
check_run "events --json, none stored: exit 0, no output" eval 'rc_is 0 && stdout_empty'
run --db "$DB" stats
check_run "stats, nothing counted: exit 0, every reason at 0" \
    eval 'rc_is 0 && stdout_has "^accepted  *0  *0  *0$" && stdout_has "^storage_failed  *0" &&
          stdout_has "^mqtt outbox: 0 waiting, 0 dropped$"'
run --db "$DB" stats --json
check_run "stats --json: one object per bearer and the downlinks, all zero, then the empty outboxes" \
    jsonl 'N == 4 and [x["bearer"] for x in js[:3]] == ["coap", "lora", "downlink"] and all(v == 0 for x in js[:3] for k, v in x.items() if k != "bearer") and "unknown_node" in js[1] and "too_late" in js[2] and js[3] == {"outbox": 0, "outbox_oldest": None, "outbox_dropped": 0, "alertmanager_queue": 0, "alertmanager_oldest": None, "alertmanager_last_ok": None, "alertmanager_last_error": None, "alertmanager_last_error_time": None}'

# --- events written as tinyfleetd writes them --------------------------------------------------
# Frame 7 of DEV, received 3 hours ago: the detections of `frame encode --payload $DET` (the
# payload of cli_frame.sh): elephant p=200/255 age 10 s, human p=255/255 age 4660 s. Then a
# health message one minute ago, a raw FPort 9 payload, and one detection of DEV2 2 days ago.
now=$(($(date +%s) * 1000))
r1=$((now - 3 * 3600 * 1000))
r2=$((now - 60 * 1000))
r3=$((now - 2 * 86400 * 1000))
DET=2201C80A00050C04FF3412FF00
sql "INSERT INTO frames (id, devaddr, fcnt, fport, confirmed, received_ms, payload, bearer,
                         gateway, rssi, snr, freq_hz, datr) VALUES
       (1, $DEV_NUM, 7, 1, 0, $r1, X'$DET', 'lora', 'AA555A0000000001', -97, 7.5, 868100000,
        'SF7BW125'),
       (2, $DEV_NUM, 8, 2, 0, $r2, X'01E40C15805101003412035802030000', 'coap',
        '127.0.0.1:40000', NULL, NULL, NULL, NULL),
       (3, $DEV_NUM, 9, 9, 1, $r2 + 5, X'CAFE', NULL, NULL, NULL, NULL, NULL, NULL),
       (4, $DEV2_NUM, 1, 1, 0, $r3, X'2102EE00000102', NULL, NULL, NULL, NULL, NULL, NULL);
     INSERT INTO later_receptions (frame_id, bearer, gateway, time_ms, rssi, snr, freq_hz, datr)
       VALUES (1, 'lora', 'AA555A0000000002', $r1 + 40, -110, -2.5, 868100000, 'SF7BW125');
     INSERT INTO events (frame_id, devaddr, kind, received_ms, time_ms, class_id, confidence,
                         age_s, duration_s, level_db)
       VALUES (1, $DEV_NUM, 'detection', $r1, $r1 - 10000, 1, 200, 10, 5, 12),
              (1, $DEV_NUM, 'detection', $r1, $r1 - 4660000, 4, 255, 4660, 255, 0),
              (4, $DEV2_NUM, 'detection', $r3, $r3, 2, 238, 0, 1, 2);
     INSERT INTO events (frame_id, devaddr, kind, received_ms, time_ms, battery_mv, temp_c,
                         uptime_s, model_id, model_ver, inferences, detections, tx_failures)
       VALUES (2, $DEV_NUM, 'health', $r2, $r2, 3300, 21, 86400, 4660, 3, 600, 3, 0);
     INSERT INTO events (frame_id, devaddr, kind, received_ms, time_ms)
       VALUES (3, $DEV_NUM, 'raw', $r2 + 5, $r2 + 5);
     INSERT INTO counters (bearer, reason, count)
       VALUES ('coap', 'accepted', 3), ('lora', 'accepted', 2), ('lora', 'bad_mic', 4);"

run --db "$DB" events --json
check_run "events --json: five events, newest first, the fields of the architecture" \
    jsonl 'N == 5 and [x["kind"] for x in js] == ["raw", "health", "detection", "detection", "detection"] and all(set(["devaddr", "fcnt", "received", "time", "kind"]) <= set(x) and ms.match(x["received"]) and ms.match(x["time"]) and re.match(r"^[0-9A-F]{8}$", x["devaddr"]) for x in js)'
check_run "events --json: a detection has class by name, confidence 0..1, time = received - age" \
    jsonl 'js[2]["class"] == "human" and js[2]["confidence"] == 1 and js[2]["age_s"] == 4660 and js[2]["fcnt"] == 7 and js[3]["class"] == "elephant" and abs(js[3]["confidence"] - 200/255) < 1e-9 and js[3]["received"] > js[3]["time"] and js[4]["class"] == "whale"'
check_run "events --json: health fields and raw fport/payload" \
    jsonl 'js[1]["battery_mv"] == 3300 and js[1]["uptime_s"] == 86400 and js[1]["time"] == js[1]["received"] and js[0]["fport"] == 9 and js[0]["payload"] == "CAFE"'

# The same frame through `frame decode`: the field names and values match.
frame=$(encode_frame 7 1 "$DET")
"$T" frame decode --nwkskey "$NK" --appskey "$AK" "$frame" >"$tmp/decoded" 2>/dev/null
run --db "$DB" events --json --node "$DEV" --class elephant
check_run "events --json uses the record fields of frame decode, with the same values" \
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))["tfp"]["records"][0]
e = json.loads(open(sys.argv[2]).read())
sys.exit(0 if all(e[k] == v for k, v in d.items()) else 1)' "$tmp/decoded" "$tmp/out"

run --db "$DB" events --since 2h --json
check_run "events --since 2h: only the last two" jsonl 'N == 2 and js[1]["kind"] == "health"'
run --db "$DB" events --since 1d --json
check_run "events --since 1d: not the detection of two days ago" jsonl 'N == 4'
run --db "$DB" events --node "$DEV2" --json
check_run "events --node: that node only" jsonl 'N == 1 and j["devaddr"] == "26011F01" and j["class"] == "whale"'
run --db "$DB" events --class human --json
check_run "events --class human: detections of that class only" jsonl 'N == 1 and j["class_id"] == 4'
run --db "$DB" events --limit 2 --json
check_run "events --limit 2: the two newest" jsonl 'N == 2 and j["kind"] == "raw"'
run --db "$DB" events
check_run "events (table): a heading and one line per event" \
    eval 'rc_is 0 && [ "$(wc -l <"$tmp/out")" -eq 6 ] && stdout_has "elephant p=0.78 age=10s" && stdout_has "battery=3300mV" && stdout_has "fport=9 payload=CAFE"'
# --- reception fields: RSSI, SNR and the forwarder -------------------------------------------
run --db "$DB" events --json --node "$DEV"
check_run "events --json: each event carries its frame's first reception" \
    jsonl 'N == 4 and js[2]["bearer"] == "lora" and js[2]["gateway"] == "AA555A0000000001" and js[2]["rssi"] == -97 and js[2]["snr"] == 7.5 and js[2]["freq_hz"] == 868100000 and js[2]["datr"] == "SF7BW125" and js[1]["bearer"] == "coap" and js[1]["gateway"] == "127.0.0.1:40000" and js[1]["rssi"] is None and js[1]["snr"] is None and js[0]["bearer"] is None'
run --db "$DB" events --node "$DEV"
check_run "events (table): RSSI, SNR and GATEWAY columns" \
    eval 'rc_is 0 && stdout_has "RSSI  *SNR  *GATEWAY" && stdout_has " -97  *7\.5  *AA555A0000000001  *human" &&
          stdout_has "health  *-  *-  *127\.0\.0\.1:40000"'
sql "UPDATE frames SET bearer = 'lora', gateway = 'AA555A00000000FF', rssi = -121, snr = -12.5,
       freq_hz = 868300000, datr = 'SF12BW125' WHERE id = 4"
run --db "$DB" node show "$DEV2" --json
check_run "node show --json: last_rx, the reception of the newest frame" \
    jsonl 'N == 1 and j["last_rx"]["gateway"] == "AA555A00000000FF" and j["last_rx"]["rssi"] == -121 and j["last_rx"]["snr"] == -12.5 and j["last_rx"]["bearer"] == "lora" and ms.match(j["last_rx"]["time"])'
run --db "$DB" node show "$DEV2"
check_run "node show: a last rx line with gateway, RSSI and SNR" \
    eval 'rc_is 0 && stdout_has "^last rx .* lora gateway AA555A00000000FF rssi -121 dBm snr -12\.5 dB 868\.300 MHz SF12BW125$"'
run --db "$DB" node add 26011F0B
run --db "$DB" node show 26011F0B --json
check_run "node show --json before any frame: last_rx is null" jsonl 'N == 1 and j["last_rx"] is None'
run --db "$DB" node remove 26011F0B
sql "UPDATE frames SET bearer = NULL, gateway = NULL, rssi = NULL, snr = NULL, freq_hz = NULL,
       datr = NULL WHERE id = 4"

run --db "$DB" events --class zebra
check_run "events --class with an unknown name: exit 2" eval 'rc_is 2 && stderr_has "unknown class"'
run --db "$DB" events --since 5x
check_run "events --since 5x: exit 2" eval 'rc_is 2 && stderr_has "not a duration"'

run --db "$DB" stats
check_run "stats: counts by reason and bearer, with totals" \
    eval 'rc_is 0 && stdout_has "^accepted  *3  *2  *5$" && stdout_has "^bad_mic  *0  *4  *4$"'
run --db "$DB" stats --json
check_run "stats --json: counts per bearer" \
    jsonl 'js[0]["accepted"] == 3 and js[1]["accepted"] == 2 and js[1]["bad_mic"] == 4 and js[0]["bad_mic"] == 0'

# --- -c FILE: the database is the config's [storage] path, classes from the config -----------
printf '[storage]\npath = %s\n\n[class.zebra]\nid = 2\n' "$DB" >"$conf"
run -c "$conf" events --class zebra --json
check_run "-c FILE: the [storage] path and the config's class names" \
    jsonl 'N == 1 and j["class"] == "zebra" and j["devaddr"] == "26011F01"'
printf '[storage]\npath = %s/none.db\n' "$tmp" >"$tmp/other.conf"
run -c "$tmp/other.conf" node list
check_run "-c FILE naming a missing database: exit 1, nothing created" \
    eval 'rc_is 1 && stderr_has "no database" && [ ! -e "$tmp/none.db" ]'

# --- zones: a name the config does not define is refused; node edit ---------------------------
zc="$tmp/zones.conf"
printf '%s\n' "[storage]" "path = $DB" "[zone.village]" "lat = -2.65" "lon = 37.26" \
    "radius_m = 1500" "[zone.railway]" "lat = -2.64" "lon = 37.2" "radius_m = 100" >"$zc"
nodes_before=$(sql 'SELECT count(*) FROM nodes')
run -c "$zc" node add 26011F0C --zone vilage
check_run "node add --zone with a typo: exit 2, the message lists the config's zones" \
    eval 'rc_is 2 && stderr_has "--zone .vilage.: .*zones.conf defines no such zone; its zones: village, railway" &&
          stdout_empty && [ "$(sql "SELECT count(*) FROM nodes")" -eq "$nodes_before" ]'
printf '%s\n' "[storage]" "path = $tmp/new.db" "[zone.village]" "lat = 0" "lon = 0" "radius_m = 1" \
    >"$tmp/new.conf"
run -c "$tmp/new.conf" node add 26011F0C --zone railway
check_run "...also before a first database: none is created" \
    eval 'rc_is 2 && stderr_has "its zones: village$" && [ ! -e "$tmp/new.db" ]'
run -c "$tmp/new.conf" provision --board mps2-an386 --profile elephant --lat 0 --lon 0 \
    --out "$tmp/prov" --devaddr 26011F0C --zone railway
check_run "provision --zone with a zone the config lacks: exit 2, nothing created" \
    eval 'rc_is 2 && stderr_has "defines no such zone" && [ ! -e "$tmp/new.db" ] && [ ! -e "$tmp/prov/nodefw.bin" ]'
run -c "$zc" node add 26011F0C --zone railway
check_run "node add --zone with a zone of the config: added" eval 'rc_is 0'
run --db "$DB" node remove 26011F0C

keys_before=$(sql "SELECT hex(nwkskey) || hex(appskey) || last_fcnt FROM nodes WHERE devaddr = $DEV_NUM")
events_before=$(sql "SELECT count(*) FROM events WHERE devaddr = $DEV_NUM")
run -c "$zc" node edit "$DEV" --zone vilage
check_run "node edit --zone with a typo: exit 2, the node unchanged" \
    eval 'rc_is 2 && stderr_has "its zones: village, railway" && [ "$(sql "SELECT zone FROM nodes WHERE devaddr = $DEV_NUM")" = village ]'
run -c "$zc" node edit "$DEV" --zone railway --name "waterhole west" --lat -2.64 --lon 37.21
check_run "node edit: zone, name and position changed" \
    eval 'rc_is 0 && stdout_has "node $DEV changed" && stdout_has "^zone  *railway$" &&
          [ "$(sql "SELECT zone || \"|\" || name || \"|\" || lat || \"|\" || lon || \"|\" || profile FROM nodes WHERE devaddr = $DEV_NUM")" = "railway|waterhole west|-2.64|37.21|elephant" ]'
check_run "...keys, counter and events stay (node remove would delete the events)" \
    eval '[ "$(sql "SELECT hex(nwkskey) || hex(appskey) || last_fcnt FROM nodes WHERE devaddr = $DEV_NUM")" = "$keys_before" ] &&
          [ "$(sql "SELECT count(*) FROM events WHERE devaddr = $DEV_NUM")" -eq "$events_before" ] && no_key_printed'
run --db "$DB" node edit "$DEV" --zone "" --profile whale --json
check_run "node edit --db --zone '' --json: zone cleared (no config, nothing to check)" \
    jsonl 'N == 1 and j["zone"] == "" and j["profile"] == "whale" and j["name"] == "waterhole west" and "nwkskey" not in j'
run --db "$DB" node edit "$DEV"
check_run "node edit without a change: exit 2" eval 'rc_is 2 && stderr_has "nothing to change"'
run --db "$DB" node edit "$DEV" --lat 10
check_run "node edit --lat without --lon: exit 2" eval 'rc_is 2 && stderr_has "--lat and --lon"'
run --db "$DB" node edit 26011F0D --name x
check_run "node edit of an unknown node: exit 1" eval 'rc_is 1 && stderr_has "no node 26011F0D"'
run --db "$DB" node edit "$DEV" --nwkskey "$NK"
check_run "node edit does not take keys: exit 2" eval 'rc_is 2 && stderr_has "unknown option"'

# --- the daemon holds the write lock: reads go on, a write waits for it --------------------------
printf 'BEGIN IMMEDIATE;\nUPDATE nodes SET battery_mv = 3000 WHERE devaddr = %s;\n.shell sleep 2\nCOMMIT;\n' \
    "$DEV_NUM" | sqlite3 -batch "$DB" >/dev/null 2>&1 &
locker=$!
sleep 0.5
run --db "$DB" node list --json
check_run "node list while another process holds the write lock: exit 0, committed data" \
    jsonl 'N == 2 and j["battery_mv"] is None'
run --db "$DB" node add 26011F03
check_run "node add while another process holds the write lock: waits, then succeeds" \
    eval 'rc_is 0 && [ "$(sql "SELECT battery_mv FROM nodes WHERE devaddr = $DEV_NUM")" -eq 3000 ]'
wait "$locker"

# --- remove ------------------------------------------------------------------------------------
run --db "$DB" node remove "$DEV"
check_run "node remove: exit 0" eval 'rc_is 0 && stdout_has "removed"'
run --db "$DB" node show "$DEV"
check_run "node show after remove: exit 1" eval 'rc_is 1 && stderr_has "no node $DEV"'
run --db "$DB" node remove "$DEV"
check_run "node remove again: exit 1" eval 'rc_is 1 && stderr_has "no node $DEV"'
run --db "$DB" events --json
check_run "its frames and events went with it; other nodes' stay" \
    eval 'jsonl "N == 1 and j[\"devaddr\"] == \"26011F01\"" && [ "$(sql "SELECT count(*) FROM frames")" -eq 1 ] && [ "$(sql "SELECT count(*) FROM receptions")" -eq 0 ]'

# --- a database newer than this binary ---------------------------------------------------------
latest=$(sql 'PRAGMA user_version')
sql "PRAGMA user_version = $((latest + 1))"
run --db "$DB" node list
check_run "a database of a newer schema: exit 1, the message names both versions" \
    eval 'rc_is 1 && stderr_has "version $((latest + 1))" && stderr_has "($latest)"'

finish
