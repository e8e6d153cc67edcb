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
  slice  one node, the call placed at 12 points over one listening slice (6 s/60 s,
         60 s/600 s), against an ideal classifier that needs no warm-up: what the warm-up
         costs, and the calls wholly inside the slice.
  wake   woken by sound (listen 10 s per wake): a fixed wake level, or the adaptive line
         (--wake-margin-db over the tracked background, at least 0.005), against the
         call's level (--snr over the background), and with no call: calls caught (false
         episodes without a call), and the share of time listening.

Usage: energy_eval.py BUILD_DIR [--table duty|slice|wake] [--points N]
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import wave

NWKSKEY = "2B7E151628AED2A6ABF7158809CF4F3C"
APPSKEY = "000102030405060708090A0B0C0D0E0F"
PROFILES = [("elephant", "rumble"), ("whale", "upcall")]
SCHEDULES = [None, (6, 60), (30, 300), (60, 600)]
ZONE = ["26011F00", "26011F01", "26011F02"]
SPEED = "max"  # a manual clock: the counts do not depend on the host's load
# The span of call one episode needs from a classifier without warm-up: two windows one step
# apart (min_windows = 2): 2176 + 1024 samples, at each profile's rate.
DETECTABLE_S = {"elephant": 3.2, "whale": 1.6}


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


def read_wav(path):
    with wave.open(path) as w:
        n = w.getnframes()
        return w.getframerate(), struct.unpack(f"<{n}h", w.readframes(n))


def call_span(build, profile, event, seed):
    """(start, length) in s of the call `run --seed SEED` places at 1 s: the scene with the
    call minus the same scene without it, rendered by `tinyfleet-node synth`."""
    with tempfile.TemporaryDirectory() as d:
        pcm = []
        for name, ev in (("a.wav", ["--event", event]), ("b.wav", [])):
            path = os.path.join(d, name)
            subprocess.run([os.path.join(build, "tinyfleet-node"), "synth", "--profile",
                            profile, "--seconds", "10", "--at", "1", "--seed", str(seed),
                            "--snr", "20", *ev, path], check=True)
            rate, x = read_wav(path)
            pcm.append(x)
    idx = [i for i, (a, b) in enumerate(zip(*pcm)) if abs(a - b) > 1]
    return idx[0] / rate - 1.0, (idx[-1] - idx[0] + 1) / rate


def phase_s(devaddr, every_s):
    """sensing_phase_ms() of nodefw/app/sensing.c, in s."""
    h = (int(devaddr, 16) * 2654435761) & 0xFFFFFFFF
    return ((h * int(every_s * 1000)) >> 32) / 1000.0


