#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the Debian package: deb.sh BUILD (what `make deb` runs). Copies the source tree
# (without build/, .git and node_modules) into BUILD/deb/src, runs `dpkg-buildpackage -us -uc
# -b` there and leaves BUILD/tinyfleet_<version>_<arch>.deb; the source tree itself is only
# read. BUILD/deb/src/build, the package build's objects, is kept between runs, so a second
# `make deb` recompiles only what changed. Needs the Build-Depends of debian/control
# (`make deps` installs them). V=1 shows dpkg-buildpackage's output; otherwise it is in
# BUILD/deb/build.log and shown only on failure.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: deb.sh BUILD" >&2
    exit 2
fi
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
build=$(cd "$1" && pwd)
work=$build/deb
src=$work/src

# One version for the project: VERSION, which debian/changelog's latest entry must carry.
version=$(cat "$top/VERSION")
logged=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
if [ "$version" != "$logged" ]; then
    echo "deb: VERSION says $version but debian/changelog's latest entry is $logged;" \
        "add an entry: dch -v $version" >&2
    exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=tinyfleet_${version}_${arch}.deb

# A fresh copy of the sources next to the objects of the last package build. tar keeps the
# files' times, so make rebuilds only what is newer than its object.
mkdir -p "$src"
find "$src" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
rm -f "$work"/tinyfleet_* "$work"/tinyfleet-dbgsym_*
(cd "$top" && tar -cf - --exclude=./build --exclude=./.git --exclude=./.cache \
    --exclude=node_modules .) | tar -C "$src" -xf -

# The package's build is a make of its own: nothing of the calling make (B=..., -j) applies.
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
jobs=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -le 2 ] || jobs=2
log=$work/build.log
set -- dpkg-buildpackage -us -uc -b -nc
if [ -n "${V:-}" ]; then
    (cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" "$@")
elif ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" "$@") \
    >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "deb: dpkg-buildpackage failed; the whole output is in $log" >&2
    exit 1
fi

rm -f "$build"/tinyfleet_*.deb
cp "$work/$deb" "$build/$deb"
echo "deb: $build/$deb"
