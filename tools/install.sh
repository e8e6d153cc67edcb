#!/bin/sh
# SPDX-License-Identifier: MIT
# Install tinyfleet: install.sh BUILD DESTDIR PREFIX (what `make install` runs; DESTDIR may be
# empty). Idempotent: running it again replaces the programs, the unit, the snippets and the
# man pages, and never touches an existing /etc/tinyfleet/tinyfleetd.conf. Prints each path.
#
#   $PREFIX/sbin/tinyfleetd, $PREFIX/bin/tinyfleet, tinyfleet-node, tinyfleet-train and
#   tinyfleet-web (if built), with UNITDIR/tinyfleet-web.service
#   $PREFIX/share/man/man{1,5,8}/*.gz          gzip -9n: reproducible, as dh_compress does
#   /etc/tinyfleet/tinyfleetd.conf             the example, 0640, only when there is none
#   UNITDIR/tinyfleetd.service                 ExecStart= rewritten for PREFIX
#   SYSUSERSDIR/tinyfleet.conf, TMPFILESDIR/tinyfleet.conf
#
# Where the systemd files go: systemd reads units, sysusers.d and tmpfiles.d only from fixed
# directories. PREFIX=/usr (a distribution package) gets Debian 12's locations, those of its
# systemd.pc: /lib/systemd/system (the same directory as /usr/lib/systemd/system on a
# merged-/usr system), /usr/lib/sysusers.d, /usr/lib/tmpfiles.d. PREFIX=/usr/local (the
# default: the administrator's own software) gets /usr/local/lib/systemd/system,
# /usr/local/lib/sysusers.d and /usr/local/lib/tmpfiles.d, which systemd also reads, so dpkg's
# directories stay untouched. Any other PREFIX (/opt/...) gets Debian's locations, as systemd
# would not look there. UNITDIR, SYSUSERSDIR and TMPFILESDIR in the environment override this.
#
# Installed into the running system (DESTDIR empty, as root) it also does what a Debian
# package's postinst would: creates the user (systemd-sysusers), the directories
# (systemd-tmpfiles --create) and tells systemd about the unit (daemon-reload). It never
# enables or starts the service.
set -eu

if [ $# -ne 3 ]; then
    echo "usage: install.sh BUILD DESTDIR PREFIX" >&2
    exit 2
fi
build=$1
destdir=$2
prefix=${3%/}
top=$(cd "$(dirname "$0")/.." && pwd)

case $prefix in
/*) ;;
*)
    echo "install: PREFIX must be an absolute path, not '$prefix'" >&2
    exit 2
    ;;
esac
case $prefix in
*[!A-Za-z0-9/._+-]*)
    # It goes into a sed replacement and into ExecStart=: keep both simple.
    echo "install: PREFIX may hold only letters, digits and / . _ + -: '$prefix'" >&2
    exit 2
    ;;
esac

if [ "$prefix" = /usr/local ]; then
    libdir=/usr/local/lib
    unitdir_default=/usr/local/lib/systemd/system
else
    libdir=/usr/lib
    unitdir_default=/lib/systemd/system
fi
unitdir=${UNITDIR:-$unitdir_default}
sysusersdir=${SYSUSERSDIR:-$libdir/sysusers.d}
tmpfilesdir=${TMPFILESDIR:-$libdir/tmpfiles.d}
mandir=$prefix/share/man

for f in tinyfleetd tinyfleet tinyfleet-node; do
    if [ ! -x "$build/$f" ]; then
        echo "install: $build/$f is missing: run make all first" >&2
        exit 1
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# put MODE SOURCE TARGET: install SOURCE as $DESTDIR/TARGET and say so.
put() {
    install -D -m "$1" "$2" "$destdir$3"
    echo "install: $3"
}

put 0755 "$build/tinyfleetd" "$prefix/sbin/tinyfleetd"
put 0755 "$build/tinyfleet" "$prefix/bin/tinyfleet"
put 0755 "$build/tinyfleet-node" "$prefix/bin/tinyfleet-node"
if [ -x "$build/tinyfleet-train" ]; then
    put 0755 "$build/tinyfleet-train" "$prefix/bin/tinyfleet-train"
fi
if [ -x "$build/tinyfleet-web" ]; then
    put 0755 "$build/tinyfleet-web" "$prefix/bin/tinyfleet-web"
    sed -e "s|=/usr/local/bin/tinyfleet-web |=$prefix/bin/tinyfleet-web |" \
        -e "s|^# ExecStart= names .*|# Installed by tinyfleet's tools/install.sh for PREFIX=$prefix.|" \
        "$top/systemd/tinyfleet-web.service" >"$work/tinyfleet-web.service"
    put 0644 "$work/tinyfleet-web.service" "$unitdir/tinyfleet-web.service"
fi

# The unit names /usr/local/sbin/tinyfleetd; point it at this PREFIX.
sed -e "s|=/usr/local/sbin/tinyfleetd |=$prefix/sbin/tinyfleetd |" \
    -e "s|^# ExecStart= names .*|# Installed by tinyfleet's tools/install.sh for PREFIX=$prefix.|" \
    "$top/systemd/tinyfleetd.service" >"$work/tinyfleetd.service"
if ! grep -q "^ExecStart=$prefix/sbin/tinyfleetd " "$work/tinyfleetd.service"; then
    echo "install: no 'ExecStart=/usr/local/sbin/tinyfleetd ' in the unit to rewrite" >&2
    exit 1
fi
put 0644 "$work/tinyfleetd.service" "$unitdir/tinyfleetd.service"
put 0644 "$top/systemd/tinyfleet.sysusers.conf" "$sysusersdir/tinyfleet.conf"
put 0644 "$top/systemd/tinyfleet.tmpfiles.conf" "$tmpfilesdir/tinyfleet.conf"

for page in "$top"/man/*.[0-9]; do
    [ -e "$page" ] || continue
    name=$(basename "$page")
    gzip -9n -c "$page" >"$work/$name.gz"
    put 0644 "$work/$name.gz" "$mandir/man${name##*.}/$name.gz"
done

# The operator's config is theirs: an existing file is never replaced. 0640, as it may hold
# the MQTT password; the tmpfiles snippet gives it the group tinyfleet.
conf=/etc/tinyfleet/tinyfleetd.conf
if [ -e "$destdir$conf" ]; then
    echo "install: $conf exists, kept (the example is $top/config/tinyfleetd.conf)"
else
    put 0640 "$top/config/tinyfleetd.conf" "$conf"
fi

if [ -z "$destdir" ] && [ "$(id -u)" -eq 0 ]; then
    if command -v systemd-sysusers >/dev/null 2>&1; then
        systemd-sysusers "$sysusersdir/tinyfleet.conf"
        echo "install: user tinyfleet (systemd-sysusers)"
    fi
    if command -v systemd-tmpfiles >/dev/null 2>&1; then
        systemd-tmpfiles --create "$tmpfilesdir/tinyfleet.conf"
        echo "install: /var/lib/tinyfleet and /etc/tinyfleet (systemd-tmpfiles --create)"
    fi
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        systemctl daemon-reload
        echo "install: systemctl daemon-reload; start with: systemctl enable --now tinyfleetd"
    fi
fi
