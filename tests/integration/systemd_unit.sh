#!/bin/sh
# SPDX-License-Identifier: MIT
# `make install` and what it puts on a gateway, checked without a running systemd (CI runs in
# a container): tools/install.sh into a DESTDIR for PREFIX=/usr and /usr/local, and `make
# install` once for another PREFIX; the files, their modes and the unit's ExecStart=; a second
# run keeps the operator's config; the sysusers and tmpfiles snippets applied to the DESTDIR
# with --root; `systemd-analyze verify` on the installed unit (its binary and man pages taken
# from the DESTDIR); `systemd-analyze security --offline=true` exposure at most 2.0; every man
# page free of groff warnings and naming every option of its program's --help; the installed
# example config passes `tinyfleetd --check`; and the daemon, run under strace as the unit
# would run it, uses only system calls, socket families and files the unit allows.
# Run from the repository root: BUILD=/abs/build sh tests/integration/systemd_unit.sh

# shellcheck disable=SC2317,SC2016,SC2034 # checks are eval'd single-quoted strings: their helpers
# and variables are used where shellcheck does not look
set -u

NAME=systemd_unit
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

MAX_EXPOSURE=2.0

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        nok "$tool is missing: install the Debian package systemd (tools/deps.sh)"
        finish
    fi
done
for tool in groff man gzip; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        nok "$tool is missing: install the Debian packages groff-base and man-db (tools/deps.sh)"
        finish
    fi
done

root="$tmp/root"     # PREFIX=/usr, as a distribution package
local="$tmp/local"   # PREFIX=/usr/local, the default
unit="$root/lib/systemd/system/tinyfleetd.service"

# --- install into a DESTDIR -------------------------------------------------------------------
sh tools/install.sh "$BUILD" "$root" /usr >"$tmp/install1" 2>&1
rc=$?
check "install.sh BUILD DESTDIR /usr: exit 0" "$tmp/install1" [ "$rc" -eq 0 ]

# mode_is MODE FILE: FILE exists with this octal mode.
mode_is() { [ -f "$2" ] && [ "$(stat -c %a "$2")" = "$1" ]; }

all_there() {
    for f in usr/sbin/tinyfleetd usr/bin/tinyfleet usr/bin/tinyfleet-node; do
        mode_is 755 "$root/$f" || return 1
    done
    if [ -x "$BUILD/tinyfleet-train" ]; then
        mode_is 755 "$root/usr/bin/tinyfleet-train" || return 1
    fi
    for f in lib/systemd/system/tinyfleetd.service usr/lib/sysusers.d/tinyfleet.conf \
        usr/lib/tmpfiles.d/tinyfleet.conf usr/share/man/man8/tinyfleetd.8.gz \
        usr/share/man/man1/tinyfleet.1.gz usr/share/man/man1/tinyfleet-node.1.gz \
        usr/share/man/man5/tinyfleetd.conf.5.gz; do
        mode_is 644 "$root/$f" || return 1
    done
    mode_is 640 "$root/etc/tinyfleet/tinyfleetd.conf"
}
check "binaries 0755, unit, snippets and gzipped man pages 0644, config 0640" \
    "$tmp/install1" all_there
check "every installed file is named in install.sh's output" "$tmp/install1" \
    eval '[ "$(find "$root" -type f | wc -l)" -eq "$(grep -c "^install: /" "$tmp/install1")" ]'
check "the installed programs are the built ones" "" \
    cmp -s "$BUILD/tinyfleetd" "$root/usr/sbin/tinyfleetd"
check "the example config is config/tinyfleetd.conf" "" \
    cmp -s config/tinyfleetd.conf "$root/etc/tinyfleet/tinyfleetd.conf"
check "ExecStart= names \$PREFIX/sbin/tinyfleetd with the default config" "$unit" \
    grep -qx 'ExecStart=/usr/sbin/tinyfleetd -c /etc/tinyfleet/tinyfleetd.conf' "$unit"
check "no path of another PREFIX is left in the unit" "$unit" \
    eval '! grep -q /usr/local "$unit"'

