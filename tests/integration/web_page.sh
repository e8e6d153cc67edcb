#!/bin/sh
# SPDX-License-Identifier: MIT
# tinyfleet-web as an operator sees it: 503 while the gateway has no database; then a short
# fleet (config/scenarios/savanna.ini: an elephant herd past five sensors, LoRa and CoAP) fills
# one through tinyfleetd, with a node named <script>alert(1)</script> beside it. The page is
# opened in headless Chromium: the DOM shows every node (on one page, over two pages of 4, on
# the map's canvas), every active alert, the script name as text (also filtered), and a
# screenshot goes to $BUILD/web-page.png. The JSON API and /metrics answer
# what the database holds; 400, 404 and 405 for bad requests; 503 while the database is
# locked; `promtool check metrics` passes and a real Prometheus scraping /metrics returns a
# value through its HTTP API; basic authentication with a SHA-512 crypt hash.
# Run from the repository root: BUILD=/abs/build sh tests/integration/web_page.sh

# shellcheck disable=SC2317 # helpers are run by check and eval, which shellcheck does not follow
set -u

NAME=web_page
# shellcheck source=tests/integration/common.inc
. tests/integration/common.inc

W="$BUILD/tinyfleet-web"
N="$BUILD/tinyfleet-node"
SAV=config/scenarios/savanna.ini
PROMETHEUS=$(command -v prometheus || echo /usr/bin/prometheus)
CHROMIUM=$(command -v chromium || echo /usr/bin/chromium)

