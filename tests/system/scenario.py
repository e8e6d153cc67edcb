#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scenario.py - the simulated fleet of the system tests (tests/integration/system_fleet.sh)
and of the soak (tools/soak.sh), written as `tinyfleet-node fleet` scenario files.

A fleet of NODES elephant sensors is cut into scenario files of at most PER nodes (the
simulator runs 64 at most per process). In each file the nodes stand in rows of ten, 200 m
apart; a row is one zone (s<file>z<row>), rows 20 km apart so a herd is heard only by its own
row. Every row gets herds (rumbles every 15 s, 15 dB over the noise at 300 m) walking its
length, so each zone's cluster alert opens, escalates as more nodes hear the herd, updates
and clears after the herd has gone. Even-numbered nodes post over CoAP, odd ones send over
LoRa; the LoRa nodes of files 0, 2, ... go through forwarder EUI_A, the others through EUI_B,
and every other LoRa node (i % 4 == 1) stands where both forwarders hear it: those are
listed in overlap.txt for tests/system/pfwd_overlap.py, which repeats their frames as the
second forwarder, so the gateway's deduplication has work to do.

Writes into --out: fleet-<k>.ini per file, overlap.txt (DevAddrs in hex, one a line),
zones.conf (a [zone.*] section marked critical for every third zone, 48 at most: those
alerts go up to critical), and registers every node (keys, zone, position) in --db, which
must already have the schema (tinyfleet --db DB node add ... creates it).

Keys are derived from --seed and the DevAddr (SHA-256), so a rerun makes the same fleet.
"""

import argparse
import hashlib
import math
import os
import sqlite3
import time

EUI_A = "AA555A0000000101"
EUI_B = "AA555A0000000102"
BASE_DEVADDR = 0x26400000
LAT0, LON0 = -2.6500, 37.2600
ROW_M = 20000.0  # between rows (zones)
STEP_M = 200.0  # between nodes of a row
MAX_CRITICAL = 48  # critical zones written; tinyfleetd takes 64 [zone.*] sections at most


def keys(seed, devaddr):
    h = hashlib.sha256(b"tinyfleet-system %d %08X" % (seed, devaddr)).hexdigest().upper()
    return h[:32], h[32:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--nodes", type=int, required=True)
    ap.add_argument("--per", type=int, default=50)
    ap.add_argument("--duration-s", type=float, required=True, help="simulated seconds")
    ap.add_argument("--speed", type=float, required=True)
    ap.add_argument("--coap", required=True)
    ap.add_argument("--forwarder", required=True)
    ap.add_argument("--health-s", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    files = (a.nodes + a.per - 1) // a.per
    overlap = []
    zones = []
    rows_sql = []
    now_ms = int(time.time() * 1000)
    for f in range(files):
        n = min(a.per, a.nodes - f * a.per)
        rows = (n + 9) // 10
        lines = [
            "; made by tests/system/scenario.py: file %d of %d, %d nodes" % (f, files, n),
            "[fleet]",
            "speed = %g" % a.speed,
            "duration_s = %g" % a.duration_s,
            "seed = %d" % (a.seed * 1000 + f),
            "forwarder = %s" % a.forwarder,
            "coap = %s" % a.coap,
            "gateway_eui = %s" % (EUI_A if f % 2 == 0 else EUI_B),
            "health_s = %d" % a.health_s,
            "batch_s = 10",
            "sf = 7",
            "noise = 0.05",
        ]
        for i in range(n):
            devaddr = BASE_DEVADDR + f * 0x100 + i
            nk, ak = keys(a.seed, devaddr)
            x, y = (i % 10) * STEP_M, (i // 10) * ROW_M
            bearer = "coap" if i % 2 == 0 else "lora"
            if i % 4 == 1:
                overlap.append("%08X" % devaddr)
            zone = "s%dz%d" % (f, i // 10)
            lines += [
                "[node.n%08X]" % devaddr,
                "devaddr = %08X" % devaddr,
                "profile = elephant",
                "x = %g" % x,
                "y = %g" % y,
                "bearer = %s" % bearer,
                "nwkskey = %s" % nk,
                "appskey = %s" % ak,
            ]
            lat = LAT0 + y / 111320.0
            lon = LON0 + x / (111320.0 * math.cos(math.radians(LAT0)))
            rows_sql.append((devaddr, "sys-%08X" % devaddr, "elephant", lat, lon, zone,
                             bytes.fromhex(nk), bytes.fromhex(ak), now_ms))
        # Herds: as many per row as the simulator's 16 sources allow (at most 3), spread
        # over the run, each crossing its row in 60 % of its share of the run.
        herds = max(1, min(3, 16 // rows))
        share = a.duration_s / herds
        length = 10 * STEP_M + 800.0
        for r in range(rows):
            y = r * ROW_M + 100.0
            if (f * 7 + r) % 3 == 0 and len(zones) < MAX_CRITICAL:
                zones.append(("s%dz%d" % (f, r), LAT0 + r * ROW_M / 111320.0,
                              LON0 + 900.0 / (111320.0 * math.cos(math.radians(LAT0)))))
            for h in range(herds):
                start = h * share + (r * 0.07 + f * 0.013) % 0.2 * share + 5.0
                west_east = (r + h) % 2 == 0
                x0, x1 = (-400.0, length - 400.0) if west_east else (length - 400.0, -400.0)
                lines += [
                    "[source.herd%d_%d]" % (r, h),
                    "kind = rumble",
                    "start_s = %.0f" % start,
                    "from = %g,%g" % (x0, y),
                    "to = %g,%g" % (x1, y),
                    "speed_mps = %.2f" % (length / (0.6 * share)),
                    "every_s = 15",
                    "snr_db = 15",
                    "range_m = 300",
                ]
        with open(os.path.join(a.out, "fleet-%d.ini" % f), "w") as fh:
            fh.write("\n".join(lines) + "\n")
    with open(os.path.join(a.out, "overlap.txt"), "w") as fh:
        fh.write("".join(d + "\n" for d in overlap))
    with open(os.path.join(a.out, "zones.conf"), "w") as fh:
        for name, lat, lon in zones:
            fh.write("[zone.%s]\ncritical = true\nlat = %.6f\nlon = %.6f\nradius_m = 3000\n"
                     % (name, lat, lon))
    db = sqlite3.connect(a.db)
    with db:
        db.executemany("INSERT INTO nodes (devaddr, name, profile, lat, lon, zone, nwkskey, "
                       "appskey, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows_sql)
    db.close()
    print("scenario: %d nodes in %d files, %d heard by both forwarders, %d critical zones"
          % (a.nodes, files, len(overlap), len(zones)))


if __name__ == "__main__":
    main()
