#!/bin/sh
# SPDX-License-Identifier: MIT
# `make demo`: the whole system on this machine, in about 75 seconds. It starts its own
# mosquitto on a free loopback port, a fresh database, registers the nodes of
# config/demo-scenario.ini at their positions, starts tinyfleetd with config/demo.conf (ports
# and database path filled in), and runs the simulated fleet in simulated time: an elephant
# herd walking toward a railway, a whale entering a shipping lane, a turbine bearing failing.
# Each alert is printed as it arrives over MQTT, with a progress line every 5 seconds; at the
# end `tinyfleet alerts` and `tinyfleet stats`. Every process it starts it stops by its PID,
# also when interrupted. Run from anywhere:
#   sh tools/demo.sh BUILD_DIR
# The status page (tinyfleet-web) runs beside the daemon; its URL is printed. With DEMO_KEEP=1
# everything keeps running after the fleet until Ctrl-C, so the page can be looked at.
# Environment: DEMO_SPEED overrides the scenario's speed (simulated seconds per real second;
# tests/integration/demo.sh runs it faster). Exit status 0 when the fleet delivered every
# frame and everything stopped cleanly.
set -u

build=$(cd "${1:-build}" && pwd) || exit 1
cd "$(dirname "$0")/.." || exit 1
SCENARIO=config/demo-scenario.ini
CONF=config/demo.conf
TF=$build/tinyfleet
TFD=$build/tinyfleetd
WEB=$build/tinyfleet-web
NODE=$build/tinyfleet-node
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
# Where the scenario's x (east) and y (north) metres start; see config/demo-scenario.ini.
ORIGIN_LAT=-2.6600
ORIGIN_LON=37.2600

die() {
    echo "demo: $*" >&2
    exit 1
}

for f in "$TF" "$TFD" "$NODE" "$WEB"; do
    [ -x "$f" ] || die "$f is missing: run make all first"
done
for tool in "$MOSQUITTO" mosquitto_sub mosquitto_pub python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run make deps first"
done

tmp=$(mktemp -d) || exit 1
# PIDs of what this script started, stopped in this order: the monitor (below) and the fleet
# first, then the daemon (so it commits and publishes what it has), the subscriber, the broker.
monitor_pid=""
fleet_pid=""
daemon_pid=""
web_pid=""
sub_pid=""
broker_pid=""

# stop PID [SECONDS]: SIGTERM, up to SECONDS (10) to exit, then SIGKILL; reaps it. Its exit
# status in $rc.
stop() {
    rc=0
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null
    n=0
    while kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; do
        n=$((n + 1))
        if [ "$n" -gt "$((${2:-10} * 10))" ]; then
            kill -KILL "$1" 2>/dev/null
            break
        fi
        sleep 0.1
    done
    wait "$1" 2>/dev/null
    rc=$?
}

