#!/bin/sh
# SPDX-License-Identifier: MIT
# `tinyfleet node command` and `tinyfleet commands` on a real database file: each command
# queued prints its id and is stored with its FPort 10 payload (proto/SPEC.md section 9,
# sequence number = the id's low 16 bits); bad names, keys, values and nodes are refused with
# exit 2 or 1 and queue nothing; the list and its JSON show what was queued.
# Run from the repository root: BUILD=/abs/build sh tests/integration/cli_command.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=cli_command
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

DB="$tmp/gw.db"
sql() { sqlite3 -batch "$DB" "$@"; }
queued() { sql "SELECT count(*) FROM commands"; }

run --db "$DB" node command "$DEV" health-now
check_run "node command on a missing database: exit 1, creates nothing" \
    eval 'rc_is 1 && [ ! -e "$DB" ]'

run --db "$DB" node add "$DEV" --nwkskey "$NK" --appskey "$AK"

# Each command with its keys; the payload bytes as SPEC.md section 9.1 spells them out,
# with the id as the sequence number (little-endian).
# want ID HEX-AFTER-SEQ: payload of command ID is 01 | ID (u16 LE) | HEX.
want_payload() {
    [ "$(sql "SELECT hex(payload) FROM commands WHERE id = $1")" = "01$(printf '%02X%02X' $(($1 & 255)) $(($1 >> 8)))$2" ]
}
n=0
for c in "health-now|06" "reboot|07" "learn-restart|05" "interval seconds=900|0184030000" \
    "health-interval seconds=0|0200000000" "threshold class=elephant conf=0.8|0301CC" \
    "duty permille=500 dr=5|04F40105"; do
    words=${c%|*}
    hex=${c#*|}
    n=$((n + 1))
    # shellcheck disable=SC2086 # the command's words are meant to split
    run --db "$DB" node command "$DEV" $words
    check_run "node command $words: exit 0, prints id $n" \
        eval 'rc_is 0 && [ "$(cat "$tmp/out")" = "$n" ]'
    check "node command $words: payload as SPEC.md 9.1" /dev/null want_payload "$n" "$hex"
done

# Refusals: nothing is queued.
for bad in "bogus" "interval" "interval seconds=59" "interval seconds=86401" "interval sec=900" \
    "health-interval seconds=30" "threshold class=elephant" "threshold class=nosuch conf=0.5" \
    "threshold class=elephant conf=1.5" "duty permille=0 dr=1" "duty permille=10 dr=6" \
    "reboot now=1" "interval seconds=9x"; do
    # shellcheck disable=SC2086
    run --db "$DB" node command "$DEV" $bad
    check_run "node command $bad: exit 2, queues nothing" \
        eval 'rc_is 2 && stdout_empty && [ "$(queued)" -eq 7 ]'
done
run --db "$DB" node command 26011F01 reboot
check_run "node command for an unknown node: exit 1, says so" \
    eval 'rc_is 1 && stderr_has "no node 26011F01" && [ "$(queued)" -eq 7 ]'
run --db "$DB" node command 26011F0 reboot
check_run "node command with a bad DEVADDR: exit 2" eval 'rc_is 2'
run --db "$DB" node command --ttl 0 "$DEV" reboot
check_run "node command --ttl 0: exit 2" eval 'rc_is 2 && [ "$(queued)" -eq 7 ]'
run --db "$DB" node command --ttl 60 "$DEV" reboot
check_run "node command --ttl 60: expires 60 s after it was created" \
    eval 'rc_is 0 && [ "$(sql "SELECT expires_ms - created_ms FROM commands WHERE id = 8")" = 60000 ]'

# The list.
run --db "$DB" commands
check_run "commands: a header and 8 rows, all queued" \
    eval 'rc_is 0 && [ "$(grep -c " queued " "$tmp/out")" -eq 8 ] && stdout_has "threshold"'
run --db "$DB" commands --json --node "$DEV"
check_run "commands --json: 8 objects in id order with their state and sequence number" \
    jsonl 'N == 8 and [x["id"] for x in js] == list(range(1, 9)) and
           all(x["state"] == "queued" and x["seq"] == x["id"] and x["devaddr"] == "26011F00"
               and x["tries"] == 0 and x["status"] == "" and ms.match(x["created"]) for x in js)
           and js[5]["command"] == "threshold"'
run --db "$DB" commands --node 26011F01
check_run "commands --node of a node without any: (no commands)" \
    eval 'rc_is 0 && stdout_has "(no commands)"'
run --db "$DB" commands extra
check_run "commands with an operand: exit 2" eval 'rc_is 2'

# With -c naming a config with a broker: "queued" goes to the outbox in the same transaction,
# retained, on <prefix>/node/<DEVADDR>/command/<id>; without a broker (or with --db) nothing.
outbox() { sql "SELECT count(*) FROM outbox"; }
printf '[storage]\npath = %s\n[mqtt]\nhost = 127.0.0.1\nprefix = tf/x\n' "$DB" >"$tmp/mq.conf"
run -c "$tmp/mq.conf" node command "$DEV" learn-restart
# shellcheck disable=SC2034 # read by the eval of the next check
id=$(cat "$tmp/out")
check_run "node command with a broker in the config: the queued state in the outbox, retained" \
    eval 'rc_is 0 && [ "$(outbox)" -eq 1 ] &&
          [ "$(sql "SELECT topic, retain FROM outbox")" = "tf/x/node/26011F00/command/$id|1" ] &&
          sql "SELECT CAST(payload AS TEXT) FROM outbox" | python3 -c "import json, sys
j = json.load(sys.stdin)
sys.exit(0 if j[\"state\"] == \"queued\" and j[\"command\"] == \"learn-restart\" and
         j[\"id\"] == $id and j[\"tries\"] == 0 else 1)"'
printf '[storage]\npath = %s\n' "$DB" >"$tmp/nomq.conf"
run -c "$tmp/nomq.conf" node command "$DEV" learn-restart
check_run "...without a broker in the config: no outbox row" eval 'rc_is 0 && [ "$(outbox)" -eq 1 ]'
run --db "$DB" node remove "$DEV"
check_run "node remove takes its commands along" eval '[ "$(queued)" -eq 0 ]'

finish
