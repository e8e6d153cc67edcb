// SPDX-License-Identifier: MIT
// The status page: polls the JSON API (README, "Status page") and draws the map and the
// tables. Every value from the API reaches the page through textContent or as an attribute
// set with setAttribute: never as HTML, so a node named "<script>..." is shown as text.
"use strict";

const POLL_MS = 2000;        // /api/status
const HISTORY_POLL_MS = 10000; // /api/transitions and the open node
const STATE_COLOURS = { ok: "#2e7d32", alerting: "#d32f2f", offline: "#757575",
                        battery_low: "#f9a825", learning: "#1e88e5" };
const LEVEL_COLOURS = { watch: "#fdd835", warning: "#fb8c00", critical: "#c62828" };

let map = null;
let layers = null;
let nodeLayer = null;
let fitted = false;
let selected = null;
let lastStatus = null;

// The node table shows one page of the nodes that match the filter, those needing attention
// first: a thousand rows built and laid out at once took most of the first load. The view is
// kept in the URL's fragment (#filter=...&page=N&size=N) so it survives a reload and can be
// linked to; #alert=ID (the link Alertmanager notifications carry) marks that alert's rows.
const STATE_ORDER = { alerting: 0, offline: 1, battery_low: 2, learning: 3, ok: 4 };
const view = (() => {
  const q = new URLSearchParams(location.hash.slice(1));
  const int = (k, d, lo, hi) => { const v = parseInt(q.get(k), 10); return v >= lo && v <= hi ? v : d; };
  return { filter: q.get("filter") || "", page: int("page", 1, 1, 1e6), size: int("size", 50, 1, 1000),
    alert: /^[0-9]{1,18}$/.test(q.get("alert") || "") ? q.get("alert") : "" };
})();

// An element with a class and text (or children).
function el(tag, cls, ...content) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of content) {
    if (c instanceof Node) e.appendChild(c);
    else if (c !== undefined && c !== null) e.appendChild(document.createTextNode(String(c)));
  }
  return e;
}

function row(cells, attrs) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.appendChild(c instanceof Node && c.tagName === "TD" ? c : el("td", null, c));
  for (const [k, v] of Object.entries(attrs || {})) tr.setAttribute(k, v);
  return tr;
}

function fill(tableId, rows) {
  const frag = document.createDocumentFragment();
  for (const r of rows) frag.appendChild(r);
  document.getElementById(tableId).tBodies[0].replaceChildren(frag);
}

// Rows of an alert carry its id; those of the alert named by #alert=ID are marked.
function alertAttrs(id) {
  const attrs = { "data-alert-id": String(id) };
  if (view.alert && String(id) === view.alert) attrs["class"] = "sel";
  return attrs;
}

function badge(kind, value) {
  return el("span", "badge " + kind + "-" + String(value).replace(/[^a-z_]/g, ""), value);
}

function stateDot(state) {
  return el("span", null, el("span", "dot st-" + String(state).replace(/[^a-z_]/g, "")), state);
}

function ago(iso) {
  if (!iso) return "never";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 90) return Math.round(s) + " s ago";
  if (s < 5400) return Math.round(s / 60) + " min ago";
  if (s < 172800) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " d ago";
}

// Local time as YYYY-MM-DD HH:MM:SS, by hand: toLocaleString() loads the browser's locale data
// on first use, about 30 ms of a first load.
function localTime(iso) {
  if (!iso) return "";
  const d = new Date(iso), p = v => String(v).padStart(2, "0");
  return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " +
    p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
}

function num(v, digits, unit) {
  return v === null || v === undefined ? "-" : Number(v).toFixed(digits) + (unit || "");
}

async function getJSON(url) {
  const r = await fetch(url, { cache: "no-store", credentials: "same-origin" });
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) throw new Error((body && body.error) || ("HTTP " + r.status));
  return body;
}

function showError(msg) {
  const e = document.getElementById("error");
  e.textContent = msg || "";
  e.hidden = !msg;
}

// ---- the map ---------------------------------------------------------------------------
function initMap(status) {
  map = L.map("map", { zoomControl: true, attributionControl: !!status.tiles });
  if (status.tiles) {
    L.tileLayer(status.tiles, { maxZoom: 19, attribution: "map tiles" }).addTo(map);
  }
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  // Zones under the nodes, the nodes' canvas, alerts' rings on top.
  const pane = map.createPane("tf-nodes");
  pane.style.zIndex = 450;
  pane.style.pointerEvents = "none";   // the map's own events find the node under the pointer
  map.createPane("tf-alerts").style.zIndex = 460;
  layers = { zones: L.layerGroup().addTo(map), alerts: L.layerGroup().addTo(map) };
  nodeLayer = new (nodeLayerClass())().addTo(map);
}