cleanup() {
    trap - EXIT INT TERM HUP PIPE
    stop "$monitor_pid" 2
    # An interrupted fleet would try to flush to a gateway that is going away: 2 s is enough.
    stop "$fleet_pid" 2
    stop "$web_pid"
    stop "$daemon_pid"
    stop "$sub_pid"
    stop "$broker_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, stopping everything"; exit 130' INT TERM HUP
# Output into a closed pipe (`make demo | head`): stop everything too, quietly.
trap 'exit 141' PIPE

# wait_for FILE STRING SECONDS: true once FILE contains STRING.
wait_for() {
    n=0
    while [ "$n" -lt "$(($3 * 20))" ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
        n=$((n + 1))
    done
    return 1
}

# Free loopback ports: two TCP (the broker, the status page), two UDP (CoAP, packet forwarder).
read -r mqtt_port web_port coap_port lora_port <<EOF
$(python3 -c 'import socket
t = [socket.socket() for _ in range(2)]
for s in t:
    s.bind(("127.0.0.1", 0))
u = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for s in u:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in t + u))')
EOF
[ -n "$lora_port" ] || die "no free loopback ports"

# The daemon's config: config/demo.conf with the ports and the database path replaced.
python3 - "$CONF" "$tmp/demo.conf" "$tmp/demo.db" "$coap_port" "$lora_port" "$mqtt_port" <<'EOF' ||
import re, sys
src, dst, db, coap, lora, mqtt = sys.argv[1:]
want = {("storage", "path"): db, ("coap", "listen"): "127.0.0.1:" + coap,
        ("lora", "listen"): "127.0.0.1:" + lora, ("mqtt", "port"): mqtt}
section, out, done = "", [], set()
for line in open(src):
    m = re.match(r"\s*\[([^]]+)\]", line)
    if m:
        section = m.group(1)
    m = re.match(r"(\w+)\s*=", line)
    if m and (section, m.group(1)) in want:
        line = "%s = %s\n" % (m.group(1), want[(section, m.group(1))])
        done.add((section, m.group(1)))
    out.append(line)
if done != set(want):
    sys.exit("demo: %s lacks %s" % (src, sorted(set(want) - done)))
open(dst, "w").write("".join(out))
EOF
    exit 1
# The status page (tinyfleet-web) reads the same file: its [web] section on a free port.
printf '\n[web]\nlisten = 127.0.0.1:%s\n' "$web_port" >>"$tmp/demo.conf"
"$TFD" -c "$tmp/demo.conf" --check >"$tmp/check.out" 2>&1 || die "$(cat "$tmp/check.out")"
site=$(sed -n 's/^site *= *//p' "$CONF" | head -n 1)
prefix=tinyfleet/$site
speed=${DEMO_SPEED:-$(sed -n 's/^speed *= *\([0-9.]*\).*/\1/p' "$SCENARIO" | head -n 1)}
case $speed in
'' | *[!0-9.]* | *.*.* | .) die "DEMO_SPEED: simulated seconds per real second expected" ;;
esac
duration=$(sed -n 's/^duration_s *= *\([0-9.]*\).*/\1/p' "$SCENARIO" | head -n 1)
real_s=$(python3 -c "print(round($duration / $speed))")
nnodes=$(grep -c '^\[node\.' "$SCENARIO")
minutes=$((${duration%.*} / 60))

cat <<EOF
tinyfleet demo: a gateway, an MQTT broker and $nnodes sensor nodes, all on this machine. The
nodes run the real firmware on a simulated clock: $minutes minutes at ${speed}x (about ${real_s} s).
  savanna    an elephant herd walks through a wildlife corridor toward a railway line
  coast      a whale swims into a shipping lane
  wind farm  turbine wtg-07 learns its own gearbox for 9 minutes; then its main bearing fails
The railway and the shipping lane are marked critical in $CONF.

EOF

# --- the broker and the alert subscriber --------------------------------------------------------
{
    echo "listener $mqtt_port 127.0.0.1"
    # As root mosquitto would switch to its own user, which cannot write to $tmp (mode 700).
    echo "user $(id -un)"
    echo "allow_anonymous true"
    echo "set_tcp_nodelay true"
    echo "persistence false"
    echo "log_dest stderr"
} >"$tmp/mosquitto.conf"
"$MOSQUITTO" -c "$tmp/mosquitto.conf" 2>"$tmp/mosquitto.log" &
broker_pid=$!
wait_for "$tmp/mosquitto.log" running 10 ||
    die "mosquitto did not start: $(cat "$tmp/mosquitto.log")"
echo "== mosquitto listening on 127.0.0.1:$mqtt_port (pid $broker_pid)"

# One line per message: topic, then the JSON. A probe topic tells when the subscription is live.
mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -q 1 -t "$prefix/alert/#" -t "$prefix/demo/probe" \
    -F '%t %p' >"$tmp/alerts.txt" 2>"$tmp/sub.err" &
