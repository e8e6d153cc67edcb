#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian package: `make deb` builds build/tinyfleet_<VERSION>_<arch>.deb from a copy of
# the tree without touching the tree; the package's metadata, its files (what `make install
# PREFIX=/usr` installs, less tinyfleet-train; tinyfleet-web, its unit and man page
# included), its conffile, lintian, and apt's dry run.
# Nothing is installed into this machine: the maintainer scripts run against the unpacked
# package, with the real systemd-sysusers and systemd-tmpfiles under DPKG_ROOT (as root), and
# with systemctl and the deb-systemd-* helpers replaced by stubs that log their calls, to show
# that an install enables and starts nothing, an upgrade restarts only a running daemon and a
# removal stops it. About 12 s on 2 cores for the first `make deb`, 7 s after.
# Run from the repository root: BUILD=/abs/build sh tests/integration/deb.sh

# shellcheck disable=SC2317,SC2016,SC2034 # helpers are called through check; single quotes
# are meant for the scripts and stubs they write
set -u

NAME=deb
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

for tool in dpkg-buildpackage dh lintian fakeroot; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        nok "$tool is missing: make deps installs dpkg-dev, debhelper, lintian and fakeroot"
        finish
    fi
done

version=$(cat VERSION)
arch=$(dpkg --print-architecture)
deb="$BUILD/tinyfleet_${version}_${arch}.deb"

# --- make deb -----------------------------------------------------------------------------------
tree_state() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git status --porcelain --untracked-files=all
        git diff
    fi
}
tree_state >"$tmp/tree.before"
rm -f "$deb"
# The parent make's flags (jobserver, -s) are not this build's.
MAKEFLAGS="" make -s B="$BUILD" deb >"$tmp/make.out" 2>&1
rc=$?
check "make deb succeeds" "$tmp/make.out" [ "$rc" -eq 0 ]
check "make deb leaves $deb" "$tmp/make.out" [ -f "$deb" ]
tree_state >"$tmp/tree.after"
diff "$tmp/tree.before" "$tmp/tree.after" >"$tmp/tree.diff"
check "make deb changes nothing in the source tree" "$tmp/tree.diff" [ ! -s "$tmp/tree.diff" ]
[ -f "$deb" ] || finish

# --- metadata -----------------------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
dpkg-deb --info "$deb" >"$tmp/info" 2>&1
check "Package: tinyfleet" "$tmp/info" [ "$(field Package)" = tinyfleet ]
check "Version: $version (VERSION)" "$tmp/info" [ "$(field Version)" = "$version" ]
check "Architecture: $arch" "$tmp/info" [ "$(field Architecture)" = "$arch" ]
maintainer_ok() { field Maintainer | grep -Eq '^[^<]+ <[^@ ]+@[^> ]+>$'; }
check "Maintainer: a name and an address" "$tmp/info" maintainer_ok
field Depends >"$tmp/depends"
depends_ok() {
    ! grep -q '\${' "$tmp/depends" || return 1
    for lib in libc6 libuv1 libsqlite3-0 libinih1 libcoap3 libmosquitto1 libcjson1; do
        grep -Eq "(^|, )$lib \(>= [^)]+\)" "$tmp/depends" || return 1
    done
    grep -q "systemd" "$tmp/depends"
}
check "Depends: the shared libraries resolved by shlibs, and systemd-sysusers" "$tmp/depends" \
    depends_ok

# --- files --------------------------------------------------------------------------------------
dpkg-deb --contents "$deb" >"$tmp/contents" 2>&1
awk '{ p = $6; sub(/^\./, "", p); if (p != "/" && substr($1, 1, 1) != "d") print p }' \
    "$tmp/contents" | sort >"$tmp/files"
has_all() {
    for f in "$@"; do
        grep -qx -- "$f" "$tmp/files" || { echo "missing: $f" >"$tmp/missing"; return 1; }
    done
}
check "the programs in /usr/sbin and /usr/bin" "$tmp/files" \
    has_all /usr/sbin/tinyfleetd /usr/bin/tinyfleet /usr/bin/tinyfleet-node /usr/bin/tinyfleet-web
check "their man pages" "$tmp/files" has_all /usr/share/man/man8/tinyfleetd.8.gz \
    /usr/share/man/man5/tinyfleetd.conf.5.gz /usr/share/man/man1/tinyfleet.1.gz \
    /usr/share/man/man1/tinyfleet-node.1.gz /usr/share/man/man1/tinyfleet-web.1.gz
unit=$(grep -E '^(/usr)?/lib/systemd/system/tinyfleetd\.service$' "$tmp/files")
webunit=$(grep -E '^(/usr)?/lib/systemd/system/tinyfleet-web\.service$' "$tmp/files")
units=$(grep -Ec '^(/usr)?/lib/systemd/system/tinyfleet(d|-web)\.service$' "$tmp/files")
check "the units of tinyfleetd and tinyfleet-web in /lib/systemd/system" "$tmp/files" \
    [ "$units" = 2 ]