function tip(lines) {
  const d = el("div");
  lines.forEach((l, i) => { if (i) d.appendChild(el("br")); d.appendChild(el(i ? "span" : "b", null, l)); });
  return d;
}

function drawMap(status) {
  if (typeof L === "undefined") return;   // Leaflet missing: the tables still work
  if (!map) initMap(status);
  const bounds = [];
  layers.zones.clearLayers();
  for (const z of status.zones) {
    const style = { color: z.critical ? "#c62828" : "#1f3b4d", weight: 2, fillOpacity: 0.08 };
    let shape;
    if (z.polygon) shape = L.polygon(z.polygon, style);
    else shape = L.circle([z.lat, z.lon], Object.assign({ radius: z.radius_m }, style));
    shape.bindTooltip(tip(["zone " + z.name, z.critical ? "critical" : ""]));
    shape.addTo(layers.zones);
    // A circle's own getBounds needs the map's view, which is set from these bounds.
    bounds.push(z.polygon ? shape.getBounds() : L.latLng(z.lat, z.lon).toBounds(2 * z.radius_m));
  }
  const placed = status.nodes.filter(n => n.lat !== null && n.lon !== null);
  if (placed.length) {
    const lats = placed.map(n => n.lat), lons = placed.map(n => n.lon);
    bounds.push(L.latLngBounds([Math.min(...lats), Math.min(...lons)], [Math.max(...lats), Math.max(...lons)]));
  }
  // The view is set before the nodes are drawn, so a first load projects them once.
  if (!fitted && bounds.length) {
    const all = bounds.reduce((acc, b) => acc.extend(b), L.latLngBounds(bounds[0].getSouthWest(), bounds[0].getNorthEast()));
    map.fitBounds(all.pad(0.1), { animate: false });
    fitted = true;
  } else if (!fitted) {
    map.setView([0, 0], 2);   // nothing placed yet: the world, until something is
  }
  nodeLayer.setNodes(placed);
  layers.alerts.clearLayers();
  for (const a of status.alerts) {
    if (a.lat === null || a.lat === undefined) continue;
    L.circleMarker([a.lat, a.lon], { pane: "tf-alerts", radius: 14, color: LEVEL_COLOURS[a.level] || "#000",
      weight: 4, fill: false }).bindTooltip(tip([a.level + " " + a.class + " " + (a.zone || a.key || ""),
      a.message || ""])).addTo(layers.alerts);
  }
}

// Every node as a dot on one canvas, hit-tested by distance for its tooltip and click: a
// thousand Leaflet markers (SVG or canvas) took 50-110 ms to create on a first load, most of
// the page's time. Redrawn when the view changes or a poll brings new values. The map element
// lists the DevAddrs drawn (data-devaddrs), what a test or a script reads to know every node
// is on the map.
// (A function: this script runs before Leaflet's.)
const nodeLayerClass = () => L.Layer.extend({
  options: { pane: "tf-nodes" },
  onAdd(m) {
    this._canvas = L.DomUtil.create("canvas", "tf-nodes leaflet-zoom-hide", this.getPane());
    this._tooltip = L.tooltip({ direction: "top", offset: [0, -6] });
    this._nodes = [];
    this._pts = [];
    m.on("moveend zoomend resize viewreset", this._reset, this);
    m.on("mousemove", this._hover, this);
    m.on("click", this._click, this);
    this._reset();
  },
  onRemove(m) {
    m.off("moveend zoomend resize viewreset", this._reset, this);
    m.off("mousemove", this._hover, this);
    m.off("click", this._click, this);
    L.DomUtil.remove(this._canvas);
  },
  setNodes(nodes) {
    this._nodes = nodes;
    this._draw();
    const box = this._map.getContainer();
    box.setAttribute("data-devaddrs", nodes.map(n => n.devaddr).join(" "));
    box.setAttribute("data-nodes-drawn", String(nodes.length));
  },
  _reset() {
    const size = this._map.getSize(), r = window.devicePixelRatio || 1;
    L.DomUtil.setPosition(this._canvas, this._map.containerPointToLayerPoint([0, 0]));
    this._canvas.width = size.x * r;
    this._canvas.height = size.y * r;
    this._canvas.style.width = size.x + "px";
    this._canvas.style.height = size.y + "px";
    this._draw();
  },
  _draw() {
    const ctx = this._canvas.getContext("2d"), r = window.devicePixelRatio || 1;
    ctx.setTransform(r, 0, 0, r, 0, 0);
    ctx.clearRect(0, 0, this._canvas.width, this._canvas.height);
    ctx.lineWidth = 1;
    ctx.strokeStyle = "#222";
    this._pts = this._nodes.map(n => this._map.latLngToContainerPoint([n.lat, n.lon]));
    this._nodes.forEach((n, i) => {
      const p = this._pts[i];
      ctx.beginPath();
      ctx.arc(p.x, p.y, 6, 0, 2 * Math.PI);
      ctx.fillStyle = STATE_COLOURS[n.state] || "#000";
      ctx.globalAlpha = 0.9;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.stroke();
    });
  },
  // The node drawn nearest to a container point, within its dot (7 px), or null.
  _at(p) {
    let best = null, bestD = 49;
    this._pts.forEach((q, i) => {
      const d = (q.x - p.x) * (q.x - p.x) + (q.y - p.y) * (q.y - p.y);
      if (d <= bestD) { best = this._nodes[i]; bestD = d; }
    });
    return best;
  },
  _hover(e) {
    const n = this._at(e.containerPoint);
    this._map.getContainer().style.cursor = n ? "pointer" : "";
    if (!n) { this._map.closeTooltip(this._tooltip); return; }
    this._tooltip.setLatLng([n.lat, n.lon]).setContent(tip([n.name || n.devaddr,
      n.devaddr + " " + n.profile, "state: " + n.state, "last seen: " + ago(n.last_seen),
      "battery: " + num(n.battery_mv, 0, " mV"),
      "RSSI/SNR: " + num(n.rssi, 0, " dBm") + " / " + num(n.snr, 1, " dB")]));
    this._map.openTooltip(this._tooltip);
  },
  _click(e) {
    const n = this._at(e.containerPoint);
    if (n) selectNode(n.devaddr);
  },
});