# unit_has LINE...: each line appears as is in the installed unit.
unit_has() {
    for l in "$@"; do
        grep -qxF -- "$l" "$unit" || return 1
    done
}
check "Type=notify, watchdog, restart, reload by SIGHUP, user tinyfleet, its directories" \
    "$unit" unit_has Type=notify NotifyAccess=main WatchdogSec=30s Restart=on-failure \
    'ExecReload=kill -HUP $MAINPID' User=tinyfleet StateDirectory=tinyfleet \
    ConfigurationDirectory=tinyfleet
check "the hardening directives, each set once" "$unit" \
    eval 'unit_has ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
        NoNewPrivileges=yes SystemCallFilter=@system-service MemoryDenyWriteExecute=yes \
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" PrivateUsers=yes UMask=0077 &&
        [ -z "$(sed -n "s/=.*//p" "$unit" | grep -E "^(Protect|Private|Restrict|NoNew|Memory)" |
            sort | uniq -d)" ]'
check "no DynamicUser=, no capability, no IP address filter" "$unit" \
    eval '! grep -qE "^(DynamicUser=yes|IPAddress(Deny|Allow)=)" "$unit" &&
          grep -qx "CapabilityBoundingSet=" "$unit"'

# --- a second run: same files, the operator's config kept -----------------------------------
echo "; the operator's own line" >>"$root/etc/tinyfleet/tinyfleetd.conf"
(cd "$root" && find . -type f ! -path ./etc/tinyfleet/tinyfleetd.conf -exec md5sum {} + |
    sort -k2) >"$tmp/sums1"
sh tools/install.sh "$BUILD" "$root" /usr >"$tmp/install2" 2>&1
rc=$?
(cd "$root" && find . -type f ! -path ./etc/tinyfleet/tinyfleetd.conf -exec md5sum {} + |
    sort -k2) >"$tmp/sums2"
check "second run: exit 0, says the config was kept" "$tmp/install2" \
    eval '[ "$rc" -eq 0 ] && grep -q "tinyfleetd.conf exists, kept" "$tmp/install2"'
check "second run: the operator's config is untouched" "" \
    grep -q "the operator's own line" "$root/etc/tinyfleet/tinyfleetd.conf"
check "second run: every other file identical (gzip -n: no time stamps)" "$tmp/sums2" \
    cmp -s "$tmp/sums1" "$tmp/sums2"

# --- PREFIX=/usr/local: systemd's directories for the administrator's files ------------------
sh tools/install.sh "$BUILD" "$local" /usr/local >"$tmp/install3" 2>&1
rc=$?
lunit="$local/usr/local/lib/systemd/system/tinyfleetd.service"
check "PREFIX=/usr/local: unit, snippets and man pages under /usr/local, nothing in /usr/lib" \
    "$tmp/install3" eval '[ "$rc" -eq 0 ] && [ -x "$local/usr/local/sbin/tinyfleetd" ] &&
        [ -f "$local/usr/local/lib/sysusers.d/tinyfleet.conf" ] &&
        [ -f "$local/usr/local/lib/tmpfiles.d/tinyfleet.conf" ] &&
        [ -f "$local/usr/local/share/man/man8/tinyfleetd.8.gz" ] &&
        [ ! -e "$local/usr/lib" ] && [ ! -e "$local/lib" ]'
check "PREFIX=/usr/local: ExecStart=/usr/local/sbin/tinyfleetd" "$lunit" \
    grep -qx 'ExecStart=/usr/local/sbin/tinyfleetd -c /etc/tinyfleet/tinyfleetd.conf' "$lunit"

