#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# The receivers the Alertmanager tests start on loopback, one per process:
#   webhook --port P --out FILE   an Alertmanager webhook receiver: each POST body (JSON) is
#                                 appended to FILE as one line, with "_received_ns" (the
#                                 wall clock when it came, for tools/bench-alert.sh); answers 200
#   smtp --port P --out FILE      an SMTP server (aiosmtpd): each mail is appended to FILE as
#                                 one JSON line {"to": [...], "subject": ..., "body": ...}
#   fake-am --port P --out FILE --mode 500|slow
#                                 an Alertmanager that fails: each POST body is appended to
#                                 FILE, then answered 500 at once, or never (the connection
#                                 is held open until the client gives up)
# Prints "listening" on stdout once the socket is bound. Runs until killed.
# Needs Debian's python3-aiosmtpd for smtp: run it with /usr/bin/python3.
import argparse
import email
import email.policy
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def append(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def http_server(port, out, mode):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode()
            received = time.time_ns()
            j = json.loads(body)
            if isinstance(j, dict):
                j["_received_ns"] = received
            append(out, json.dumps(j, separators=(",", ":")))
            if mode == "slow":
                time.sleep(3600)
                return
            self.send_response(500 if mode == "500" else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    print("listening", flush=True)
    srv.serve_forever()


def smtp_server(port, out):
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            part = msg.get_body(preferencelist=("plain", "html"))
            body = part.get_content() if part is not None else ""
            append(out, json.dumps({"to": envelope.rcpt_tos, "subject": str(msg["subject"]),
                                    "body": body}))
            return "250 OK"

    ctl = Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    print("listening", flush=True)
    threading.Event().wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["webhook", "smtp", "fake-am"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--mode", choices=["500", "slow"], default="500")
    a = p.parse_args()
    if a.kind == "smtp":
        smtp_server(a.port, a.out)
    else:
        http_server(a.port, a.out, a.mode if a.kind == "fake-am" else "ok")


if __name__ == "__main__":
    sys.exit(main())
