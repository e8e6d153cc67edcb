#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""energy_eval.py - what duty-cycled sensing costs in recall, measured with the simulator.

Every figure comes from `tinyfleet-node run` (the firmware's node code on the host HAL) on a
synthesised scene with one call in it, against a PUSH_ACK-ing stand-in forwarder started
here; a call counts as caught when the run reports an episode. nodefw/ENERGY.md holds the
tables this prints; `make energy-eval` runs it (minutes; not part of `make test`).

Tables:
  duty   per profile and schedule (continuous; 10 % as 6 s/60 s, 30 s/300 s, 60 s/600 s):
         the call placed at 12 points of one period; a node alone, and a zone of three
         nodes (DevAddrs 26011F00..02) whose phases come from their DevAddrs as the
         firmware's do, hearing the same call: caught when any of them has an episode.
  wake   woken by sound (listen 10 s per wake): the wake threshold against the call's level
         (--snr over the background): calls caught, and the share of time listening.

Usage: energy_eval.py BUILD_DIR [--table duty|wake] [--points N]
"""

import json
import os
import socket
import subprocess
import sys
import threading

NWKSKEY = "2B7E151628AED2A6ABF7158809CF4F3C"
APPSKEY = "000102030405060708090A0B0C0D0E0F"
PROFILES = [("elephant", "rumble"), ("whale", "upcall")]
SCHEDULES = [None, (6, 60), (30, 300), (60, 600)]
ZONE = ["26011F00", "26011F01", "26011F02"]
SPEED = "5000"


def ack_server():
    """A stand-in forwarder's gateway: PUSH_ACK for every PUSH_DATA. Returns its port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))

    def serve():
        while True:
            d, a = s.recvfrom(4096)
            if len(d) >= 4 and d[3] == 0:
                s.sendto(d[:3] + b"\x01", a)

    threading.Thread(target=serve, daemon=True).start()
    return s.getsockname()[1]


def run(build, port, profile, event, seconds, at, seed, devaddr, extra):
    cmd = [os.path.join(build, "tinyfleet-node"), "run", "--profile", profile,
           "--devaddr", devaddr, "--nwkskey", NWKSKEY, "--appskey", APPSKEY,
           "--forwarder", f"127.0.0.1:{port}", "--event", event, "--seconds", str(seconds),
           "--at", f"{at:.3f}", "--seed", str(seed), "--speed", SPEED] + extra
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def duty_table(build, port, points):
    print("| profile | event | schedule | share | one node | three nodes, staggered |")
    print("|---|---|---|---:|---:|---:|")
    for profile, event in PROFILES:
        for sched in SCHEDULES:
            period = sched[1] if sched else 60
            extra = ["--listen-s", str(sched[0]), "--every-s", str(sched[1])] if sched else []
            one = zone = 0
            for k in range(points):
                at = period + k * period / points  # one whole period, after the first
                caught = []
                for devaddr in (ZONE if sched else ZONE[:1]):
                    r = run(build, port, profile, event, int(at + 40), at, 3 + k, devaddr, extra)
                    caught.append(r["episodes"] > 0)
                one += caught[0]
                zone += any(caught)
            name = f"{sched[0]} s of every {sched[1]} s" if sched else "continuous"
            share = f"{100 * sched[0] / sched[1]:.0f} %" if sched else "100 %"
            print(f"| {profile} | {event} | {name} | {share} | {one} / {points} "
                  f"| {zone if sched else one} / {points} |", flush=True)


def wake_table(build, port, points):
    print("| profile | event | wake level | call SNR | caught | listening |")
    print("|---|---|---:|---:|---:|---:|")
    for profile, event in PROFILES:
        for level in (0.02, 0.05, 0.1, 0.2):
            for snr in (5, 15, 25):
                caught = 0
                on = total = 0.0
                for k in range(points):
                    at = 20 + 7 * k
                    seconds = int(at + 40)
                    r = run(build, port, profile, event, seconds, at, 3 + k, ZONE[0],
                            ["--listen-s", "10", "--wake-level", str(level), "--snr", str(snr)])
                    caught += r["episodes"] > 0
                    on += r["energy"]["sensor_on_s"]
                    total += seconds
                print(f"| {profile} | {event} | {level} | {snr} dB | {caught} / {points} "
                      f"| {100 * on / total:.0f} % |", flush=True)


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    build = args[0]
    table = args[args.index("--table") + 1] if "--table" in args else None
    points = int(args[args.index("--points") + 1]) if "--points" in args else 12
    port = ack_server()
    if table in (None, "duty"):
        duty_table(build, port, points)
        print()
    if table in (None, "wake"):
        wake_table(build, port, max(1, points // 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
