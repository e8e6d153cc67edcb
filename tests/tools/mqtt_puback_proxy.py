#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mqtt_puback_proxy.py - a TCP proxy between one MQTT client and a broker that loses the
broker's PUBACKs, for tinyfleet's tests. Python 3 standard library only.

Everything the client sends reaches the broker, and everything the broker sends reaches the
client (CONNACK, PINGRESP, ...) except the PUBACK packets (MQTT 3.1.1 section 3.4, fixed
header type 4) on the first --lossy connections: a broker that answers pings but never
acknowledges a publication, as a stuck broker or a bad middlebox looks to the client. Later
connections are forwarded unchanged. Each connection has its own connection to the broker.

On stderr: "listening" once it accepts connections, then "connection N (lossy|clean)" and
"dropped PUBACK mid M" lines. Stop it with a signal (SIGTERM).

Example: mqtt_puback_proxy.py --listen 127.0.0.1:18830 --broker 127.0.0.1:1883 --lossy 1
"""

import argparse
import socket
import sys
import threading

PUBACK = 4


def log(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def close_both(a, b):
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def split_packet(buf):
    """The length of the first whole MQTT packet in buf, 0 when it is not complete yet, -1
    when the remaining length is malformed (more than 4 bytes, section 2.2.3)."""
    length = 0
    mult = 1
    for i in range(1, 5):
        if i >= len(buf):
            return 0
        length += (buf[i] & 0x7F) * mult
        mult *= 128
        if buf[i] & 0x80 == 0:
            total = i + 1 + length
            return total if len(buf) >= total else 0
    return -1


def client_to_broker(client, broker):
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            broker.sendall(data)
    except OSError:
        pass
    close_both(client, broker)


def broker_to_client(broker, client, lossy):
    buf = b""
    try:
        while True:
            data = broker.recv(65536)
            if not data:
                break
            buf += data
            out = []
            while buf:
                n = split_packet(buf)
                if n == 0:
                    break
                if n < 0:  # not MQTT as we know it: pass everything on unchanged
                    out.append(buf)
                    buf = b""
                    break
                packet, buf = buf[:n], buf[n:]
                if lossy and packet[0] >> 4 == PUBACK and n == 4:
                    log("dropped PUBACK mid %d" % int.from_bytes(packet[2:4], "big"))
                    continue
                out.append(packet)
            if out:
                client.sendall(b"".join(out))
    except OSError:
        pass
    close_both(client, broker)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--listen", required=True, type=address, help="HOST:PORT to listen on")
    p.add_argument("--broker", required=True, type=address, help="HOST:PORT of the broker")
    p.add_argument("--lossy", type=int, default=1,
                   help="how many connections, from the first, lose their PUBACKs (default 1)")
    args = p.parse_args()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(args.listen)
    srv.listen(8)
    log("listening")
    n = 0
    while True:
        client, _ = srv.accept()
        n += 1
        try:
            broker = socket.create_connection(args.broker)
        except OSError as e:
            log("connection %d: broker unreachable: %s" % (n, e))
            client.close()
            continue
        for s in (client, broker):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lossy = n <= args.lossy
        log("connection %d (%s)" % (n, "lossy" if lossy else "clean"))
        threading.Thread(target=client_to_broker, args=(client, broker), daemon=True).start()
        threading.Thread(target=broker_to_client, args=(broker, client, lossy),
                         daemon=True).start()


if __name__ == "__main__":
    main()
