#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pfwd_emu.py - a Semtech UDP packet-forwarder emulator (protocol v2, Lora-net/packet_forwarder
PROTOCOL.TXT) for tinyfleet's tests. Python 3 standard library only.

Each gateway EUI is one forwarder with its own UDP socket (its own source port, as a real
lora_pkt_fwd has). Every frame is sent as a PUSH_DATA rxpk (stat 1, base64 data) from each
forwarder within a few milliseconds, as when several gateways hear one transmission; RSSI and
SNR differ per forwarder. Each PUSH_DATA must get a PUSH_ACK with its token before --timeout.
--pull sends PULL_DATA from each forwarder first and checks the PULL_ACKs. --malformed sends a
datagram the server must drop, and checks that no ack comes back. --bad-rxpk adds bad rxpk
entries amid the good ones of each PUSH_DATA; the server keeps the good ones and still acks.

Exit status: 0 when every expected ack came (and none came for a malformed datagram), 1 when
not, 2 for a usage error. The last line on stdout sums up ("pfwd_emu: ...").

Examples:
  pfwd_emu.py --server 127.0.0.1:1700 --eui AA555A0000000101 --eui AA555A0000000102 40001F...
  tinyfleet frame encode ... | pfwd_emu.py --server 127.0.0.1:1700 --eui AA555A0000000101 -
  pfwd_emu.py --server 127.0.0.1:1700 --eui AA555A0000000101 --malformed bad-json
  pfwd_emu.py --server 127.0.0.1:1700 --eui AA555A0000000101 --bad-rxpk bad-base64 40001F...
  pfwd_emu.py --server [::1]:1700 --eui 0102030405060708 --per-datagram 8 --window 64 - <frames
"""

import argparse
import base64
import datetime
import json
import os
import random
import select
import socket
import sys
import time

VERSION = 2
PUSH_DATA, PUSH_ACK, PULL_DATA, PULL_RESP, PULL_ACK, TX_ACK = 0, 1, 2, 3, 4, 5

MALFORMED = {
    "bad-json": "PUSH_DATA whose body is not JSON",
    "wrong-version": "PUSH_DATA with protocol version 1",
    "oversized": "PUSH_DATA of 20000 bytes",
    "short": "three bytes",
    "unknown-ident": "identifier 0x07",
    "bad-rxpk-array": "PUSH_DATA whose rxpk is an object, not an array",
}

# Bad rxpk entries that --bad-rxpk adds amid the good ones: the server must count each, keep
# the good frames and still send the PUSH_ACK.
BAD_RXPK = {
    "bad-base64": "an rxpk whose data is not base64",
    "size-mismatch": "an rxpk whose size disagrees with its data",
    "no-data": "a stat-1 rxpk without data",
    "not-object": "an rxpk entry that is a number",
}


def die(msg):
    print("pfwd_emu: " + msg, file=sys.stderr)
    sys.exit(2)


def parse_server(text):
    """'host:port' or '[v6]:port' -> (family, sockaddr)."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        die("--server must be HOST:PORT or [V6]:PORT, got %r" % text)
    try:
        info = socket.getaddrinfo(host, int(port), 0, socket.SOCK_DGRAM)
    except socket.gaierror as e:
        die("--server %s: %s" % (text, e))
    return info[0][0], info[0][4]


def parse_eui(text):
    try:
        b = bytes.fromhex(text)
    except ValueError:
        b = b""
    if len(b) != 8:
        die("--eui must be 16 hex digits, got %r" % text)
    return b


def parse_frame(text):
    try:
        b = bytes.fromhex(text.strip())
    except ValueError:
        die("a frame must be hex, got %r" % text)
    if not b or len(b) > 255:
        die("a frame must be 1 to 255 bytes, got %d" % len(b))
    return b