// ---- the tables ------------------------------------------------------------------------
function nodeMatches(n, f) {
  if (!f) return true;
  return [n.name, n.devaddr, n.profile, n.zone, n.state].some(v => v && String(v).toLowerCase().includes(f));
}

// One page of the node table, the pager's text and buttons, and the view in the URL.
function drawNodeTable(s) {
  const f = view.filter.trim().toLowerCase();
  const all = s.nodes.filter(n => nodeMatches(n, f))
    .sort((a, b) => (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9));
  const pages = Math.max(1, Math.ceil(all.length / view.size));
  if (view.page > pages) view.page = pages;
  const first = (view.page - 1) * view.size;
  const shown = all.slice(first, first + view.size);
  fill("nodes", shown.map(n => {
    const tr = row([stateDot(n.state), n.name, n.devaddr, n.profile, n.zone, ago(n.last_seen),
      num(n.battery_mv, 0, " mV"), num(n.rssi, 0) + " / " + num(n.snr, 1)],
      { "data-devaddr": n.devaddr, "data-state": n.state });
    if (n.devaddr === selected) tr.className = "sel";
    tr.addEventListener("click", () => selectNode(n.devaddr));
    return tr;
  }));
  const pager = document.getElementById("pager");
  pager.setAttribute("data-total", String(s.nodes.length));
  pager.setAttribute("data-matching", String(all.length));
  pager.setAttribute("data-page", String(view.page));
  pager.setAttribute("data-pages", String(pages));
  pager.setAttribute("data-size", String(view.size));
  document.getElementById("pager-text").textContent = (all.length ? (first + 1) + "\u2013" +
    (first + shown.length) : "0") + " of " + all.length +
    (all.length !== s.nodes.length ? " (" + s.nodes.length + " nodes)" : "") +
    ", page " + view.page + "/" + pages;
  document.getElementById("pager-prev").disabled = view.page <= 1;
  document.getElementById("pager-next").disabled = view.page >= pages;
}

function setView(change) {
  Object.assign(view, change);
  const q = new URLSearchParams();
  if (view.filter) q.set("filter", view.filter);
  if (view.page > 1) q.set("page", String(view.page));
  if (view.size !== 50) q.set("size", String(view.size));
  if (view.alert) q.set("alert", view.alert);
  history.replaceState(null, "", q.toString() ? "#" + q.toString() : location.pathname);
  if (lastStatus) drawNodeTable(lastStatus);
}

function drawStatus(s) {
  document.getElementById("gateway").textContent = s.gateway + " / " + s.site;
  document.getElementById("updated").textContent = "updated " + localTime(s.time);
  const legend = document.getElementById("legend");
  legend.replaceChildren(...Object.entries(s.states).map(([k, v]) =>
    el("li", null, el("span", "dot st-" + k), k + " " + v)));
  fill("alerts", s.alerts.map(a => row([badge("lv", a.level), a.class, a.zone || a.key || "",
    (a.nodes || []).length, ago(a.opened), el("td", "msg", a.message || "")],
    alertAttrs(a.id))));
  fill("rates", s.rates.map(r => row([r.bearer,
    r.accepted_per_min === null ? "measuring..." : num(r.accepted_per_min, 1),
    r.refused_per_min === null ? "" : num(r.refused_per_min, 1)], { "data-bearer": r.bearer })));
  drawNodeTable(s);
  const names = {};
  for (const n of s.nodes) names[n.devaddr] = n.name || n.devaddr;
  fill("events", s.events.map(e => row([localTime(e.time), names[e.devaddr] || e.devaddr, e.kind,
    e.class || "", num(e.confidence, 2)])));
  drawMap(s);
}