check "the sysusers and tmpfiles snippets, the config, copyright" "$tmp/files" \
    has_all /usr/lib/sysusers.d/tinyfleet.conf /usr/lib/tmpfiles.d/tinyfleet.conf \
    /etc/tinyfleet/tinyfleetd.conf /usr/share/doc/tinyfleet/copyright
none_of() { ! grep -Eq -- "$1" "$tmp/files"; }
check "no trainer, no firmware, nothing under /usr/local" "$tmp/files" \
    none_of 'tinyfleet-train|nodefw|^/usr/local/'
check "the config is 0640 (it may hold the MQTT password)" "$tmp/contents" \
    grep -Eq '^-rw-r----- root/root .* \./etc/tinyfleet/tinyfleetd\.conf$' "$tmp/contents"
mkdir -p "$tmp/ctl" "$tmp/root"
dpkg-deb --control "$deb" "$tmp/ctl"
dpkg-deb --extract "$deb" "$tmp/root"
check "conffiles: /etc/tinyfleet/tinyfleetd.conf" "$tmp/ctl/conffiles" \
    [ "$(cat "$tmp/ctl/conffiles")" = /etc/tinyfleet/tinyfleetd.conf ]

# The package holds what `make install PREFIX=/usr` installs (the programs stripped), less
# the trainer: install.sh run on the package build's programs; the other files byte for byte.
sh tools/install.sh "$BUILD/deb/src/build" "$tmp/inst" /usr >"$tmp/install.out" 2>&1
(cd "$tmp/inst" && find . ! -type d | sed 's/^\.//' | grep -v tinyfleet-train | sort) \
    >"$tmp/installed"
grep -Ev '^/usr/share/(doc|lintian)/' "$tmp/files" >"$tmp/packaged"
diff "$tmp/installed" "$tmp/packaged" >"$tmp/files.diff"
check "the same files as make install PREFIX=/usr" "$tmp/files.diff" [ ! -s "$tmp/files.diff" ]
same_text() {
    grep -Ev '^/usr/s?bin/' "$tmp/installed" >"$tmp/text"
    while read -r f; do
        cmp -s "$tmp/inst$f" "$tmp/root$f" || { echo "differs: $f" >"$tmp/missing"; return 1; }
    done <"$tmp/text"
}
check "config, unit, snippets, man pages as make install writes them" "$tmp/missing" same_text
unit_ok() {
    grep -q "^ExecStart=/usr/sbin/tinyfleetd " "$tmp/root$unit" &&
        grep -q "^User=tinyfleet$" "$tmp/root$unit" &&
        grep -Eq "^u +tinyfleet " "$tmp/root/usr/lib/sysusers.d/tinyfleet.conf"
}
check "the unit starts /usr/sbin/tinyfleetd as the sysusers user" "$tmp/root$unit" unit_ok
check "the status page's unit starts /usr/bin/tinyfleet-web on the config, as that user" \
    "$tmp/root$webunit" eval 'grep -q "^User=tinyfleet$" "$tmp/root$webunit" &&
        grep -q "^ExecStart=/usr/bin/tinyfleet-web -c /etc/tinyfleet/tinyfleetd.conf$" \
            "$tmp/root$webunit"'
helps() {
    for p in usr/sbin/tinyfleetd usr/bin/tinyfleet usr/bin/tinyfleet-node usr/bin/tinyfleet-web; do
        "$tmp/root/$p" --help >"$tmp/out" 2>&1 ||
            { echo "$p --help failed" >"$tmp/missing"; return 1; }
    done
}
check "the packaged programs run (--help)" "$tmp/missing" helps
# Its database path as the only change: /var/lib/tinyfleet exists once the package is in.
sed "s|^path = .*|path = $tmp/check.db|" "$tmp/root/etc/tinyfleet/tinyfleetd.conf" >"$conf"
"$tmp/root/usr/sbin/tinyfleetd" -c "$conf" --check >"$tmp/check.out" 2>&1
rc=$?
check "the packaged daemon accepts the packaged config (--check)" "$tmp/check.out" [ "$rc" -eq 0 ]

# --- lintian and apt ----------------------------------------------------------------------------
lintian "$deb" >"$tmp/lintian" 2>&1
check "lintian reports no error ($(grep -c '^W:' "$tmp/lintian") warnings)" "$tmp/lintian" \
    eval '! grep -q "^E:" "$tmp/lintian"'
grep '^W:' "$tmp/lintian" | sed 's/^/       lintian: /'
apt-get install --simulate "$deb" >"$tmp/apt" 2>&1
check "apt install ./$(basename "$deb") would install it (--simulate)" "$tmp/apt" \
    grep -q "^Inst tinyfleet ($version " "$tmp/apt"

