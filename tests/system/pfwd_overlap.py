#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pfwd_overlap.py - overlapping radio coverage for the simulated fleet (Semtech UDP packet
forwarder protocol v2). `tinyfleet-node fleet` has one forwarder per process, so a frame is
never heard twice; real gateways overlap. This relay sits between the fleet processes and
tinyfleetd: every datagram is passed on unchanged (one upstream socket per fleet process, so
the daemon sees each as a forwarder of its own, and the PUSH_ACK goes back to the process
that waits for it), and each rxpk of a node listed in --overlap is sent again as the other
forwarder of its pair (--pair A=B: a frame heard by A is also heard by B, and the reverse),
with a weaker RSSI, in a PUSH_DATA of its own within a millisecond, the copy first for every
other datagram. The gateway must store the frame once, with one reception per forwarder, and
acknowledge both datagrams.

Runs until SIGTERM or SIGINT, then writes its counters as one JSON object to --stats:
forwarded (datagrams passed on), acks (PUSH_ACKs passed back), dup_datagrams, dup_frames,
dup_acked, dup_unacked, and dup_by_node (DevAddr -> frames repeated).
--port-file receives the UDP port it listens on once it is ready.
Python 3 standard library only.
"""

import argparse
import base64
import json
import os
import select
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True, help="HOST:PORT of tinyfleetd's forwarder port")
    ap.add_argument("--overlap", required=True, help="file of DevAddrs (hex), one a line")
    ap.add_argument("--pair", action="append", default=[], help="EUI_A=EUI_B")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--stats", required=True)
    a = ap.parse_args()

    host, _, port = a.server.rpartition(":")
    server = (host, int(port))
    overlap = {int(x, 16) for x in open(a.overlap).read().split()}
    other = {}
    for p in a.pair:
        x, y = (bytes.fromhex(e) for e in p.split("="))
        other[x], other[y] = y, x

    lsock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    lsock.bind(("127.0.0.1", 0))
    up = {}  # fleet process address -> its upstream socket
    back = {}  # upstream socket -> fleet process address
    alt = {}  # EUI -> the socket of that forwarder's repeated copies
    alt_token = {}
    pending = {}  # (EUI, token) -> DevAddrs of a copy awaiting its PUSH_ACK
    st = {"forwarded": 0, "acks": 0, "dup_datagrams": 0, "dup_frames": 0, "dup_acked": 0}
    by_node = {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    def upstream():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(server)
        return s

    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % lsock.getsockname()[1])
    os.rename(tmp, a.port_file)

    def copy_of(d):
        """The repeated PUSH_DATA for datagram d, or None when none of its frames overlaps."""
        eui = d[4:12]
        if eui not in other:
            return None, []
        try:
            body = json.loads(d[12:])
        except ValueError:
            return None, []
        rx = []
        nodes = []
        for pk in body.get("rxpk", []):
            try:
                phy = base64.b64decode(pk["data"])
            except (KeyError, ValueError):
                continue
            if len(phy) < 5:
                continue
            devaddr = int.from_bytes(phy[1:5], "little")
            if devaddr not in overlap:
                continue
            c = dict(pk)
            c["rssi"] = int(pk.get("rssi", -80)) - 9
            c["lsnr"] = round(float(pk.get("lsnr", 7.0)) - 3.0, 1)
            rx.append(c)
            nodes.append(devaddr)
        if not rx:
            return None, []
        e = other[eui]
        if e not in alt:
            alt[e] = upstream()
            alt_token[e] = int.from_bytes(os.urandom(2), "big")
        alt_token[e] = (alt_token[e] + 1) & 0xFFFF
        t = alt_token[e]
        pending[(e, t)] = nodes
        hdr = bytes([2, t >> 8, t & 0xFF, 0]) + e
        return (e, hdr + json.dumps({"rxpk": rx}, separators=(",", ":")).encode()), nodes

    while not stop:
        socks = [lsock] + list(back) + list(alt.values())
        try:
            ready, _, _ = select.select(socks, [], [], 0.2)
        except InterruptedError:
            continue
        for s in ready:
            try:
                d, addr = s.recvfrom(65535)
            except OSError:
                continue  # ECONNREFUSED from a daemon not yet (or no longer) there
            if s is lsock:
                if addr not in up:
                    up[addr] = upstream()
                    back[up[addr]] = addr
                dup, nodes = (None, [])
                if len(d) >= 12 and d[0] == 2 and d[3] == 0:
                    dup, nodes = copy_of(d)
                first_copy = dup is not None and st["dup_datagrams"] % 2 == 1
                if first_copy:
                    alt[dup[0]].send(dup[1])
                up[addr].send(d)
                st["forwarded"] += 1
                if dup is not None:
                    if not first_copy:
                        alt[dup[0]].send(dup[1])
                    st["dup_datagrams"] += 1
                    st["dup_frames"] += len(nodes)
                    for n in nodes:
                        k = "%08X" % n
                        by_node[k] = by_node.get(k, 0) + 1
            elif s in back:
                lsock.sendto(d, back[s])
                st["acks"] += 1
            else:
                e = next(k for k, v in alt.items() if v is s)
                if len(d) >= 4 and d[0] == 2 and d[3] == 1:
                    t = d[1] << 8 | d[2]
                    if pending.pop((e, t), None) is not None:
                        st["dup_acked"] += 1
    st["dup_unacked"] = len(pending)
    st["dup_by_node"] = by_node
    with open(a.stats, "w") as fh:
        json.dump(st, fh, sort_keys=True)
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
