#!/bin/sh
# Install the Debian packages tinyfleet needs, and the npm packages of tests/vectors.
# Idempotent and silent when everything is present, so `make test` and `make demo` can
# run it every time. Installing needs root (CI runs as root) or sudo.
# `tools/deps.sh --apt ARGS...` runs one apt-get the way this script does (as root, waiting
# for the dpkg lock) and nothing else; tests/integration/deps_lock.sh uses it.
set -eu

# Another apt (unattended-upgrades on a fresh machine) may hold the dpkg lock: wait for it up
# to 10 minutes instead of failing at once.
apt_get() {
    # shellcheck disable=SC2086 # $sudo is empty or one word
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}

need_root() {
    if [ "$(id -u)" -eq 0 ]; then
        sudo=""
    elif command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "deps: need root to install:$1" >&2
        exit 1
    fi
}

if [ "${1:-}" = "--apt" ]; then
    shift
    need_root " (apt-get $*)"
    apt_get "$@"
    exit
fi

# One line per purpose; later issues add theirs here.
PACKAGES="
build-essential pkg-config git
libcmocka-dev libcjson-dev
clang libclang-rt-14-dev clang-format clang-tidy
gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
valgrind libssl-dev openssl python3
libuv1-dev libsqlite3-dev sqlite3 libinih-dev libcoap3-dev libcoap3-bin
libmosquitto-dev mosquitto mosquitto-clients
qemu-system-arm
systemd man-db groff-base strace iproute2
debhelper dpkg-dev fakeroot lintian
libmicrohttpd-dev libcrypt-dev libjs-leaflet chromium prometheus
libcurl4-openssl-dev prometheus-alertmanager python3-aiosmtpd
nats-server
"
# lora-packet, the independent LoRaWAN implementation the tests compare against, runs on
# Node.js; Debian's nodejs is enough, but a machine that already has node keeps its own.
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs"
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done

if [ -n "$missing" ]; then
    echo "deps: installing:$missing"
    need_root "$missing"
    apt_get update -qq
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    apt_get install -y -qq --no-install-recommends $missing >/dev/null
fi

top=$(dirname "$0")/..
if [ ! -d "$top/tests/vectors/node_modules" ]; then
    echo "deps: npm ci in tests/vectors"
    (cd "$top/tests/vectors" && npm ci --silent --no-audit --no-fund)
fi