def overlap(a0, a1, sched, devaddr):
    """Seconds of [a0, a1) that fall in the node's scheduled listening slices."""
    listen, every = sched
    ph = phase_s(devaddr, every)
    j = int((a0 - ph) // every) - 1
    total = 0.0
    while ph + j * every < a1:
        s0 = ph + j * every
        total += max(0.0, min(a1, s0 + listen) - max(a0, s0))
        j += 1
    return total


def duty_table(build, port, points):
    print("| profile | event | schedule | share | one node | three nodes, staggered "
          "| inside a slice: caught | ideal: one node | ideal: three |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for profile, event in PROFILES:
        spans = [call_span(build, profile, event, 3 + k) for k in range(points)]
        for sched in SCHEDULES:
            period = sched[1] if sched else 60
            extra = ["--listen-s", str(sched[0]), "--every-s", str(sched[1])] if sched else []
            one = zone = inside = inside_caught = ideal = ideal_zone = 0
            for k in range(points):
                at = period + k * period / points  # one whole period, after the first
                caught = []
                ok = []
                a0, length = at + spans[k][0], spans[k][1]
                need = min(length, DETECTABLE_S[profile])
                for devaddr in (ZONE if sched else ZONE[:1]):
                    r = run(build, port, profile, event, int(at + 40), at, 3 + k, devaddr, extra)
                    caught.append(r["episodes"] > 0)
                    ov = overlap(a0, a0 + length, sched, devaddr) if sched else length
                    ok.append((ov >= need - 1e-3, ov >= length - 1e-3))
                one += caught[0]
                zone += any(caught)
                ideal += ok[0][0]
                ideal_zone += any(o[0] for o in ok)
                inside += ok[0][1]
                inside_caught += ok[0][1] and caught[0]
            name = f"{sched[0]} s of every {sched[1]} s" if sched else "continuous"
            share = f"{100 * sched[0] / sched[1]:.0f} %" if sched else "100 %"
            print(f"| {profile} | {event} | {name} | {share} | {one} / {points} "
                  f"| {zone if sched else one} / {points} | {inside_caught} / {inside} "
                  f"| {ideal} / {points} | {ideal_zone} / {points} |", flush=True)


def slice_table(build, port, points):
    """One node, the call placed at @points starts spread over one listening slice (from 4 s
    before it to its end): what the node catches against the ideal, a classifier with no
    warm-up that catches every call overlapping the slice by its detectable length (or
    whole, if shorter); and the calls wholly inside the slice, and how many of those."""
    print("| profile | event | schedule | caught | ideal | wholly inside: caught |")
    print("|---|---|---|---:|---:|---:|")
    for profile, event in PROFILES:
        spans = [call_span(build, profile, event, 3 + k) for k in range(points)]
        for sched in SCHEDULES[1::2]:
            listen, every = sched
            start = every + phase_s(ZONE[0], every)
            caught = ideal = inside = inside_caught = 0
            for k in range(points):
                at = start - 4 + k * (listen + 4) / points
                a0, length = at + spans[k][0], spans[k][1]
                r = run(build, port, profile, event, int(at + 40), at, 3 + k, ZONE[0],
                        ["--listen-s", str(listen), "--every-s", str(every)])
                ov = overlap(a0, a0 + length, sched, ZONE[0])
                got = r["episodes"] > 0
                caught += got
                ideal += ov >= min(length, DETECTABLE_S[profile]) - 1e-3
                whole = ov >= length - 1e-3
                inside += whole
                inside_caught += whole and got
            print(f"| {profile} | {event} | {listen} s of every {every} s | {caught} / {points} "
                  f"| {ideal} / {points} | {inside_caught} / {inside} |", flush=True)


WAKE_LINES = [("level", x, ["--wake-level", str(x)]) for x in (0.02, 0.05, 0.1, 0.2)] + \
    [("adaptive", f"{m} dB", ["--wake-level", "0.005", "--wake-margin-db", str(m)])
     for m in (6, 10, 15)]


def wake_table(build, port, points):
    print("| profile | event | wake line | call SNR | caught | listening |")
    print("|---|---|---|---:|---:|---:|")
    for profile, event in PROFILES:
        for kind, value, line in WAKE_LINES:
            for snr in (5, 15, 25, None):
                caught = 0
                on = total = 0.0
                for k in range(points):
                    at = 20 + 7 * k
                    seconds = int(at + 40)
                    # no call: the same scene with the call 60 dB under the background
                    r = run(build, port, profile, event, seconds, at, 3 + k, ZONE[0],
                            ["--listen-s", "10", "--snr", str(snr if snr is not None else -60)]
                            + line)
                    caught += r["episodes"] > 0
                    on += r["energy"]["sensor_on_s"]
                    total += seconds
                name = f"{value}" if kind == "level" else f"adaptive, {value}"
                got = f"{caught} / {points}" if snr is not None else f"({caught} false)"
                print(f"| {profile} | {event} | {name} | {f'{snr} dB' if snr is not None else 'no call'} "
                      f"| {got} | {100 * on / total:.0f} % |", flush=True)


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
    if table in (None, "slice"):
        slice_table(build, port, points)
        print()
    if table in (None, "wake"):
        wake_table(build, port, max(1, points // 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