sub_pid=$!
n=0
until grep -q "^$prefix/demo/probe " "$tmp/alerts.txt"; do
    n=$((n + 1))
    [ "$n" -le 50 ] || die "mosquitto_sub did not subscribe: $(cat "$tmp/sub.err")"
    mosquitto_pub -h 127.0.0.1 -p "$mqtt_port" -t "$prefix/demo/probe" -m ready 2>/dev/null
    sleep 0.1
done

# --- the nodes, then the daemon -----------------------------------------------------------------
"$NODE" fleet --scenario "$SCENARIO" --list >"$tmp/nodes.jsonl" || die "cannot read $SCENARIO"
python3 - "$tmp/nodes.jsonl" "$TF" "$tmp/demo.conf" "$ORIGIN_LAT" "$ORIGIN_LON" <<'EOF' || exit 1
import json, math, subprocess, sys
nodes, tf, conf = sys.argv[1:4]
lat0, lon0 = float(sys.argv[4]), float(sys.argv[5])
by_profile = {}
for line in open(nodes):
    n = json.loads(line)
    lat = lat0 + n["y"] / 111320.0
    lon = lon0 + n["x"] / (111320.0 * math.cos(math.radians(lat0)))
    r = subprocess.run([tf, "-c", conf, "node", "add", n["devaddr"], "--name", n["name"],
                        "--profile", n["profile"], "--lat", "%.6f" % lat, "--lon", "%.6f" % lon,
                        "--nwkskey", n["nwkskey"], "--appskey", n["appskey"]],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("demo: node add %s: %s" % (n["devaddr"], r.stderr.strip()))
    by_profile.setdefault(n["profile"], []).append("%s (%s)" % (n["name"], n["bearer"]))
print("== Registered %d nodes with tinyfleet node add (keys from tinyfleet-node fleet --list):"
      % sum(len(v) for v in by_profile.values()))
for p, v in by_profile.items():
    print("   %-9s %s" % (p, ", ".join(v)))
EOF

"$TFD" -c "$tmp/demo.conf" 2>"$tmp/tinyfleetd.log" &
daemon_pid=$!
wait_for "$tmp/tinyfleetd.log" "listening" 10 ||
    die "tinyfleetd did not start: $(cat "$tmp/tinyfleetd.log")"
wait_for "$tmp/tinyfleetd.log" "mqtt: connected" 10 ||
    die "tinyfleetd did not connect to mosquitto: $(cat "$tmp/tinyfleetd.log")"
echo "== tinyfleetd running (pid $daemon_pid): CoAP on 127.0.0.1:$coap_port," \
    "packet forwarder on 127.0.0.1:$lora_port, alerts to $prefix/alert/#"
"$WEB" -c "$tmp/demo.conf" 2>"$tmp/web.log" &
web_pid=$!
wait_for "$tmp/web.log" "serving" 10 || die "tinyfleet-web did not start: $(cat "$tmp/web.log")"
echo "== Status page: http://127.0.0.1:$web_port/ (tinyfleet-web, pid $web_pid; metrics at" \
    "http://127.0.0.1:$web_port/metrics)"

# --- the fleet, and what arrives meanwhile ------------------------------------------------------
echo "== Running the fleet ($SCENARIO at ${speed}x). Alerts as they arrive, at simulated time:"
echo
fleet_t0=$(date +%s.%N)
"$NODE" fleet --scenario "$SCENARIO" --speed "$speed" --coap "coap://127.0.0.1:$coap_port/up" \
    --forwarder "127.0.0.1:$lora_port" >"$tmp/fleet.out" 2>"$tmp/fleet.err" &
fleet_pid=$!

# The monitor: prints each alert line of the subscriber's file once, and every 5 s the
# simulated time and the frames the gateway accepted, until the fleet has exited. In the
# background, so that a signal to this script is handled at once (the shell runs a trap only
# when the foreground command is over, but interrupts `wait`).
python3 - "$tmp/alerts.txt" "$prefix" "$fleet_pid" "$fleet_t0" "$speed" "$duration" "$TF" \
    "$tmp/demo.conf" <<'EOF' &
import json, os, subprocess, sys, time
path, prefix, pid, t0, speed, duration, tf, conf = sys.argv[1:]
pid, t0, speed, duration = int(pid), float(t0), float(speed), float(duration)

def hms(s):
    s = int(s)
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)