# --- the maintainer scripts -------------------------------------------------------------------
# Stubs on PATH log each call to $tmp/calls; deb-systemd-helper answers was-enabled with
# $enabled (1: the operator had enabled the unit) and says the unit file is installed.
mkdir -p "$tmp/bin" "$tmp/run/systemd/system"
for c in systemctl deb-systemd-invoke systemd-sysusers systemd-tmpfiles deb-systemd-helper; do
    {
        echo '#!/bin/sh'
        echo "echo \"$c \$*\" >>\"$tmp/calls\""
        echo 'case "$*" in *was-enabled*) exit $((1 - enabled)) ;; esac'
    } >"$tmp/bin/$c"
done
chmod +x "$tmp/bin"/*
# A copy of each script that sees $tmp/run/systemd/system as systemd's runtime directory.
for s in postinst prerm postrm; do
    sed "s|/run/systemd/system|$tmp/run/systemd/system|g" "$tmp/ctl/$s" >"$tmp/$s"
done
# script ENABLED NAME ARGS...: run the script with the stubs, the unit enabled by the
# operator (1) or not (0); the calls it made in $tmp/calls.
script() {
    : >"$tmp/calls"
    enabled=$1 PATH="$tmp/bin:$PATH" sh -e "$tmp/$2" "$3" ${4:+"$4"} >>"$tmp/calls" 2>&1
}
calls_have() { grep -qx -- "$1" "$tmp/calls"; }
calls_lack() { ! grep -Eq -- "$1" "$tmp/calls"; }
in_order() {
    grep -E '^(systemd-sysusers|systemd-tmpfiles|systemctl) ' "$tmp/calls" >"$tmp/order"
    printf '%s\n' "systemd-sysusers tinyfleet.conf" "systemd-tmpfiles --create tinyfleet.conf" \
        "systemctl --system daemon-reload" | cmp -s - "$tmp/order"
}

script 0 postinst configure
check "install: the user, then the directories, then daemon-reload" "$tmp/calls" in_order
check "install: nothing enabled, nothing started" "$tmp/calls" \
    calls_lack ' (enable|start|restart|try-restart|reload-or-restart)( |$)'
script 1 postinst configure 0.0.9
check "upgrade, units enabled: try-restart (restarts only a running daemon or page), no start" \
    "$tmp/calls" calls_have "deb-systemd-invoke try-restart tinyfleet-web.service tinyfleetd.service"
script 0 postinst configure 0.0.9
check "upgrade, unit not enabled: still not enabled" "$tmp/calls" calls_lack 'helper enable'
script 0 prerm remove
check "remove: the daemon and the status page are stopped" "$tmp/calls" \
    calls_have "deb-systemd-invoke stop tinyfleet-web.service tinyfleetd.service"
script 0 prerm upgrade 0.1.1
check "upgrade: the daemon is not stopped first" "$tmp/calls" calls_lack 'stop'
script 0 postrm purge
check "purge: systemd's state for the units is dropped" "$tmp/calls" \
    calls_have "deb-systemd-helper purge tinyfleet-web.service tinyfleetd.service"

# The real systemd-sysusers and systemd-tmpfiles on the unpacked package (DPKG_ROOT): the
# user, /var/lib/tinyfleet and /etc/tinyfleet as the unit needs them. Giving files to
# another user needs root (CI runs as root).
if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$tmp/root/etc"
    for c in systemd-sysusers systemd-tmpfiles; do
        rm -f "$tmp/bin/$c"
    done
    : >"$tmp/calls"
    enabled=0 DPKG_ROOT="$tmp/root" PATH="$tmp/bin:$PATH" sh -e "$tmp/ctl/postinst" configure \
        >>"$tmp/calls" 2>&1
    uid=$(awk -F: '$1 == "tinyfleet" && $6 == "/var/lib/tinyfleet" { print $3 }' \
        "$tmp/root/etc/passwd")
    gid=$(awk -F: '$1 == "tinyfleet" { print $3 }' "$tmp/root/etc/group")
    check "postinst creates the system user tinyfleet (uid $uid)" "$tmp/calls" \
        eval '[ -n "$uid" ] && [ "$uid" -lt 1000 ]'
    check "postinst makes /var/lib/tinyfleet 0750 tinyfleet:tinyfleet" "$tmp/calls" \
        [ "$(stat -c '%a %u %g' "$tmp/root/var/lib/tinyfleet")" = "750 $uid $gid" ]
    check "postinst makes /etc/tinyfleet 0750 and the config 0640, root:tinyfleet" \
        "$tmp/calls" [ "$(stat -c '%a %u %g' "$tmp/root/etc/tinyfleet" \
        "$tmp/root/etc/tinyfleet/tinyfleetd.conf" | tr '\n' ' ')" = "750 0 $gid 640 0 $gid " ]
else
    echo "skip - postinst with the real systemd-sysusers and systemd-tmpfiles: needs root"
fi

finish