# --- make install with another PREFIX ---------------------------------------------------------
# `-o all`: the programs are built already (make integration depends on all); rebuild nothing
# in the middle of a test run, just go through the Makefile's install rule.
if [ "$BUILD" = "$(pwd)/build" ]; then
    make --no-print-directory -s -o all install DESTDIR="$tmp/opt" PREFIX=/opt/tinyfleet \
        >"$tmp/install4" 2>&1
    rc=$?
    ounit="$tmp/opt/lib/systemd/system/tinyfleetd.service"
    check "make install DESTDIR PREFIX=/opt/tinyfleet: binaries there, unit where systemd looks" \
        "$tmp/install4" eval '[ "$rc" -eq 0 ] && [ -x "$tmp/opt/opt/tinyfleet/sbin/tinyfleetd" ] &&
            grep -qx "ExecStart=/opt/tinyfleet/sbin/tinyfleetd -c /etc/tinyfleet/tinyfleetd.conf" \
                "$ounit"'
else
    echo "skip - make install: BUILD is not this checkout's build/"
fi

# --- the example config as installed ---------------------------------------------------------
# Its database directory, /var/lib/tinyfleet, is made by tmpfiles.d on a real install; --check
# wants it to exist, so the copy checked here points into the temp directory.
sed "s|^path = /var/lib/tinyfleet/|path = $tmp/|" "$root/etc/tinyfleet/tinyfleetd.conf" \
    >"$tmp/installed.conf"
"$root/usr/sbin/tinyfleetd" -c "$tmp/installed.conf" --check >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "tinyfleetd --check on the installed example config: config ok" \
    eval 'rc_is 0 && stdout_has "^config ok$"'

# --- sysusers and tmpfiles, applied to the DESTDIR ----------------------------------------------
systemd-sysusers --root="$root" "$root/usr/lib/sysusers.d/tinyfleet.conf" >"$tmp/sysusers" 2>&1
rc=$?
check "systemd-sysusers --root: system user and group tinyfleet, home /var/lib/tinyfleet" \
    "$tmp/sysusers" eval '[ "$rc" -eq 0 ] &&
        grep -qE "^tinyfleet:x:[0-9]+:[0-9]+:[^:]*:/var/lib/tinyfleet:/usr/sbin/nologin$" \
            "$root/etc/passwd" && grep -q "^tinyfleet:" "$root/etc/group"'
if [ "$(id -u)" -eq 0 ]; then
    uid=$(awk -F: '$1 == "tinyfleet" { print $3 }' "$root/etc/passwd")
    gid=$(awk -F: '$1 == "tinyfleet" { print $3 }' "$root/etc/group")
    systemd-tmpfiles --root="$root" --create "$root/usr/lib/tmpfiles.d/tinyfleet.conf" \
        >"$tmp/tmpfiles" 2>&1
    rc=$?
    # owner_is PATH MODE UID GID
    owner_is() { [ "$(stat -c '%a %u %g' "$1")" = "$2 $3 $4" ]; }
    check "systemd-tmpfiles --root --create: /var/lib/tinyfleet 0750 tinyfleet" \
        "$tmp/tmpfiles" \
        eval '[ "$rc" -eq 0 ] && owner_is "$root/var/lib/tinyfleet" 750 "$uid" "$gid"'
    check "systemd-tmpfiles: /etc/tinyfleet 0750 and its config 0640, root:tinyfleet" \
        "$tmp/tmpfiles" eval 'owner_is "$root/etc/tinyfleet" 750 0 "$gid" &&
            owner_is "$root/etc/tinyfleet/tinyfleetd.conf" 640 0 "$gid"'
else
    echo "skip - systemd-tmpfiles --root: owners can be set only as root"
fi

# --- systemd-analyze verify ---------------------------------------------------------------------
# verify loads the unit as systemd would and checks that ExecStart='s program exists and that
# Documentation= man pages open. Both live in the DESTDIR, not on this machine: verify a copy
# whose ExecStart= points into it, with MANPATH on the installed pages. (--root= would also
# need the host's targets and kill(1) inside the root.) The copy differs only in that path.
mkdir -p "$tmp/verify"
sed "s|=/usr/sbin/tinyfleetd|=$root/usr/sbin/tinyfleetd|" "$unit" >"$tmp/verify/tinyfleetd.service"
MANPATH="$root/usr/share/man" systemd-analyze verify "$tmp/verify/tinyfleetd.service" \
    >"$tmp/verify.out" 2>&1
