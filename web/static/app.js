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
let fitted = false;
let selected = null;
let lastStatus = null;

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
  const body = document.getElementById(tableId).tBodies[0];
  body.replaceChildren(...rows);
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

function localTime(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
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
  layers = { zones: L.layerGroup().addTo(map), nodes: L.layerGroup().addTo(map),
             alerts: L.layerGroup().addTo(map) };
  map.setView([0, 0], 2);
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
    bounds.push(shape.getBounds());
  }
  const placed = status.nodes.filter(n => n.lat !== null);
  for (const n of placed) bounds.push(L.latLngBounds([[n.lat, n.lon], [n.lat, n.lon]]));
  // The view is set before the markers are added, so a first load projects them once.
  if (!fitted && bounds.length) {
    const all = bounds.reduce((acc, b) => acc.extend(b), L.latLngBounds(bounds[0].getSouthWest(), bounds[0].getNorthEast()));
    map.fitBounds(all.pad(0.1), { animate: false });
    fitted = true;
  }
  layers.nodes.clearLayers();
  for (const n of placed) {
    const m = L.circleMarker([n.lat, n.lon], { radius: 6, color: "#222", weight: 1,
      fillColor: STATE_COLOURS[n.state] || "#000", fillOpacity: 0.9 });
    // Built when shown: a thousand nodes' tooltips up front would double the first draw.
    m.bindTooltip(() => tip([n.name || n.devaddr, n.devaddr + " " + n.profile, "state: " + n.state,
      "last seen: " + ago(n.last_seen), "battery: " + num(n.battery_mv, 0, " mV"),
      "RSSI/SNR: " + num(n.rssi, 0, " dBm") + " / " + num(n.snr, 1, " dB")]));
    m.on("click", () => selectNode(n.devaddr));
    m.addTo(layers.nodes);
  }
  layers.alerts.clearLayers();
  for (const a of status.alerts) {
    if (a.lat === null || a.lat === undefined) continue;
    L.circleMarker([a.lat, a.lon], { radius: 14, color: LEVEL_COLOURS[a.level] || "#000",
      weight: 4, fill: false }).bindTooltip(tip([a.level + " " + a.class + " " + (a.zone || a.key || ""),
      a.message || ""])).addTo(layers.alerts);
  }
}

// ---- the tables ------------------------------------------------------------------------
function drawStatus(s) {
  document.getElementById("gateway").textContent = s.gateway + " / " + s.site;
  document.getElementById("updated").textContent = "updated " + localTime(s.time);
  const legend = document.getElementById("legend");
  legend.replaceChildren(...Object.entries(s.states).map(([k, v]) =>
    el("li", null, el("span", "dot st-" + k), k + " " + v)));
  fill("alerts", s.alerts.map(a => row([badge("lv", a.level), a.class, a.zone || a.key || "",
    (a.nodes || []).length, ago(a.opened), el("td", "msg", a.message || "")],
    { "data-alert-id": String(a.id) })));
  fill("rates", s.rates.map(r => row([r.bearer,
    r.accepted_per_min === null ? "measuring..." : num(r.accepted_per_min, 1),
    r.refused_per_min === null ? "" : num(r.refused_per_min, 1)], { "data-bearer": r.bearer })));
  fill("nodes", s.nodes.map(n => {
    const tr = row([stateDot(n.state), n.name, n.devaddr, n.profile, n.zone, ago(n.last_seen),
      num(n.battery_mv, 0, " mV"), num(n.rssi, 0) + " / " + num(n.snr, 1)],
      { "data-devaddr": n.devaddr, "data-state": n.state });
    if (n.devaddr === selected) tr.className = "sel";
    tr.addEventListener("click", () => selectNode(n.devaddr));
    return tr;
  }));
  const names = {};
  for (const n of s.nodes) names[n.devaddr] = n.name || n.devaddr;
  fill("events", s.events.map(e => row([localTime(e.time), names[e.devaddr] || e.devaddr, e.kind,
    e.class || "", num(e.confidence, 2)])));
  drawMap(s);
}

async function pollStatus() {
  try {
    lastStatus = await getJSON("/api/status");
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
      a.state, a["class"], a.zone || a.key || "", el("td", "msg", a.message || "")])));
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
  if (lastStatus) drawStatus(lastStatus);
  loadNode(devaddr).catch(e => showError("node: " + e.message));
}

document.addEventListener("DOMContentLoaded", () => {
  pollStatus();
  pollHistory();
  setInterval(pollStatus, POLL_MS);
  setInterval(pollHistory, HISTORY_POLL_MS);
});
