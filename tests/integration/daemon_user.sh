#!/bin/sh
# SPDX-License-Identifier: MIT
# Who tinyfleetd runs as, and a database it cannot write: started as another user (setpriv)
# on a database root created, it refuses to start with one line naming the file, its owner
# and the user it needs, instead of answering 5.03 for ever; started as root with
# [gateway] user, it opens the database as that user, drops root after binding and still
# stores a frame; a user that does not exist is refused. And the CLI, run as root with a
# config naming the user, creates the database owned by that user.
# Needs root (CI runs as root); otherwise it says so and checks nothing.
# Run from the repository root: BUILD=/abs/build sh tests/integration/daemon_user.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=daemon_user
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

if [ "$(id -u)" -ne 0 ]; then
    echo "$NAME: not root: skipped"
    finish
fi
USER_NAME=nobody
USER_ID=$(id -u "$USER_NAME")
GROUP_ID=$(id -g "$USER_NAME")
AS_USER="setpriv --reuid=$USER_ID --regid=$GROUP_ID --clear-groups"
# The user must reach the directories below $tmp (mktemp -d makes it 0700).
chmod 0711 "$tmp"
free_ports COAP_PORT

# start_as LOG [RUNNER...]: the daemon with $conf in the background, its pid in $dpid.
start_as() {
    l=$1
    shift
    "$@" "$D" -c "$conf" 2>"$l" &
    dpid=$!
}

# refused LOG: the daemon ($dpid) exited 1 without listening.
refused() {
    wait_exit "$dpid" 10
    dpid=""
    [ "$rc" = 1 ] && ! grep -q listening "$1"
}

# --- README's order: the service user's directory, `node add` as root, then the daemon -------
# The directory is the user's (as tmpfiles makes /var/lib/tinyfleet), the database root's.
mkdir "$tmp/svc" && chown "$USER_NAME" "$tmp/svc"
db="$tmp/svc/tinyfleet.db"
"$T" --db "$db" node add "$DEV" --nwkskey "$NK" --appskey "$AK" >"$tmp/out" 2>&1
write_conf "$conf" user-test "$db" "127.0.0.1:$COAP_PORT" ""
# shellcheck disable=SC2086 # $AS_USER is a command and its options
start_as "$tmp/d1.log" $AS_USER
check "as $USER_NAME on a database root owns: exit 1, no READY" "$tmp/d1.log" refused "$tmp/d1.log"
check "...one line naming the file, its owner and the user it needs" "$tmp/d1.log" \
    eval '[ "$(grep -c . "$tmp/d1.log")" -eq 1 ] &&
          grep -qF "the file $db is owned by root:root" "$tmp/d1.log" &&
          grep -qF "runs as $USER_NAME: it must be writable by $USER_NAME" "$tmp/d1.log"'

# The same database, the daemon started as root with [gateway] user: the same refusal.
write_conf "$conf" user-test "$db" "127.0.0.1:$COAP_PORT" ""
sed -i "s/^\[gateway\]$/[gateway]\nuser = $USER_NAME/" "$conf"
start_as "$tmp/d2.log"
check "as root with user = $USER_NAME on a database root owns: refused the same way" \
    "$tmp/d2.log" eval 'refused "$tmp/d2.log" && grep -qF "the file $db is owned by root" "$tmp/d2.log"'

# A directory the user cannot write: SQLite could not create the -wal file there.
mkdir "$tmp/rootdir"
rdb="$tmp/rootdir/tinyfleet.db"
write_conf "$conf" user-test "$rdb" "127.0.0.1:$COAP_PORT" ""
# shellcheck disable=SC2086 # $AS_USER is a command and its options
start_as "$tmp/d3.log" $AS_USER
check "as $USER_NAME with the database's directory root's: refused, naming the directory" \
    "$tmp/d3.log" eval 'refused "$tmp/d3.log" && grep -qF "the directory $tmp/rootdir is owned by root" "$tmp/d3.log" && [ ! -e "$rdb" ]'

# --- the CLI as root, with a config naming the user: the database is the user's ------------------
mkdir "$tmp/svc2"
db="$tmp/svc2/tinyfleet.db"
write_conf "$conf" user-test "$db" "127.0.0.1:$COAP_PORT" ""
sed -i "s/^\[gateway\]$/[gateway]\nuser = $USER_NAME/" "$conf"
run -c "$conf" node add "$DEV" --nwkskey "$NK" --appskey "$AK"
check_run "node add as root, [gateway] user set: the new database and its directory are the user's" \
    eval 'rc_is 0 && [ "$(stat -c %u:%g "$db")" = "$USER_ID:$GROUP_ID" ] &&
          [ "$(stat -c %u "$tmp/svc2")" = "$USER_ID" ] && stderr_has "gave it and $tmp/svc2 to $USER_NAME"'

# --- started as root with [gateway] user: drops to it and still stores a frame -----------------
start_as "$tmp/d4.log"
check "as root with user = $USER_NAME: starts, says whom it runs as" "$tmp/d4.log" \
    eval 'wait_for "$tmp/d4.log" listening 10 && grep -qF "running as user $USER_NAME (uid $USER_ID, gid $GROUP_ID)" "$tmp/d4.log"'
status_ids() {
    [ "$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$dpid/status")" = "$USER_ID $USER_ID $USER_ID $USER_ID" ] &&
        [ "$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$dpid/status")" = "$GROUP_ID $GROUP_ID $GROUP_ID $GROUP_ID" ] &&
        [ "$(awk '/^Groups:/ {print $2}' "/proc/$dpid/status")" = "$GROUP_ID" ]
}
check "/proc/PID/status: real, effective, saved and fs ids are the user's, no root group" \
    "/proc/$dpid/status" status_ids
encode_frame 1 1 2101C80A00050C >"$tmp/f.hex"
python3 -c 'import sys
open(sys.argv[2], "wb").write(bytes.fromhex(open(sys.argv[1]).read()))' "$tmp/f.hex" "$tmp/f.bin"
coap-client-notls -m post -t 42 -f "$tmp/f.bin" -v 7 -B 10 "coap://127.0.0.1:$COAP_PORT/up" \
    >"$tmp/post.log" 2>&1
check "...a frame posted after the drop is acknowledged (2.04) and stored" "$tmp/post.log" \
    eval 'grep -qE "c:2\.04" "$tmp/post.log" && [ "$("$T" --db "$db" events --json | wc -l)" -eq 1 ]'
check "...the files SQLite created are the user's" "" \
    eval '[ -z "$(find "$tmp/svc2" ! -user "$USER_NAME")" ]'
stop_daemon TERM 10
check "...SIGTERM: exit 0" "$tmp/d4.log" [ "$rc" = 0 ]

# --- a user that does not exist ----------------------------------------------------------------
sed -i "s/^user = .*/user = tinyfleet-no-such-user/" "$conf"
start_as "$tmp/d5.log"
check "user = a name this system lacks: refused with one line naming it" "$tmp/d5.log" \
    eval 'refused "$tmp/d5.log" && [ "$(grep -c . "$tmp/d5.log")" -eq 1 ] &&
          grep -qF "[gateway] user: no user '"'"'tinyfleet-no-such-user'"'"'" "$tmp/d5.log"'

finish
