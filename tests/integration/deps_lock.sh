#!/bin/sh
# SPDX-License-Identifier: MIT
# `make deps` waits for the dpkg lock instead of failing when another apt runs (on a fresh
# machine, unattended-upgrades). While a stand-in for that other apt holds dpkg's
# frontend lock for 3 s (an fcntl lock, the one apt and dpkg take), tools/deps.sh runs its
# own apt-get step, the install of a package of its list that is already installed: it must
# wait, succeed, and end only after the lock was released. As a control, the same apt-get
# without the wait must fail at once, so the lock really was held. Nothing is installed or
# removed. Needs root (CI runs as root) and apt-get; skipped otherwise.
# Run from the repository root: BUILD=/abs/build sh tests/integration/deps_lock.sh

set -u

NAME=deps_lock
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

PKG=sqlite3 # in tools/deps.sh's list, so make deps has installed it already
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "$NAME: not root or no apt-get: skipped"
    finish
fi

# hold SECONDS: takes dpkg's frontend lock (waiting for any apt that has it), writes
# $tmp/held, keeps the lock SECONDS, writes $tmp/released, then lets it go.
hold() {
    rm -f "$tmp/held" "$tmp/released"
    /usr/bin/python3 - "$1" "$tmp/held" "$tmp/released" <<'PY' &
import fcntl, os, sys, time
fd = os.open("/var/lib/dpkg/lock-frontend", os.O_RDWR | os.O_CREAT, 0o640)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[1]))
open(sys.argv[3], "w").close()  # before the unlock: whoever gets the lock sees it
fcntl.lockf(fd, fcntl.LOCK_UN)
PY
    holder=$!
    pids="$pids $holder"
    n=0
    while [ ! -e "$tmp/held" ] && [ $n -lt 600 ]; do
        sleep 0.1
        n=$((n + 1))
    done
}

hold 3
check "the stand-in holds dpkg's lock" /dev/null test -e "$tmp/held"
env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=0 install -y -qq \
    --no-install-recommends "$PKG" >"$tmp/out" 2>&1
rc=$?
# shellcheck disable=SC2016 # eval expands it
check "control: apt-get without the wait fails while it is held (exit $rc)" "$tmp/out" \
    eval 'test $rc -ne 0 && test ! -e "$tmp/released" && grep -q "lock" "$tmp/out"'
kill "$holder" 2>/dev/null # a killed holder's lock goes with it: no need to wait it out
wait "$holder" 2>/dev/null

hold 3
sh tools/deps.sh --apt install -y -qq --no-install-recommends "$PKG" >"$tmp/out" 2>&1
rc=$?
check "tools/deps.sh's apt-get waits for the lock and succeeds (exit $rc)" "$tmp/out" \
    test "$rc" -eq 0
check "it ended only after the lock was released" "$tmp/out" test -e "$tmp/released"
wait "$holder" 2>/dev/null

finish
