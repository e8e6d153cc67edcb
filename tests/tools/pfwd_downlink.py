#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pfwd_downlink.py - packet forwarders (Semtech UDP protocol v2, PROTOCOL.TXT) that hear
uplinks and take the server's downlinks, for tinyfleet's tests. Python 3 standard library.

Each --eui is one forwarder with its own UDP socket; it sends PULL_DATA first (the downlink
route), then every frame is heard by every forwarder at once (one PUSH_DATA each, with the
same concentrator tmst and a per-forwarder SNR: the first --eui hears best unless --snr says
otherwise). After each frame the forwarders listen --wait seconds for PULL_RESP. Each
PULL_RESP is checked as a forwarder would: txpk tmst against the uplink's tmst (RX1: 1 s
later on the uplink's freq and datr; RX2: 2 s later on 869.525 MHz SF12BW125; after a
JoinRequest join1 and join2, 5 s and 6 s later on the same channels), ipol true,
size equal to the data, and it must arrive before its tmst (a forwarder needs it ahead).
Then TX_ACK, as --txack says:
  ok              {"txpk_ack":{"error":"NONE"}} for each
  none            never answer (the server must not wait)
  ERROR           the first PULL_RESP of each frame gets that error (TOO_LATE,
                  COLLISION_PACKET, ...), later ones NONE
One JSON line per PULL_RESP on stdout: frame (index), eui, window ("rx1", "rx2", "join1",
"join2" or "bad"),
offset_us (txpk tmst - uplink tmst mod 2^32), lead_ms (time left until the window when it
came), ipol, freq, datr, powe, data (hex), answered (the TX_ACK error sent, or null).
Exit status: 0 when every PULL_RESP was well formed and
in a window; 1 otherwise; 2 for a usage error.

Example:
  pfwd_downlink.py --server 127.0.0.1:1700 --eui AA555A0000000101 --eui AA555A0000000102 \\
      --txack TOO_LATE 80001F0126...
"""

import argparse
import base64
import json
import os
import select
import socket
import sys
import time

VERSION = 2
PUSH_DATA, PUSH_ACK, PULL_DATA, PULL_RESP, PULL_ACK, TX_ACK = 0, 1, 2, 3, 4, 5
UP_FREQ, UP_DATR = 868.1, "SF7BW125"
RX2_FREQ, RX2_DATR = 869.525, "SF12BW125"


def die(msg):
    print("pfwd_downlink: " + msg, file=sys.stderr)
    sys.exit(2)


class Forwarder:
    def __init__(self, eui, snr, server):
        self.eui = bytes.fromhex(eui)
        self.name = eui.upper()
        self.snr = snr
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    def send(self, ident, token, body=b""):
        self.sock.sendto(bytes([VERSION, token >> 8, token & 255, ident]) + self.eui + body,
                         self.server)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="HOST:PORT of [lora] listen")
    ap.add_argument("--eui", action="append", required=True, help="a forwarder's EUI")
    ap.add_argument("--snr", action="append", type=float, default=[],
                    help="SNR of each forwarder in --eui order (default 9, 3, -3, ...)")
    ap.add_argument("--txack", default="ok", help="ok, none, or an error string")
    ap.add_argument("--wait", type=float, default=0.6, help="listening after each frame, s")
    ap.add_argument("--tmst", type=int, default=4294000000,
                    help="concentrator tmst of the first frame (default near the 2^32 wrap)")
    ap.add_argument("frames", nargs="+", help="PHYPayloads in hex")
    a = ap.parse_args()
    host, _, port = a.server.rpartition(":")
    server = (host, int(port))
    fwds = [Forwarder(e, a.snr[i] if i < len(a.snr) else 9.0 - 6.0 * i, server)
            for i, e in enumerate(a.eui)]
    ok = True
    token = int.from_bytes(os.urandom(2), "big")

    def pump(until, frame, tmst0, sent_at, answered_first):
        """Reads datagrams until @until; returns False on a bad one."""
        good = True
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return good, answered_first
            r, _, _ = select.select([f.sock for f in fwds], [], [], left)
            for f in fwds:
                if f.sock not in r:
                    continue
                d, _ = f.sock.recvfrom(65535)
                if len(d) < 4 or d[0] != VERSION or d[3] != PULL_RESP:
                    continue  # PUSH_ACK and PULL_ACK are counted by the sender's loop
                came = time.monotonic()
                try:
                    t = json.loads(d[4:])["txpk"]
                    data = base64.b64decode(t["data"], validate=True)
                except (ValueError, KeyError, TypeError) as e:
                    print(json.dumps({"frame": frame, "eui": f.name, "window": "bad",
                                      "error": str(e)}))
                    good = False
                    continue
                off = (t.get("tmst", 0) - tmst0) % (1 << 32)
                if off == 1000000 and t.get("freq") == UP_FREQ and t.get("datr") == UP_DATR:
                    window = "rx1"
                elif off == 2000000 and t.get("freq") == RX2_FREQ and t.get("datr") == RX2_DATR:
                    window = "rx2"
                elif off == 5000000 and t.get("freq") == UP_FREQ and t.get("datr") == UP_DATR:
                    window = "join1"
                elif off == 6000000 and t.get("freq") == RX2_FREQ and t.get("datr") == RX2_DATR:
                    window = "join2"
                else:
                    window = "bad"
                lead = (sent_at + off / 1e6 - came) * 1000.0
                well = (window != "bad" and t.get("ipol") is True and t.get("imme") is False
                        and t.get("size") == len(data) and t.get("modu") == "LORA" and lead > 0)
                good = good and well
                err = None
                if a.txack != "none":
                    err = "NONE" if a.txack == "ok" or answered_first else a.txack
                    answered_first = True
                    f.send(TX_ACK, d[1] << 8 | d[2],
                           json.dumps({"txpk_ack": {"error": err}}).encode())
                print(json.dumps({"frame": frame, "eui": f.name, "window": window,
                                  "offset_us": off, "lead_ms": round(lead, 1),
                                  "ipol": t.get("ipol"), "freq": t.get("freq"),
                                  "datr": t.get("datr"), "powe": t.get("powe"),
                                  "data": data.hex().upper(), "answered": err,
                                  "well_formed": well}), flush=True)

    for f in fwds:
        token = (token + 1) & 0xFFFF
        f.send(PULL_DATA, token)
    time.sleep(0.1)
    for f in fwds:  # the PULL_ACKs
        while select.select([f.sock], [], [], 0)[0]:
            f.sock.recvfrom(65535)
    for i, hexframe in enumerate(a.frames):
        phy = bytes.fromhex(hexframe)
        tmst = (a.tmst + i * 10000000) % (1 << 32)
        sent_at = time.monotonic()
        for f in fwds:
            token = (token + 1) & 0xFFFF
            rx = {"tmst": tmst, "chan": 0, "rfch": 0, "freq": UP_FREQ, "stat": 1,
                  "modu": "LORA", "datr": UP_DATR, "codr": "4/5", "rssi": -60 - int(f.snr),
                  "lsnr": f.snr, "size": len(phy), "data": base64.b64encode(phy).decode()}
            f.send(PUSH_DATA, token, json.dumps({"rxpk": [rx]}).encode())
        good, _ = pump(sent_at + a.wait, i, tmst, sent_at, False)
        ok = ok and good
    print("pfwd_downlink: %d frames, %s" % (len(a.frames), "ok" if ok else "bad PULL_RESP"),
          file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
