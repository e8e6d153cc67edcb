#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench-web-page.py CHROMIUM URL NODES RUNS - the status page's load in headless Chromium, as
a person opening it sees it, for tools/bench-web.sh.

Chromium is driven through the DevTools protocol over --remote-debugging-pipe (fds 3 and 4,
no WebSocket library needed). The browser cache is disabled, so every load fetches every file.
A script Chromium runs before the page's own (addScriptToEvaluateOnNewDocument, which the
page's Content-Security-Policy does not cover) watches the DOM and notes, on the page's own
clock (performance.now(), 0 = navigation start), when the node table's pager counts NODES
nodes with its first page of rows built and the map has NODES node markers on its canvas
(data-nodes-drawn), and when the frame after that was done (the first task after the next
requestAnimationFrame, so the canvas is painted and the table laid out): that is "drawn", the
figure held to the target. Prints one line per load: the first load of a fresh
browser, then RUNS more. Every number is measured by this run.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

WATCH = """
(() => {
  const want = %d;
  window.__tf = {};
  const seen = () => {
    const pager = document.getElementById("pager"), map = document.getElementById("map");
    return pager && map && Number(pager.getAttribute("data-total")) >= want &&
      document.querySelectorAll("#nodes tbody tr[data-devaddr]").length >=
        Math.min(want, Number(pager.getAttribute("data-size") || 50)) &&
      Number(map.getAttribute("data-nodes-drawn")) >= want;
  };
  new MutationObserver((_, obs) => {
    if (window.__tf.ready || !seen()) return;
    window.__tf.ready = performance.now();
    obs.disconnect();
    // Leaflet's canvas paints in the next animation frame (its callback was asked for first);
    // the task after that frame runs once the frame's style, layout and paint are done.
    requestAnimationFrame(() => setTimeout(() => { window.__tf.drawn = performance.now(); }, 0));
  }).observe(document, { subtree: true, childList: true, attributes: true });
})();
"""

# Evaluated once the load event fired: waits for "drawn", then reports the timings.
REPORT = """
new Promise((resolve, reject) => {
  const t0 = Date.now();
  const step = () => {
    if (window.__tf && window.__tf.drawn) {
      const nav = performance.getEntriesByType("navigation")[0];
      const res = performance.getEntriesByType("resource").map(r => ({
        name: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd,
        bytes: r.encodedBodySize }));
      resolve(JSON.stringify({ html: nav.responseEnd, dcl: nav.domContentLoadedEventEnd,
        load: nav.loadEventEnd, ready: window.__tf.ready, drawn: window.__tf.drawn, res: res }));
    } else if (Date.now() - t0 > 30000) {
      reject(new Error("the page never showed every node"));
    } else {
      setTimeout(step, 10);
    }
  };
  step();
})
"""


class Browser:
    """Chromium headless with the DevTools protocol on a pair of pipes."""

    def __init__(self, chromium, profile):
        to_chrome, self.w = os.pipe()
        self.r, from_chrome = os.pipe()

        def fds():
            a = os.dup(to_chrome)
            b = os.dup(from_chrome)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--remote-debugging-pipe", "--user-data-dir=" + profile, "--window-size=1400,1000",
             "--no-first-run", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, close_fds=False)
        os.close(to_chrome)
        os.close(from_chrome)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                sys.exit("bench-web: Chromium closed its DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    sys.exit("bench-web: %s: %s" % (method, m["error"]))
                return m["result"]
            self.events.append(m)

    def wait_event(self, method, session):
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method and m.get("sessionId") == session:
                    del self.events[: i + 1]
                    return m
            self.events.append(self._read())

    def close(self):
        try:
            self.call("Browser.close")
        except SystemExit:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def load(b, s, url):
    b.events.clear()
    b.call("Page.navigate", s, url=url)
    b.wait_event("Page.loadEventFired", s)
    r = b.call("Runtime.evaluate", s, expression=REPORT, awaitPromise=True, returnByValue=True)
    if "exceptionDetails" in r:
        sys.exit("bench-web: " + r["exceptionDetails"].get("exception", {}).get(
            "description", "the page failed"))
    return json.loads(r["result"]["value"])


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: bench-web-page.py CHROMIUM URL NODES RUNS")
    chromium, url, nodes, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with tempfile.TemporaryDirectory() as profile:
        b = Browser(chromium, profile)
        try:
            target = b.call("Target.createTarget", url="about:blank")["targetId"]
            s = b.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            b.call("Page.enable", s)
            b.call("Network.enable", s)
            b.call("Network.setCacheDisabled", s, cacheDisabled=True)
            b.call("Page.addScriptToEvaluateOnNewDocument", s, source=WATCH % nodes)
            rows = []
            for i in range(runs + 1):
                t = time.monotonic()
                r = load(b, s, url)
                r["wall"] = (time.monotonic() - t) * 1000
                rows.append(r)
                b.call("Page.navigate", s, url="about:blank")
                b.wait_event("Page.loadEventFired", s)
        finally:
            b.close()
    files = ["/leaflet/leaflet.css", "/app.css", "/leaflet/leaflet.min.js", "/app.js", "/api/status"]
    print("%-10s %6s %6s %6s %7s %7s   %s" % ("load", "html", "DCL", "load", "nodes", "drawn",
                                           "each file: start..end ms (kB)"))
    for i, r in enumerate(rows):
        res = {}
        for e in r["res"]:
            res.setdefault(e["name"], e)
        parts = ["%s %.0f..%.0f (%.0f)" % (f.rsplit("/", 1)[1], res[f]["start"], res[f]["end"],
                                           res[f]["bytes"] / 1024) for f in files if f in res]
        print("%-10s %6.0f %6.0f %6.0f %7.0f %7.0f   %s" % (
            "first" if i == 0 else "again %d" % i, r["html"], r["dcl"], r["load"], r["ready"],
            r["drawn"], ", ".join(parts)))
    drawn = sorted(r["drawn"] for r in rows[1:]) or [rows[0]["drawn"]]
    print("drawn_first_ms=%.0f" % rows[0]["drawn"])
    print("drawn_median_ms=%.0f" % drawn[len(drawn) // 2])
    print("drawn_max_ms=%.0f" % max(r["drawn"] for r in rows))


if __name__ == "__main__":
    main()