def sim_now():
    return min((time.time() - t0) * speed, duration)

def running():
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

def frames():
    r = subprocess.run([tf, "-c", conf, "stats", "--json"], capture_output=True, text=True)
    total = 0
    for line in r.stdout.splitlines():
        j = json.loads(line)
        if j.get("bearer") in ("coap", "lora"):
            total += j.get("accepted", 0)
    return total

pos = 0
def show_alerts():
    global pos
    with open(path) as f:
        f.seek(pos)
        while True:
            line = f.readline()
            if not line.endswith("\n"):
                break
            pos = f.tell()
            topic, _, payload = line.partition(" ")
            if not topic.startswith(prefix + "/alert/"):
                continue
            a = json.loads(payload)
            print("  sim %s  %-8s  %-8s  %-15s  %-13s  %s" % (
                hms(sim_now()), a["level"].upper(), a["state"], a["class"], a["zone"],
                a["message"]), flush=True)

next_progress = 5.0
try:
    while running():
        show_alerts()
        if time.time() - t0 >= next_progress:
            print("  .. sim %s  %d frames received by the gateway" % (hms(sim_now()), frames()),
                  flush=True)
            next_progress += 5.0
        time.sleep(0.2)
    time.sleep(1.0)  # the nodes' last frames, the daemon's last publications
    show_alerts()
    print("  .. the fleet is done after %.0f s: %d frames received by the gateway"
          % (time.time() - t0, frames()))
except KeyboardInterrupt:
    sys.exit(130)  # Ctrl-C: the shell's trap stops everything
EOF
monitor_pid=$!
wait "$monitor_pid"
monitor_pid=""
wait "$fleet_pid"
fleet_rc=$?
fleet_pid=""

# What the status page shows now, through its JSON API (the page polls the same).
curl -s "http://127.0.0.1:$web_port/api/status" | python3 -c 'import json, sys
j = json.load(sys.stdin)
print("\n== Status page answered: %d nodes, %d active alerts" % (len(j["nodes"]), len(j["alerts"])))' ||
    echo "demo: the status page did not answer"
printf '\n== tinyfleet alerts\n'
"$TF" -c "$tmp/demo.conf" alerts
printf '\n== tinyfleet stats\n'
"$TF" -c "$tmp/demo.conf" stats

echo
if [ "${DEMO_KEEP:-0}" = 1 ]; then
    echo "DEMO_KEEP=1: everything keeps running. Open http://127.0.0.1:$web_port/ in a browser;"
    echo "press Ctrl-C to stop it all."
    while :; do
        sleep 1
    done
fi
stop "$web_pid"
web_pid=""
stop "$daemon_pid"
daemon_pid=""
daemon_rc=$rc
stop "$sub_pid"
sub_pid=""
stop "$broker_pid"
broker_pid=""
if [ "$fleet_rc" -ne 0 ]; then
    echo "demo: tinyfleet-node fleet exited with status $fleet_rc (1: frames not delivered):"
    cat "$tmp/fleet.out" "$tmp/fleet.err"
    exit 1
fi
if [ "$daemon_rc" -ne 0 ]; then
    echo "demo: tinyfleetd exited with status $daemon_rc:"
    tail -n 20 "$tmp/tinyfleetd.log"
    exit 1
fi
echo "Done: tinyfleetd, tinyfleet-web, mosquitto and the fleet are stopped; the temporary files are removed."
echo "What the demo ran: $CONF (the gateway) and $SCENARIO (the fleet)."