rc=$?
check "systemd-analyze verify: exit 0 and not one warning" "$tmp/verify.out" \
    eval '[ "$rc" -eq 0 ] && [ ! -s "$tmp/verify.out" ]'
# It must be able to fail: a unit without its program is an error.
sed "s|=/usr/sbin/tinyfleetd|=$tmp/nowhere/tinyfleetd|" "$unit" >"$tmp/verify/tinyfleetd.service"
MANPATH="$root/usr/share/man" systemd-analyze verify "$tmp/verify/tinyfleetd.service" \
    >"$tmp/verify.bad" 2>&1
rc=$?
check "systemd-analyze verify fails when ExecStart='s program is missing" "$tmp/verify.bad" \
    eval '[ "$rc" -ne 0 ] && grep -q "is not executable" "$tmp/verify.bad"'

# --- systemd-analyze security ---------------------------------------------------------------------
systemd-analyze security --offline=true "$unit" >"$tmp/security" 2>&1
rc=$?
exposure=$(sed -n 's/.*Overall exposure level for tinyfleetd.service: \([0-9.]*\).*/\1/p' \
    "$tmp/security")
echo "info - systemd-analyze security --offline=true: exposure ${exposure:-?}," \
    "at most $MAX_EXPOSURE"
check "systemd-analyze security: exposure ${exposure:-?} <= $MAX_EXPOSURE" "$tmp/security" \
    eval '[ "$rc" -eq 0 ] && [ -n "$exposure" ] &&
        awk -v e="$exposure" -v m="$MAX_EXPOSURE" "BEGIN { exit !(e <= m) }"'

# tinyfleet-web's unit: verified the same way, and as tightly confined.
wunit="$root/lib/systemd/system/tinyfleet-web.service"
sed "s|=/usr/bin/tinyfleet-web|=$root/usr/bin/tinyfleet-web|" "$wunit" \
    >"$tmp/verify/tinyfleet-web.service"
MANPATH="$root/usr/share/man" systemd-analyze verify "$tmp/verify/tinyfleet-web.service" \
    >"$tmp/verify.web" 2>&1
rc=$?
check "tinyfleet-web.service: systemd-analyze verify, exit 0 and not one warning" \
    "$tmp/verify.web" eval '[ "$rc" -eq 0 ] && [ ! -s "$tmp/verify.web" ]'
systemd-analyze security --offline=true "$wunit" >"$tmp/security.web" 2>&1
rc=$?
exposure=$(sed -n 's/.*Overall exposure level for tinyfleet-web.service: \([0-9.]*\).*/\1/p' \
    "$tmp/security.web")
echo "info - tinyfleet-web.service: exposure ${exposure:-?}, at most $MAX_EXPOSURE"
check "tinyfleet-web.service: exposure ${exposure:-?} <= $MAX_EXPOSURE" "$tmp/security.web" \
    eval '[ "$rc" -eq 0 ] && [ -n "$exposure" ] &&
        awk -v e="$exposure" -v m="$MAX_EXPOSURE" "BEGIN { exit !(e <= m) }"'