def utc_compact():
    """PROTOCOL.TXT section 4 `time`: ISO 8601 'compact', microseconds, UTC."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Forwarder:
    """One gateway: an EUI, a socket, its tmst counter and its radio conditions."""

    def __init__(self, eui, index, family, server):
        self.eui = eui
        self.index = index
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        # connect(): replies from anyone but the server are not ours, and a server that is
        # not there shows as ECONNREFUSED at once instead of a timeout.
        self.sock.connect(server)
        self.sock.setblocking(False)
        self.pending = {}  # token -> (ident expected, time sent, what)
        self.tmst = random.randrange(1 << 32)

    def header(self, ident, token, version=VERSION):
        return bytes([version, token >> 8, token & 0xFF, ident])

    def new_token(self):
        while True:
            t = random.randrange(1 << 16)
            if t not in self.pending:
                return t

    def rxpk(self, frame, seq):
        """One rxpk entry; RSSI and SNR get worse with the forwarder's index."""
        self.tmst = (self.tmst + 1000 + seq) & 0xFFFFFFFF
        return {
            "time": utc_compact(),
            "tmst": self.tmst,
            "chan": seq % 8,
            "rfch": 0,
            "freq": 868.1 + 0.2 * (seq % 3),
            "stat": 1,
            "modu": "LORA",
            "datr": "SF7BW125",
            "codr": "4/5",
            "rssi": -40 - 9 * self.index - seq % 3,
            "lsnr": round(9.5 - 2.5 * self.index, 1),
            "size": len(frame),
            "data": base64.b64encode(frame).decode("ascii"),
        }

    def push_data(self, body, token):
        return self.header(PUSH_DATA, token) + self.eui + body