# tcp_ports VAR...: free TCP ports on 127.0.0.1.
tcp_ports() {
    ports=$(python3 -c 'import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s:
    x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$#") || return 1
    for var in "$@"; do
        eval "$var=\${ports%% *}"
        ports=${ports#* }
    done
}

# code_of STATUS PATH [CURL-ARGS...]: GET http://127.0.0.1:$WEB/PATH answers STATUS; the body
# in $tmp/body, what went wrong in $tmp/why.
code_of() {
    want=$1
    p=$2
    shift 2
    code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$@" "http://127.0.0.1:$WEB$p")
    [ "$code" = "$want" ] && return 0
    echo "$p: got $code, wanted $want: $(head -c 300 "$tmp/body")" >"$tmp/why"
    return 1
}

# body_py EXPR: the last body as JSON j, EXPR holds.
body_py() {
    python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else "no: " + json.dumps(j)[:400])' "$tmp/body" "$1" \
        >"$tmp/why" 2>&1
}

free_ports COAP LORA
tcp_ports WEB WEB2 PROM
write_conf "$conf" webtest "$db" "127.0.0.1:$COAP" "127.0.0.1:$LORA" synchronous=normal
printf '%s\n' "[web]" "listen = 127.0.0.1:$WEB" "[zone.corridor]" "lat = -2.66" "lon = 37.26" \
    "radius_m = 2000" "[rule.elephant]" "type = cluster" "class = elephant" "window_s = 600" \
    "min_nodes = 2" "watch_confidence = 0.5" "warning_confidence = 0.75" \
    "clear_after_s = 600" >>"$conf"

# Prometheus starts now (a few seconds on a busy machine) and scrapes /metrics every second
# from here on: 503 until the fleet has filled the database.
printf '%s\n' "global:" "  scrape_interval: 1s" "scrape_configs:" "  - job_name: tinyfleet" \
    "    static_configs:" "      - targets: [\"127.0.0.1:$WEB\"]" >"$tmp/prometheus.yml"
"$PROMETHEUS" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
    --web.listen-address="127.0.0.1:$PROM" >"$tmp/prom.log" 2>&1 &
prompid=$!
pids="$pids $prompid"

# --- no database yet: 503, not a crash ---------------------------------------------------------
"$W" -c "$conf" 2>"$tmp/web.log" &
wpid=$!
pids="$pids $wpid"
check "tinyfleet-web starts and logs where it serves" "$tmp/web.log" \
    wait_for "$tmp/web.log" "serving http://127.0.0.1:$WEB/" 10
check "no database: /api/status 503 with the reason" "$tmp/why" \
    eval 'code_of 503 /api/status &&
        body_py "j[\"error\"] == \"database unavailable: no database file\""'
check "no database: /metrics 503, and no file created" "$tmp/why" \
    eval 'code_of 503 /metrics && [ ! -e "$db" ]'

# --- the fleet ------------------------------------------------------------------------------------
register() {
    "$N" fleet --scenario "$SAV" --list >"$tmp/list" 2>&1 || return 1
    python3 -c 'import json, math, subprocess, sys
for l in open(sys.argv[1]):
    n = json.loads(l)
    lat = -2.66 + n["y"] / 111320.0
    lon = 37.26 + n["x"] / (111320.0 * math.cos(math.radians(-2.66)))
    subprocess.run([sys.argv[2], "--db", sys.argv[3], "node", "add", n["devaddr"], "--name",
                    n["name"], "--nwkskey", n["nwkskey"], "--appskey", n["appskey"], "--profile",
                    n["profile"], "--lat", "%.6f" % lat, "--lon", "%.6f" % lon],
                   check=True, capture_output=True)' "$tmp/list" "$T" "$db" &&
        "$T" --db "$db" node add 26019999 --name '<script>alert(1)</script>' --profile elephant \
            --lat -2.655 --lon 37.25 --nwkskey "$NK" --appskey "$AK" >/dev/null
}
check "savanna.ini's 5 nodes and a node named <script>alert(1)</script> registered" "$tmp/list" \
    register
check "tinyfleetd starts" "$log" start_daemon "$log"
"$N" fleet --scenario "$SAV" --coap "coap://127.0.0.1:$COAP/up" --forwarder "127.0.0.1:$LORA" \
    --speed 400 --duration-s 900 >"$tmp/fleet.out" 2>"$tmp/fleet.err"
rc=$?
check "the fleet ran: exit 0" "$tmp/fleet.err" [ "$rc" -eq 0 ]
stop_daemon TERM 10
check "tinyfleetd stopped: exit 0" "$log" [ "$rc" = 0 ]

# --- the JSON API ----------------------------------------------------------------------------------
check "/api/status: 6 nodes, elephant alerts active, LoRa and CoAP frames seen" "$tmp/why" \
    eval 'code_of 200 /api/status && body_py "len(j[\"nodes\"]) == 6 and
        len(j[\"alerts\"]) >= 1 and all(a[\"class\"] == \"elephant\" for a in j[\"alerts\"]) and
        any(n[\"state\"] == \"alerting\" for n in j[\"nodes\"]) and
        {n[\"bearer\"] for n in j[\"nodes\"]} >= {\"lora\", \"coap\"} and
        j[\"zones\"][0][\"name\"] == \"corridor\""'
cp "$tmp/body" "$tmp/status.json"
check "/api/status never shows a key" "$tmp/status.json" \
    eval '! grep -qi -e "$NK" -e 44024241ED4CE9A6 -e EC925802AE430CA7 -e skey "$tmp/status.json"'
check "/api/transitions: newest first" "$tmp/why" \
    eval 'code_of 200 "/api/transitions?hours=24&limit=1000" && body_py "j[\"transitions\"] and
        [t[\"time\"] for t in j[\"transitions\"]] ==
        sorted([t[\"time\"] for t in j[\"transitions\"]], reverse=True)"'
check "/api/node: the CoAP node's events, battery and receptions" "$tmp/why" \
    eval 'code_of 200 "/api/node?devaddr=26012003" && body_py "j[\"node\"][\"name\"] == \"fence-mid\"
        and len(j[\"events\"]) >= 1 and len(j[\"battery\"]) >= 1 and
        j[\"reception\"][0][\"bearer\"] == \"coap\""'
check "404: an unknown path, a node not registered, a path out of Leaflet's directory" \
    "$tmp/why" eval 'code_of 404 /nope && code_of 404 "/api/node?devaddr=2601ABCD" &&
        code_of 404 /api/nodes && code_of 404 /leaflet/..%2F..%2F..%2Fetc%2Fpasswd &&
        code_of 200 /leaflet/leaflet.js'
check "400: bad or unknown query parameters, with the reason" "$tmp/why" \
    eval 'code_of 400 "/api/node?devaddr=26012" && code_of 400 "/api/node" &&
        code_of 400 "/api/transitions?hours=0" && code_of 400 "/api/transitions?limit=x" &&
        code_of 400 "/api/status?debug=1" && code_of 400 "/metrics?x" &&
        code_of 400 "/api/transitions?hours=1&hours=2" && grep -q "given twice" "$tmp/body"'
check "405: POST" "$tmp/why" eval 'code_of 405 / -X POST'

# --- the page in a browser -----------------------------------------------------------------------------
# browse [FRAGMENT [CHROMIUM-ARGS...]]: the page (at #FRAGMENT: the node table's filter, page
# and page size) in headless Chromium.
browse() {
    frag=${1:-}
    [ $# -gt 0 ] && shift
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$tmp/chromium" --window-size=1400,1000 --virtual-time-budget=4000 "$@" \
        "http://127.0.0.1:$WEB/${frag:+#$frag}" 2>"$tmp/chromium.err"
}
# dom.py DOM...: what the node table, its pager and the map hold, as JSON.
cat >"$tmp/dom.py" <<'PY'
import html.parser, json, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.pager, self.map = {}, {}, {}
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "tr" and "data-devaddr" in a:
            self.rows[a["data-devaddr"]] = a["data-state"]
        if a.get("id") == "pager":
            self.pager = a
        if a.get("id") == "map":
            self.map = a
p = P()
p.feed(open(sys.argv[1]).read())
print(json.dumps({"rows": p.rows, "pager": p.pager,
                  "drawn": sorted((p.map.get("data-devaddrs") or "").split())}))
PY
browse "" --dump-dom >"$tmp/dom.html"
browse "size=4" --dump-dom >"$tmp/dom-p1.html"
browse "size=4&page=2" --dump-dom >"$tmp/dom-p2.html"
browse "filter=SCRIPT" --dump-dom >"$tmp/dom-f.html"
for f in dom dom-p1 dom-p2 dom-f; do
    python3 "$tmp/dom.py" "$tmp/$f.html" >"$tmp/$f.json" 2>>"$tmp/chromium.err"
done
# dom_py EXPR: EXPR holds of st (/api/status), d, p1, p2, f (dom.py of each page above).
dom_py() {
    python3 -c 'import json, sys
st = json.load(open(sys.argv[1]))
d, p1, p2, f = (json.load(open(x)) for x in sys.argv[3:7])
want = {n["devaddr"]: n["state"] for n in st["nodes"]}
sys.exit(0 if eval("(" + sys.argv[2] + ")") else "no: %s\nwant %s" % (json.dumps([d, p1, p2, f]), want))' \
        "$tmp/status.json" "$1" "$tmp/dom.json" "$tmp/dom-p1.json" "$tmp/dom-p2.json" \
        "$tmp/dom-f.json" >"$tmp/why" 2>&1
}
check "Chromium: every node in the page's node table, with its state; the pager counts 6" \
    "$tmp/why" dom_py 'd["rows"] == want and len(want) == 6 and d["pager"]["data-total"] == "6"'
check "Chromium: 4 nodes a page: page 1 and page 2 together show every node, once" "$tmp/why" \
    dom_py 'len(p1["rows"]) == 4 and len(p2["rows"]) == 2 and not set(p1["rows"]) & set(p2["rows"])
        and dict(p1["rows"], **p2["rows"]) == want and p2["pager"]["data-pages"] == "2"'
check "Chromium: every node drawn on the map (its canvas' list of DevAddrs)" "$tmp/why" \
    dom_py 'd["drawn"] == sorted(n["devaddr"] for n in st["nodes"] if n["lat"] is not None)
        and len(d["drawn"]) == 6'
check "Chromium: the filter 'SCRIPT' shows the node named <script>alert(1)</script> alone" \
    "$tmp/why" dom_py 'list(f["rows"]) == ["26019999"] and f["pager"]["data-matching"] == "1"'
check "Chromium: every active alert listed, and drawn on the map at its centroid" \
    "$tmp/dom.html" python3 -c 'import json, re, sys
dom = open(sys.argv[1]).read()
st = json.load(open(sys.argv[2]))
active = re.search(r"<table id=\"alerts\">.*?</table>", dom, re.S).group(0)
ids = sorted(int(x) for x in re.findall(r"data-alert-id=\"(\d+)\"", active))
markers = len(re.findall(r"<path[^>]*stroke-width=\"4\"", dom))
want = sorted(a["id"] for a in st["alerts"])
placed = len([a for a in st["alerts"] if a["lat"] is not None])
sys.exit(0 if ids == want and markers == placed and placed > 0
         else "ids %s markers %d want %s" % (ids, markers, want))' "$tmp/dom.html" \
    "$tmp/status.json"
# script_text DOM: the script-named node is a cell's text, and no such script element exists.
script_text() {
    grep -qF "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" "$1" &&
        ! grep -qF "<script>alert(1)" "$1"
}
check "Chromium: the node named <script>alert(1)</script> is text, not a script (all, filtered)" \
    "$tmp/dom.html" eval 'script_text "$tmp/dom.html" && script_text "$tmp/dom-f.html"'
check "Chromium: the zone drawn on the map with a scale, nodes on a canvas, without tiles" \
    "$tmp/dom.html" eval 'grep -q "leaflet-control-scale" "$tmp/dom.html" &&
        grep -q "<canvas[^>]*tf-nodes" "$tmp/dom.html" &&
        [ "$(grep -o "leaflet-interactive" "$tmp/dom.html" | wc -l)" -ge 2 ] &&
        ! grep -q "<img[^>]*leaflet-tile" "$tmp/dom.html"'
# The link an Alertmanager notification carries: [web] public_url#alert=ID.
alert_id=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["alerts"][0]["id"])' "$tmp/status.json")
browse "alert=$alert_id" --dump-dom >"$tmp/dom-a.html"
check "Chromium: #alert=$alert_id marks that alert's row, and no other" "$tmp/dom-a.html" \
    python3 -c 'import re, sys
rows = re.findall(r"<tr ([^>]*data-alert-id=[^>]*)>", open(sys.argv[1]).read())
marked = [r for r in rows if re.search(r"class=\"sel\"", r)]
sys.exit(0 if marked and all("data-alert-id=\"%s\"" % sys.argv[2] in r for r in marked)
         else "marked rows: %s" % marked)' "$tmp/dom-a.html" "$alert_id"
rm -f "$BUILD/web-page.png"
browse "" --screenshot="$BUILD/web-page.png" >/dev/null
check "Chromium: a screenshot of the page in $BUILD/web-page.png" "$tmp/chromium.err" \
    eval '[ "$(head -c 8 "$BUILD/web-page.png" | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a ]'

# --- /metrics, promtool and Prometheus ----------------------------------------------------------------
code_of 200 /metrics
cp "$tmp/body" "$tmp/metrics"
check "/metrics: promtool check metrics passes" "$tmp/promtool" \
    eval 'promtool check metrics <"$tmp/metrics" >"$tmp/promtool" 2>&1'
accepted=$(sed -n 's/^tinyfleet_frames_total{bearer="lora",reason="accepted"} //p' "$tmp/metrics")
stored=$(sqlite3 "file:$db?mode=ro" "SELECT count(*) FROM frames WHERE bearer = 'lora'")
check "/metrics: LoRa frames accepted ($accepted) = LoRa frames stored ($stored)" \
    "$tmp/metrics" [ -n "$accepted" ] && [ "$accepted" = "$stored" ]
check "/metrics: 6 nodes by state, an active elephant alert" "$tmp/metrics" python3 -c '
import re, sys
t = open(sys.argv[1]).read()
nodes = sum(int(v) for v in re.findall(r"^tinyfleet_nodes\{state=\"\w+\"\} (\d+)$", t, re.M))
alerts = sum(int(v) for v in re.findall(
    r"^tinyfleet_alerts_active\{class=\"elephant\",level=\"\w+\"\} (\d+)$", t, re.M))
sys.exit(0 if nodes == 6 and alerts >= 1 else 1)' "$tmp/metrics"
prom_value() {
    n=0
    while [ "$n" -lt 60 ]; do
        curl -s -G "http://127.0.0.1:$PROM/api/v1/query" \
            --data-urlencode 'query=tinyfleet_frames_total{bearer="lora",reason="accepted"}' \
            >"$tmp/prom.json" 2>/dev/null
        got=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["data"]["result"]
print(r[0]["value"][1] if r else "")' "$tmp/prom.json" 2>/dev/null)
        [ -n "$got" ] && [ "$got" = "$accepted" ] && return 0
        sleep 0.5
        n=$((n + 1))
    done
    cat "$tmp/prom.log" >>"$tmp/prom.json"
    return 1
}
check "Prometheus scrapes /metrics; its HTTP API returns the LoRa accepted count" \
    "$tmp/prom.json" prom_value
kill -TERM "$prompid" 2>/dev/null
wait "$prompid" 2>/dev/null

# --- locked: 503, then fine again ----------------------------------------------------------------------
# A writer in exclusive locking mode keeps even WAL readers out.
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA locking_mode = EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
c.execute("UPDATE counters SET count = count")
open(sys.argv[2], "w").close()
time.sleep(1.5)
c.execute("ROLLBACK")' "$db" "$tmp/locked" &
lockpid=$!
pids="$pids $lockpid"
n=0
while [ ! -e "$tmp/locked" ] && [ "$n" -lt 50 ]; do
    sleep 0.1
    n=$((n + 1))
done
check "the database locked by a writer: 503 'locked'" "$tmp/why" \
    eval 'code_of 503 /api/status && body_py "j[\"error\"] == \"database unavailable: locked\""'
wait "$lockpid"
check "...and 200 once the lock is gone; tinyfleet-web still running" "$tmp/why" \
    eval 'code_of 200 /api/status && alive "$wpid"'

kill -TERM "$wpid"
wait_exit "$wpid" 5
check "SIGTERM: tinyfleet-web exits 0" "$tmp/web.log" [ "$rc" = 0 ]

# --- basic authentication ------------------------------------------------------------------------------
hash=$(openssl passwd -6 -salt webtestsalt 'correct horse')
python3 -c 'import sys
src, dst, old, new, h = sys.argv[1:]
t = open(src).read().replace("listen = " + old + "\n",
                             "listen = %s\nuser = ranger\npassword_hash = %s\n" % (new, h))
open(dst, "w").write(t)' "$conf" "$tmp/auth.conf" "127.0.0.1:$WEB" "127.0.0.1:$WEB2" "$hash"
"$W" -c "$tmp/auth.conf" 2>"$tmp/web2.log" &
wpid=$!
pids="$pids $wpid"
WEB=$WEB2
check "with [web] user: starts" "$tmp/web2.log" wait_for "$tmp/web2.log" "serving" 10
check "401 without credentials, a wrong password or user, on / and /metrics" "$tmp/why" \
    eval 'code_of 401 / && code_of 401 /metrics && code_of 401 /api/status -u ranger:wrong &&
        code_of 401 /api/status -u "ranger2:correct horse" &&
        curl -s -D - -o /dev/null "http://127.0.0.1:$WEB/" | grep -qi "^WWW-Authenticate: Basic"'
check "200 with the right user and password" "$tmp/why" \
    eval 'code_of 200 /api/status -u "ranger:correct horse" &&
        code_of 200 / -u "ranger:correct horse"'
printf '[web]\nuser = a\npassword_hash = $9$x$y\n' >"$tmp/badhash.conf"
"$W" -c "$tmp/badhash.conf" --check >"$tmp/out" 2>"$tmp/err"
rc=$?
check_run "a hash libcrypt cannot compute: refused at start, exit 1" \
    eval 'rc_is 1 && stderr_has "password_hash: not a hash this system"'
kill -TERM "$wpid"
wait_exit "$wpid" 5

finish