// The first status is asked for as soon as this script runs (it is loaded before Leaflet), so
// the request overlaps Leaflet's compilation instead of waiting for DOMContentLoaded.
const firstStatus = getJSON("/api/status");
firstStatus.catch(() => {});   // handled when DOMContentLoaded awaits it

async function pollStatus(pending) {
  try {
    lastStatus = await (pending || getJSON("/api/status"));
    drawStatus(lastStatus);
    showError("");
  } catch (e) {
    showError("status: " + e.message);
  }
}

async function pollHistory() {
  try {
    const t = await getJSON("/api/transitions?hours=24");
    fill("transitions", t.transitions.map(a => row([localTime(a.time), badge("lv", a.level),
      a.state, a["class"], a.zone || a.key || "", el("td", "msg", a.message || "")],
      alertAttrs(a.id))));
    if (selected) await loadNode(selected);
  } catch (e) {
    showError("history: " + e.message);
  }
}

// ---- one node ----------------------------------------------------------------------------
// A line chart of @series (each {values: [[t, v]...], colour}) as an SVG built element by element.
function chart(boxId, series) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 400 90");
  svg.setAttribute("preserveAspectRatio", "none");
  for (const s of series) {
    const pts = s.values.filter(p => p[1] !== null);
    if (pts.length < 1) continue;
    const ts = pts.map(p => p[0]), vs = pts.map(p => p[1]);
    const t0 = Math.min(...ts), t1 = Math.max(...ts), v0 = Math.min(...vs), v1 = Math.max(...vs);
    const x = t => t1 > t0 ? 5 + 390 * (t - t0) / (t1 - t0) : 200;
    const y = v => v1 > v0 ? 80 - 70 * (v - v0) / (v1 - v0) : 45;
    const line = document.createElementNS(NS, "polyline");
    line.setAttribute("class", "line");
    line.setAttribute("stroke", s.colour);
    line.setAttribute("points", pts.map(p => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" "));
    svg.appendChild(line);
    const label = document.createElementNS(NS, "text");
    label.setAttribute("x", "6"); label.setAttribute("y", String(12 + 12 * series.indexOf(s)));
    label.setAttribute("font-size", "10"); label.setAttribute("fill", s.colour);
    label.textContent = s.name + " " + v0 + ".." + v1;
    svg.appendChild(label);
  }
  document.getElementById(boxId).replaceChildren(svg);
}

async function loadNode(devaddr) {
  const d = await getJSON("/api/node?devaddr=" + encodeURIComponent(devaddr) + "&limit=50");
  if (selected !== devaddr) return;
  const n = d.node;
  document.getElementById("node").hidden = false;
  document.getElementById("node-title").textContent =
    (n.name || n.devaddr) + " (" + n.devaddr + ", " + n.profile + ", " + n.state + ")";
  const t = iso => Date.parse(iso);
  chart("node-battery", [{ name: "mV", colour: "#f9a825",
    values: d.battery.map(b => [t(b.time), b.battery_mv]) }]);
  chart("node-radio", [
    { name: "RSSI", colour: "#1e88e5", values: d.reception.map(r => [t(r.time), r.rssi]) },
    { name: "SNR", colour: "#2e7d32", values: d.reception.map(r => [t(r.time), r.snr]) }]);
  fill("node-events", d.events.map(e => row([localTime(e.time), e.kind, e["class"] || "",
    num(e.confidence, 2), e.kind === "health" ? num(e.battery_mv, 0, " mV") + ", " + num(e.temp_c, 0, " C")
      : e.kind === "anomaly" ? e.anomalous + "/" + e.windows + " windows, max " + e.score_max : ""])));
}

function selectNode(devaddr) {
  selected = devaddr;
  if (lastStatus) drawNodeTable(lastStatus);
  loadNode(devaddr).catch(e => showError("node: " + e.message));
}

document.addEventListener("DOMContentLoaded", () => {
  const filter = document.getElementById("filter");
  filter.value = view.filter;
  filter.addEventListener("input", () => setView({ filter: filter.value, page: 1 }));
  document.getElementById("pager-prev").addEventListener("click", () => setView({ page: view.page - 1 }));
  document.getElementById("pager-next").addEventListener("click", () => setView({ page: view.page + 1 }));
  // The history (below the fold) is asked for once the status is drawn, so it does not
  // compete with the first draw.
  pollStatus(firstStatus).finally(() => {
    setTimeout(pollHistory, 0);
    setInterval(pollHistory, HISTORY_POLL_MS);
  });
  setInterval(() => pollStatus(), POLL_MS);
});