class Emulator:
    def __init__(self, args):
        family, self.server = parse_server(args.server)
        self.args = args
        self.fwds = [Forwarder(e, i, family, self.server) for i, e in enumerate(args.eui)]
        self.sent = {PUSH_DATA: 0, PULL_DATA: 0, "malformed": 0}
        self.acked = {PUSH_ACK: 0, PULL_ACK: 0}
        self.missing = 0
        self.unexpected = 0
        self.latencies = []
        self.errors = []

    def send(self, fwd, datagram, token, expect, what):
        try:
            fwd.sock.send(datagram)
        except OSError as e:
            self.errors.append("%s: send: %s" % (what, e))
            self.missing += 1
            return
        if expect is not None:
            fwd.pending[token] = (expect, time.monotonic(), what)

    def outstanding(self):
        return sum(len(f.pending) for f in self.fwds)

    def poll(self, wait):
        """Read whatever acks arrive within @wait seconds; expire the overdue ones."""
        deadline = time.monotonic() + wait
        while True:
            now = time.monotonic()
            for f in self.fwds:
                for token, (expect, t0, what) in list(f.pending.items()):
                    if now - t0 > self.args.timeout:
                        del f.pending[token]
                        self.missing += 1
                        self.errors.append("%s: no %s within %.1f s" % (
                            what, "PUSH_ACK" if expect == PUSH_ACK else "PULL_ACK",
                            self.args.timeout))
            left = deadline - now
            if left <= 0:
                return
            ready, _, _ = select.select([f.sock for f in self.fwds], [], [], left)
            if not ready:
                continue
            for f in self.fwds:
                if f.sock in ready:
                    self.read(f)

    def read(self, f):
        while True:
            try:
                data = f.sock.recv(65536)
            except BlockingIOError:
                return
            except ConnectionRefusedError:
                self.errors.append("forwarder %s: server port unreachable" % f.eui.hex().upper())
                return
            now = time.monotonic()
            if len(data) != 4 or data[0] != VERSION or data[3] not in (PUSH_ACK, PULL_ACK):
                self.unexpected += 1
                self.errors.append("forwarder %s: unexpected datagram %s" % (
                    f.eui.hex().upper(), data[:16].hex()))
                continue
            token = data[1] << 8 | data[2]
            entry = f.pending.pop(token, None)
            if entry is None or entry[0] != data[3]:
                self.unexpected += 1
                self.errors.append("forwarder %s: ack type %d for unknown token %04x" % (
                    f.eui.hex().upper(), data[3], token))
                continue
            self.acked[data[3]] += 1
            self.latencies.append(now - entry[1])
            if self.args.verbose:
                print("ack  %s %s token %04x after %.1f ms" % (
                    f.eui.hex().upper(), "PUSH_ACK" if data[3] == PUSH_ACK else "PULL_ACK",
                    token, (now - entry[1]) * 1000))

    def wait_room(self):
        """Block until every forwarder may send another datagram (--window)."""
        while any(len(f.pending) >= self.args.window for f in self.fwds):
            self.poll(0.05)

    def pull(self):
        for f in self.fwds:
            token = f.new_token()
            self.send(f, f.header(PULL_DATA, token) + f.eui, token, PULL_ACK,
                      "PULL_DATA from %s" % f.eui.hex().upper())
            self.sent[PULL_DATA] += 1
        while self.outstanding():
            self.poll(0.05)

    def bad_rxpk(self, f, kind):
        """One bad entry of --bad-rxpk KIND."""
        frame = bytes.fromhex("40001F01260100000100112233")
        e = f.rxpk(frame, 0)
        if kind == "bad-base64":
            e["data"] = "*" + e["data"][1:]
        elif kind == "size-mismatch":
            e["size"] = len(frame) + 1
        elif kind == "no-data":
            del e["data"]
        else:
            e = 7
        return e

    def push_frames(self, frames):
        per = self.args.per_datagram
        groups = [frames[i:i + per] for i in range(0, len(frames), per)]
        for g, group in enumerate(groups):
            self.wait_room()
            for f in self.fwds:
                obj = {"rxpk": [f.rxpk(fr, g * per + k) for k, fr in enumerate(group)]}
                # The bad entries go in the middle: neither the frames before them nor those
                # after may be lost.
                half = (len(obj["rxpk"]) + 1) // 2
                obj["rxpk"][half:half] = [self.bad_rxpk(f, k) for k in self.args.bad_rxpk]
                if self.args.stat:
                    obj["stat"] = self.stat_obj(f)
                token = f.new_token()
                body = json.dumps(obj, separators=(",", ":")).encode()
                self.send(f, f.push_data(body, token), token, PUSH_ACK,
                          "PUSH_DATA %d from %s" % (g, f.eui.hex().upper()))
                self.sent[PUSH_DATA] += 1
                if self.args.gap_ms > 0 and len(self.fwds) > 1:
                    time.sleep(self.args.gap_ms / 1000.0)
            if self.args.window <= 1:
                while self.outstanding():
                    self.poll(0.05)
        while self.outstanding():
            self.poll(0.05)

    def stat_obj(self, f):
        return {"time": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M:%S GMT"), "lati": 46.24 + f.index / 100.0, "long": 3.2523,
            "alti": 145, "rxnb": 2, "rxok": 2, "rxfw": 2, "ackr": 100.0, "dwnb": 0, "txnb": 0}

    def push_stat_only(self):
        for f in self.fwds:
            token = f.new_token()
            body = json.dumps({"stat": self.stat_obj(f)}).encode()
            self.send(f, f.push_data(body, token), token, PUSH_ACK,
                      "stat PUSH_DATA from %s" % f.eui.hex().upper())
            self.sent[PUSH_DATA] += 1
        while self.outstanding():
            self.poll(0.05)

    def malformed(self, kind, frames):
        """One bad datagram from the first forwarder; nothing may come back."""
        f = self.fwds[0]
        token = f.new_token()
        frame = frames[0] if frames else bytes.fromhex("40001F01260100000100112233")
        good = f.rxpk(frame, 0)
        if kind == "bad-json":
            dg = f.push_data(b'{"rxpk":[{"stat":1,"data":', token)
        elif kind == "bad-rxpk-array":
            dg = f.push_data(json.dumps({"rxpk": good}).encode(), token)
        elif kind == "wrong-version":
            dg = f.header(PUSH_DATA, token, version=1) + f.eui + json.dumps(
                {"rxpk": [good]}).encode()
        elif kind == "oversized":
            pad = " " * (20000 - 12 - len(json.dumps({"rxpk": [good]})))
            dg = f.push_data((json.dumps({"rxpk": [good]}) + pad).encode(), token)
        elif kind == "short":
            dg = bytes([VERSION, token >> 8, token & 0xFF])
        elif kind == "unknown-ident":
            dg = f.header(7, token) + f.eui
        else:
            die("unknown --malformed kind %r" % kind)
        try:
            f.sock.send(dg)
        except OSError as e:
            self.errors.append("malformed %s: send: %s" % (kind, e))
            self.missing += 1
            return
        self.sent["malformed"] += 1
        # Any answer to a datagram the server must drop is a failure.
        f.pending[token] = (None, time.monotonic(), "malformed " + kind)
        end = time.monotonic() + self.args.quiet
        while time.monotonic() < end:
            ready, _, _ = select.select([f.sock], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                continue
            try:
                data = f.sock.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionRefusedError:
                self.errors.append("malformed %s: server port unreachable" % kind)
                self.missing += 1
                break
            self.unexpected += 1
            self.errors.append("malformed %s: server answered %s" % (kind, data[:16].hex()))
        f.pending.pop(token, None)

    def summary(self):
        lat = sorted(self.latencies)
        p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else None
        for e in self.errors[:20]:
            print("error: " + e)
        if len(self.errors) > 20:
            print("error: ... %d more" % (len(self.errors) - 20))
        line = "pfwd_emu: %d PUSH_DATA, %d PUSH_ACK; %d PULL_DATA, %d PULL_ACK; " % (
            self.sent[PUSH_DATA], self.acked[PUSH_ACK], self.sent[PULL_DATA],
            self.acked[PULL_ACK])
        if self.sent["malformed"]:
            line += "%d malformed sent; " % self.sent["malformed"]
        line += "%d missing, %d unexpected" % (self.missing, self.unexpected)
        if lat:
            line += "; ack latency p50 %.1f ms, max %.1f ms" % (p(0.5), lat[-1] * 1000)
        print(line)
        return self.missing == 0 and self.unexpected == 0


def main():
    ap = argparse.ArgumentParser(
        description="Semtech UDP packet-forwarder (v2) emulator for tinyfleet tests.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--server", required=True, help="the daemon's [lora] listen, HOST:PORT")
    ap.add_argument("--eui", action="append", type=parse_eui, default=[],
                    help="a forwarder's gateway EUI (16 hex digits); repeat for more forwarders")
    ap.add_argument("frames", nargs="*",
                    help="frames in hex; '-' (or none) reads stdin, one a line")
    ap.add_argument("--pull", action="store_true", help="send PULL_DATA first, expect PULL_ACK")
    ap.add_argument("--stat", action="store_true", help="add a stat object to every PUSH_DATA")
    ap.add_argument("--stat-only", action="store_true", help="send one PUSH_DATA with only stat")
    ap.add_argument("--malformed", choices=sorted(MALFORMED), action="append", default=[],
                    metavar="KIND",
                    help="send a bad datagram of this KIND (repeatable), built around the first "
                    "frame given if any, and expect no answer: " +
                    "; ".join("%s: %s" % kv for kv in sorted(MALFORMED.items())))
    ap.add_argument("--bad-rxpk", choices=sorted(BAD_RXPK), action="append", default=[],
                    help="add a bad rxpk entry of this kind to every PUSH_DATA of frames "
                    "(repeatable); the PUSH_ACK is still expected")
    ap.add_argument("--per-datagram", type=int, default=1, metavar="N",
                    help="rxpk entries per PUSH_DATA (default 1)")
    ap.add_argument("--window", type=int, default=1, metavar="W",
                    help="PUSH_DATA awaiting their ack per forwarder (default 1: lock step)")
    ap.add_argument("--gap-ms", type=float, default=2.0,
                    help="delay between the forwarders' copies of one frame (default 2 ms)")
    ap.add_argument("--timeout", type=float, default=3.0, help="ack timeout, s (default 3)")
    ap.add_argument("--quiet", type=float, default=0.5,
                    help="how long a malformed datagram must stay unanswered, s (default 0.5)")
    ap.add_argument("--seed", type=int, help="seed for tokens and tmst (default: random)")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per ack")
    args = ap.parse_args()

    if not args.eui:
        die("give at least one --eui")
    if args.per_datagram < 1 or args.window < 1:
        die("--per-datagram and --window must be at least 1")
    if args.seed is not None:
        random.seed(args.seed)
    else:
        random.seed(os.urandom(8))

    texts = []
    for a in args.frames:
        texts.extend(sys.stdin.read().split() if a == "-" else [a])
    if not args.frames and not (args.malformed or args.pull or args.stat_only):
        texts = sys.stdin.read().split()
    frames = [parse_frame(t) for t in texts]

    emu = Emulator(args)
    t0 = time.monotonic()
    if args.pull:
        emu.pull()
    if args.stat_only:
        emu.push_stat_only()
    if frames and not args.malformed:
        emu.push_frames(frames)
    for kind in args.malformed:
        emu.malformed(kind, frames)
    took = time.monotonic() - t0
    ok = emu.summary()
    if frames and not args.malformed and took > 0:
        print("pfwd_emu: %d frames x %d forwarders in %.3f s (%.0f frames/s per forwarder)" % (
            len(frames), len(emu.fwds), took, len(frames) / took))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