# --- man pages ----------------------------------------------------------------------------------
# man_clean FILE: groff with every warning on prints nothing to stderr, nor does man(1) on the
# installed, gzipped page.
man_clean() {
    groff -man -Tutf8 -ww -z "$1" >"$tmp/groff" 2>&1 && [ ! -s "$tmp/groff" ]
}
for src in man/*.[0-9]; do
    page=$(basename "$src")
    gz="$root/usr/share/man/man${page##*.}/$page.gz"
    check "man/$page: groff -man -ww without a warning" "$tmp/groff" man_clean "$src"
    MAN_KEEP_STDERR=1 MANWIDTH=100 man --warnings -l "$gz" >"$tmp/man.out" 2>"$tmp/man.err"
    rc=$?
    check "$page.gz: man -l renders it without a warning" "$tmp/man.err" \
        eval '[ "$rc" -eq 0 ] && [ -s "$tmp/man.out" ] && [ ! -s "$tmp/man.err" ]'
done

# sections_of PAGE SECTION...: the page has each .SH SECTION.
sections_of() {
    page=$1
    shift
    for s in "$@"; do
        grep -qx ".SH $s" "man/$page" || {
            echo "man/$page: no section $s" >"$tmp/sections"
            return 1
        }
    done
}
for page in tinyfleetd.8 tinyfleet.1 tinyfleet-node.1 tinyfleet-train.1 tinyfleet-web.1; do
    extra=""
    [ "$page" = tinyfleetd.8 ] && extra=SIGNALS
    # shellcheck disable=SC2086 # $extra is one word or none
    check "man/$page: NAME, SYNOPSIS, ... EXAMPLES, SEE ALSO${extra:+, $extra}" \
        "$tmp/sections" sections_of "$page" NAME SYNOPSIS DESCRIPTION OPTIONS FILES \
        'EXIT STATUS' EXAMPLES 'SEE ALSO' $extra
done

# options_documented PAGE HELP-FILE: every --option of the help text is in the page.
options_documented() {
    missing=""
    # shellcheck disable=SC2013 # the options are words
    for o in $(grep -oE -- '--[a-z][a-z0-9-]*' "$2" | sort -u); do
        grep -qF -- "$(echo "$o" | sed 's/-/\\-/g')" "man/$1" || missing="$missing $o"
    done
    echo "missing in man/$1:$missing" >"$tmp/missing"
    [ -z "$missing" ]
}
"$BUILD/tinyfleetd" --help >"$tmp/help.d" 2>&1
check "man/tinyfleetd.8 names every option of tinyfleetd --help" "$tmp/missing" \
    options_documented tinyfleetd.8 "$tmp/help.d"
"$BUILD/tinyfleet" --help >"$tmp/help.cli" 2>&1
for verb in node events alerts stats frame; do
    "$BUILD/tinyfleet" "$verb" --help >>"$tmp/help.cli" 2>&1
done
check "man/tinyfleet.1 names every option of tinyfleet --help and each verb's --help" \
    "$tmp/missing" options_documented tinyfleet.1 "$tmp/help.cli"
"$BUILD/tinyfleet-node" --help >"$tmp/help.node" 2>&1
check "man/tinyfleet-node.1 names every option of tinyfleet-node --help" "$tmp/missing" \
    options_documented tinyfleet-node.1 "$tmp/help.node"
"$BUILD/tinyfleet-web" --help >"$tmp/help.web" 2>&1
check "man/tinyfleet-web.1 names every option of tinyfleet-web --help" "$tmp/missing" \
    options_documented tinyfleet-web.1 "$tmp/help.web"
if [ -x "$BUILD/tinyfleet-train" ]; then
    "$BUILD/tinyfleet-train" --help >"$tmp/help.train" 2>&1
    check "man/tinyfleet-train.1 names every option of its usage" "$tmp/missing" \
        options_documented tinyfleet-train.1 "$tmp/help.train"
fi

# --- what the daemon does, against what the unit allows -------------------------------------
# No systemd here to run the unit, so the next best thing: the daemon under strace for one short
# session as the unit would run it (not root, no capabilities, no_new_privs), on free loopback
# ports with CoAP, DTLS and LoRa, MQTT to a mosquitto of its own, a frame over each bearer, an
# alert published, a SIGHUP and a SIGTERM. Then every system call it made must be one
# SystemCallFilter= allows, every socket family one RestrictAddressFamilies= allows, every file
# it wrote must lie in the state directory (ProtectSystem=strict) and nothing it opened may be
# in /proc outside its own process (ProcSubset=pid) or in /dev beyond what PrivateDevices= keeps.
sb="$tmp/state" # stands for /var/lib/tinyfleet

# unhex: hex on stdin to bytes on stdout.
unhex() {
    python3 -c 'import sys
sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))'
}

sandbox_session() {
    mkdir -p "$sb" && chmod 0777 "$sb" && chmod 0711 "$tmp" || return 1
    sdb="$sb/tinyfleet.db"
    tcp_port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
    free_ports SB_COAP SB_LORA SB_DTLS
    {
        echo "listener $tcp_port 127.0.0.1"
        echo "user $(id -un)"
        echo "allow_anonymous true"
        echo "log_dest stderr"
    } >"$tmp/mosquitto.conf"
    "$(command -v mosquitto || echo /usr/sbin/mosquitto)" -c "$tmp/mosquitto.conf" \
        2>"$tmp/mosquitto.log" &
    pids="$pids $!"
    wait_for "$tmp/mosquitto.log" running 10 || return 1
    write_conf "$sb/tinyfleetd.conf" sandbox "$sdb" "127.0.0.1:$SB_COAP" "127.0.0.1:$SB_LORA" \
        dtls_listen="127.0.0.1:$SB_DTLS"
    printf '%s\n' "[mqtt]" "host = 127.0.0.1" "port = $tcp_port" "prefix = sandbox" \
        "[zone.camp]" "lat = -2.7" "lon = 37.2" "radius_m = 500" \
        "[rule.elephant]" "type = cluster" "class = elephant" >>"$sb/tinyfleetd.conf"
    # As the installed config: [gateway] user names the user the unit runs the daemon as.
    sed -i "s/^\[gateway\]\$/[gateway]\nuser = $(id -un "$([ "$(id -u)" -eq 0 ] && echo 65534 || id -u)")/" \
        "$sb/tinyfleetd.conf"
    "$T" --db "$sdb" node add "$DEV" --nwkskey "$NK" --appskey "$AK" --zone camp \
        >"$tmp/sb.out" 2>&1 || return 1
    chmod 0666 "$sdb"
    mosquitto_sub -h 127.0.0.1 -p "$tcp_port" -t 'sandbox/alert/#' -C 1 -W 60 \
        >"$tmp/sb.alert" 2>&1 &
    subpid=$!
    pids="$pids $subpid"
    as_user=""
    if [ "$(id -u)" -eq 0 ]; then
        as_user="setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs"
        as_user="$as_user --inh-caps=-all --bounding-set=-all"
    fi
    # -D: strace runs as a grandchild, so $! is the daemon itself and signals reach it.
    # shellcheck disable=SC2086 # $as_user is a command and its options, or nothing
    strace -D -f -qq -o "$tmp/strace" $as_user "$D" -c "$sb/tinyfleetd.conf" 2>"$tmp/sb.log" &
    dpid=$!
    wait_for "$tmp/sb.log" listening 20 || return 1
    encode_frame 1 1 2101C80A00050C >"$tmp/f1.hex" || return 1
    python3 tests/tools/pfwd_emu.py --server "127.0.0.1:$SB_LORA" --eui AA555A0000000101 \
        --timeout 10 - <"$tmp/f1.hex" >"$tmp/sb.pfwd" 2>&1 || return 1
    encode_frame 2 1 2101C80A00050C | unhex >"$tmp/f2.bin"
    coap-client-notls -m post -t 42 -f "$tmp/f2.bin" -B 10 "coap://127.0.0.1:$SB_COAP/up" \
        >"$tmp/sb.coap" 2>&1 || return 1
    encode_frame 3 1 2101C80A00050C | unhex >"$tmp/f3.bin"
    key=$(printf 'tinyfleet dtls psk' | openssl mac -cipher AES-128-CBC -macopt "hexkey:$AK" \
        CMAC | tr -d ' \n' | tr 'a-f' 'A-F')
    coap-client-gnutls -m post -t 42 -f "$tmp/f3.bin" -u "$DEV" -k "$key" -B 10 \
        "coaps://127.0.0.1:$SB_DTLS/up" >"$tmp/sb.dtls" 2>&1 || return 1
    wait_exit "$subpid" 60 && [ -s "$tmp/sb.alert" ] || return 1
    kill -HUP "$dpid"
    wait_for "$tmp/sb.log" "reloaded" 10 || return 1
    stop_daemon TERM 20
    [ "$rc" = 0 ] && [ "$("$T" --db "$sdb" events --json | wc -l)" -eq 3 ]
}

# syscall_expand GROUP: the system calls of a systemd-analyze syscall-filter group, groups
# inside it expanded.
syscall_expand() {
    systemd-analyze syscall-filter "$1" | sed -n '2,$s/^ *\([@a-z0-9_-]*\)$/\1/p' |
        while read -r x; do
            case $x in
            @*) syscall_expand "$x" ;;
            ?*) echo "$x" ;;
            esac
        done
}

# sandbox_fits: what strace saw (from the daemon's execve on) against the unit's settings.
sandbox_fits() {
    # shellcheck disable=SC2013 # the groups are words
    for g in $(sed -n 's/^SystemCallFilter=\([^~]\)/\1/p' "$unit"); do
        syscall_expand "$g"
    done | sort -u >"$tmp/allow"
    # shellcheck disable=SC2013 # the groups are words
    for g in $(sed -n 's/^SystemCallFilter=~//p' "$unit"); do
        syscall_expand "$g"
    done | sort -u >"$tmp/deny"
    [ -s "$tmp/allow" ] || return 1
    python3 - "$tmp/strace" "$D" "$tmp/allow" "$tmp/deny" "$sb" \
        "$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")" >"$tmp/fits" 2>&1 <<'EOF'
import re, sys
trace, prog, allow, deny, state, families = sys.argv[1:7]
allow = set(open(allow).read().split()) - set(open(deny).read().split())
lines = open(trace).read().splitlines()
start = next(i for i, l in enumerate(lines) if 'execve("%s"' % prog in l)
calls, fams, bad_files = set(), set(), []
# What PrivateDevices= leaves in /dev (systemd.exec(5)).
devs = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
        "/dev/pts/", "/dev/ptmx", "/dev/shm/", "/dev/mqueue/", "/dev/hugepages/", "/dev/log")
for l in lines[start + 1:]:
    m = re.match(r"\d+ +(?:<\.\.\. )?([a-z0-9_]+)[( ]", l)
    if not m:
        continue  # "+++ exited", "--- SIGHUP", ...
    calls.add(m.group(1))
    f = re.search(r"socket(?:pair)?\((AF_[A-Z0-9]+)", l)
    if f:
        fams.add(f.group(1))
    o = re.search(r'open(?:at)?\((?:AT_FDCWD, )?"([^"]*)", ([A-Z_|]+)', l)
    if o and " = -1 " not in l:
        path, flags = o.groups()
        if any(x in flags for x in ("O_WRONLY", "O_RDWR", "O_CREAT")):
            if not path.startswith(state + "/"):
                bad_files.append("written outside the state directory: " + path)
        if re.match(r"/proc/(?!self/|thread-self/|\d+/)", path):
            bad_files.append("/proc outside the process (ProcSubset=pid): " + path)
        if path.startswith("/dev/") and not path.startswith(devs):
            bad_files.append("a device PrivateDevices= hides: " + path)
bad_calls = sorted(calls - allow)
bad_fams = sorted(fams - set(families.split()))
print("%d system calls: %s" % (len(calls), " ".join(sorted(calls))))
print("socket families: %s" % " ".join(sorted(fams)))
for x in bad_calls:
    print("not allowed by SystemCallFilter=: " + x)
for x in bad_fams:
    print("not allowed by RestrictAddressFamilies=: " + x)
for x in bad_files:
    print(x)
sys.exit(1 if bad_calls or bad_fams or bad_files or not calls else 0)
EOF
}

if ! command -v strace >/dev/null 2>&1; then
    nok "strace is missing: install the Debian package strace (tools/deps.sh)"
elif ! command -v setpriv >/dev/null 2>&1; then
    nok "setpriv is missing: it comes with the Debian package util-linux"
else
    check "a session as the unit runs it: LoRa, CoAP, DTLS frames, an MQTT alert, HUP, TERM" \
        "$tmp/sb.log" sandbox_session
    check "... each system call, socket family and file it used is one the unit allows" \
        "$tmp/fits" sandbox_fits
    sed -n '1,2s/^/info - strace: /p' "$tmp/fits"
fi

finish
