// The HTML report of `npusim profile` (profile_html.hpp): a fixed page whose
// script draws everything from the profile JSON embedded in it. Drawing in the
// page rather than in C++ keeps one renderer for every field and lets a
// headless browser test the page as a user sees it (tests/report). The page
// needs no network: styles, script and SVG are inline. The script uses only DOM
// calls that set text (never innerHTML), so names from models cannot inject
// markup; the embedded JSON escapes '<', '>' and '&' so "</script>" cannot end
// its script element early.
#include "npusim/report/profile_html.hpp"

#include <string_view>

namespace npusim::report {

namespace {

constexpr std::string_view kHead = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>npusim profile</title>
)HTML";

constexpr std::string_view kStyle = R"CSS(<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.5em; margin: 0 0 0.5em; }
h2 { font-size: 1.2em; margin: 1.5em 0 0.5em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1em; margin: 1em 0 0.3em; }
table { border-collapse: collapse; margin: 0.3em 0; }
th, td { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { background: none; font-weight: 600; }
.scroll { overflow-x: auto; max-width: 100%; }
.empty { color: #777; font-style: italic; }
.note { color: #555; }
.error { color: #b00; white-space: pre-wrap; }
svg text { font: 11px system-ui, sans-serif; fill: #222; }
svg .axis line { stroke: #bbb; }
.layer-bar:hover, .trace-event:hover, .latency-part:hover { stroke: #000; stroke-width: 1; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em;
  vertical-align: -0.1em; }
</style>
</head>
)CSS";

constexpr std::string_view kBody = R"HTML(<body>
<h1 id="title">npusim profile</h1>
<noscript><p class="error">This report draws its tables and charts with JavaScript.</p></noscript>
<section id="summary-section"><h2>Summary</h2><div id="summary"></div></section>
<section id="timeline-section"><h2>Timeline</h2><div id="timeline"></div></section>
<section id="layers-section"><h2>Layers</h2><div id="layers"></div></section>
<section id="accuracy-section" hidden><h2>Accuracy</h2><div id="accuracy"></div></section>
)HTML";

constexpr std::string_view kDataOpen =
    R"HTML(<script id="profile-data" type="application/json">)HTML";
constexpr std::string_view kDataClose = "</script>\n";

// Helpers shared by the three parts of the page.
constexpr std::string_view kScriptHelpers = R"JS(<script>
"use strict";
(function () {
const SVG_NS = "http://www.w3.org/2000/svg";
const NPU_COLOUR = "#3b7dd8", CPU_COLOUR = "#e8893a", OTHER_COLOUR = "#999999";
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                 "#b07aa1", "#ff9da7", "#9c755f", "#8cd17d"];

const isObj = v => v !== null && typeof v === "object" && !Array.isArray(v);
const obj = v => (isObj(v) ? v : {});
const arr = v => (Array.isArray(v) ? v : []);
const num = v => (typeof v === "number" && isFinite(v) ? v : null);
const has = v => v !== undefined && v !== null;
const str = v => (!has(v) ? "" : typeof v === "string" ? v : JSON.stringify(v));
const fixed = (v, d) => (num(v) === null ? "\u2013" : num(v).toFixed(d));
const int = v => (num(v) === null ? "\u2013" : Math.round(v).toLocaleString("en-US"));
const percent = v => (num(v) === null ? "\u2013" : v.toFixed(1) + "%");

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (has(text)) e.textContent = text;
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (has(text)) e.textContent = text;
  return e;
}

// A hover text for an SVG element.
function titled(node, text) {
  node.appendChild(svg("title", {}, text));
  return node;
}

function empty(text) {
  return el("p", {class: "empty"}, text);
}

// headers: column names; rows: arrays of cell strings; numeric: column
// indices aligned right.
function table(headers, rows, numeric) {
  const t = el("table");
  const head = t.appendChild(el("thead")).appendChild(el("tr"));
  for (const h of headers) head.appendChild(el("th", {}, h));
  const body = t.appendChild(el("tbody"));
  for (const row of rows) {
    const tr = body.appendChild(el("tr"));
    row.forEach((cell, i) => {
      tr.appendChild(el("td", numeric.includes(i) ? {class: "n"} : {}, cell));
    });
  }
  const wrap = el("div", {class: "scroll"});
  wrap.appendChild(t);
  return wrap;
}

// pairs: [label, value]; values missing from the profile are left out.
function keyValue(pairs) {
  const t = el("table", {class: "kv"});
  for (const [k, v] of pairs) {
    if (!has(v)) continue;
    const tr = t.appendChild(el("tr"));
    tr.appendChild(el("th", {}, k));
    tr.appendChild(el("td", {}, str(v)));
  }
  return t;
}

function legend(items) {
  const div = el("div", {class: "legend"});
  for (const [label, colour] of items) {
    const span = div.appendChild(el("span"));
    span.appendChild(el("i", {style: "background:" + colour}));
    span.appendChild(document.createTextNode(label));
  }
  return div;
}

function maxOf(values) {
  let m = 0;
  for (const v of values) if (v > m) m = v;
  return m;
}
)JS";

// Model, device, hardware, stages and the latency breakdown.
constexpr std::string_view kScriptSummary = R"JS(
const LATENCY_PARTS = [["host_us", "host", "#9c755f"], ["h2d_us", "H2D", "#76b7b2"],
                       ["compute_us", "compute", NPU_COLOUR], ["d2h_us", "D2H", "#59a14f"]];

function stagesTable(stages) {
  const rows = stages.map(s => [str(s.name), fixed(s.ms, 2), str(s.time_kind), str(s.memory)]);
  return table(["Stage", "Time (ms)", "Time kind", "Memory"], rows, [1]);
}

// One stacked bar of host, H2D, compute and D2H time, to scale.
function latencyBar(summary) {
  const parts = LATENCY_PARTS.filter(([key]) => num(summary[key]) !== null && summary[key] > 0);
  const total = parts.reduce((sum, [key]) => sum + summary[key], 0);
  if (total <= 0) return null;
  const width = 640, s = svg("svg", {width: width, height: 26, class: "latency-bar"});
  let x = 0;
  for (const [key, label, colour] of parts) {
    const w = (width * summary[key]) / total;
    const r = svg("rect", {class: "latency-part", x: x.toFixed(2), y: 2, width: w.toFixed(2),
                           height: 22, fill: colour});
    s.appendChild(titled(r, label + ": " + fixed(summary[key], 2) + " \u00b5s"));
    x += w;
  }
  return s;
}

function renderLatency(summary, root) {
  const pairs = [["Latency (\u00b5s)", fixed(summary.latency_us, 2)]];
  for (const [key, label] of LATENCY_PARTS)
    pairs.push([label + " (\u00b5s)", fixed(summary[key], 2)]);
  pairs.push(["NPU%", percent(summary.npu_percent)], ["Comp%", percent(summary.comp_percent)],
             ["I/O%", percent(summary.io_percent)]);
  root.appendChild(el("h3", {}, "Latency"));
  const bar = latencyBar(summary);
  if (bar) {
    root.appendChild(bar);
    root.appendChild(legend(LATENCY_PARTS.map(([, label, colour]) => [label, colour])));
  }
  root.appendChild(keyValue(pairs));
}

function renderSummary(p, root) {
  root.appendChild(keyValue([["Model", p.model], ["Model hash", p.model_hash],
                             ["Device", p.device], ["Target", p.target],
                             ["npusim", p.npusim_version]]));
  if (isObj(p.summary)) renderLatency(p.summary, root);
  const stages = arr(p.stages).map(obj);
  if (stages.length) {
    root.appendChild(el("h3", {}, "Stages"));
    root.appendChild(stagesTable(stages));
  }
  // Folded: two dozen parameters would push the timeline down the page.
  const hw = Object.entries(obj(p.hw));
  if (hw.length) {
    const details = root.appendChild(el("details", {id: "hardware"}));
    details.appendChild(el("summary", {}, "Hardware (" + hw.length + " parameters)"));
    details.appendChild(keyValue(hw));
  }
}
)JS";

// The per-layer bar chart and table.
constexpr std::string_view kScriptLayers = R"JS(
const unitColour = u => (u === "NPU" ? NPU_COLOUR : u === "CPU" ? CPU_COLOUR : OTHER_COLOUR);
const utilisation = l => percent(num(l.utilisation) === null ? null : 100 * l.utilisation);
const layerIndex = (l, i) => (has(l.index) ? str(l.index) : String(i));

function layerTooltip(l) {
  const lines = [str(l.name)];
  const add = (label, v, text) => { if (has(v)) lines.push(label + ": " + text); };
  add("op", l.op, str(l.op));
  add("unit", l.unit, str(l.unit) + (has(l.segment) ? " (" + str(l.segment) + ")" : ""));
  add("time", l.time_us, fixed(l.time_us, 3) + " \u00b5s");
  add("cycles", l.cycles, int(l.cycles));
  add("MACs", l.macs, int(l.macs));
  add("utilisation", l.utilisation, utilisation(l));
  add("DMA bytes", l.dma_bytes, int(l.dma_bytes));
  if (str(l.reason) !== "") lines.push("reason: " + str(l.reason));
  return lines.join("\n");
}

// One bar per layer, its length proportional to time_us.
function layerChart(layers) {
  const rowH = 18, labelW = 300, barW = 640;
  const maxT = maxOf(layers.map(l => num(l.time_us) || 0));
  const s = svg("svg", {class: "layer-chart", width: labelW + barW + 110,
                        height: layers.length * rowH + 4});
  layers.forEach((l, i) => {
    const y = i * rowH, unit = str(l.unit).toUpperCase(), t = num(l.time_us) || 0;
    const label = layerIndex(l, i) + "  " + str(l.name) + (has(l.op) ? " (" + str(l.op) + ")" : "");
    s.appendChild(titled(svg("text", {x: labelW - 6, y: y + 13, "text-anchor": "end"},
                             label.length > 48 ? label.slice(0, 47) + "\u2026" : label), label));
    const w = maxT > 0 ? (barW * t) / maxT : 0;
    const bar = svg("rect", {class: "layer-bar", "data-layer": layerIndex(l, i), "data-unit": unit,
                             x: labelW, y: y + 3, width: w.toFixed(2), height: rowH - 6,
                             fill: unitColour(unit)});
    s.appendChild(titled(bar, layerTooltip(l)));
    s.appendChild(svg("text", {x: labelW + w + 4, y: y + 13}, fixed(l.time_us, 2) + " \u00b5s"));
  });
  return s;
}

function unitTotals(layers) {
  const totals = {};
  for (const l of layers) {
    const u = str(l.unit).toUpperCase() || "?";
    totals[u] = totals[u] || {count: 0, us: 0};
    totals[u].count += 1;
    totals[u].us += num(l.time_us) || 0;
  }
  const parts = Object.entries(totals).map(
      ([u, t]) => u + ": " + t.count + " layer" + (t.count === 1 ? "" : "s") + ", " +
                  t.us.toFixed(2) + " \u00b5s");
  return el("p", {class: "note"}, parts.join("; "));
}

function layerTable(layers) {
  const rows = layers.map((l, i) => [
    layerIndex(l, i), str(l.name), str(l.op), str(l.unit), str(l.segment), fixed(l.time_us, 3),
    fixed(l.start_us, 3), fixed(l.end_us, 3), int(l.cycles), int(l.macs),
    utilisation(l), int(l.dma_bytes),
    str(l.reason)]);
  return table(["#", "Name", "Op", "Unit", "Segment", "Time (\u00b5s)", "Start (\u00b5s)",
                "End (\u00b5s)", "Cycles", "MACs", "Util.", "DMA bytes", "Reason"],
               rows, [0, 5, 6, 7, 8, 9, 10, 11]);
}

function renderLayers(p, root) {
  const layers = arr(p.layers).map(obj);
  if (!layers.length) {
    root.appendChild(empty("No per-layer data in this profile."));
    return;
  }
  root.appendChild(unitTotals(layers));
  root.appendChild(legend([["NPU", NPU_COLOUR], ["CPU", CPU_COLOUR]]));
  const wrap = root.appendChild(el("div", {class: "scroll"}));
  wrap.appendChild(layerChart(layers));
  root.appendChild(layerTable(layers));
}
)JS";

// The timeline: one row per (pid, tid) lane of the Chrome trace.
constexpr std::string_view kScriptTimeline = R"JS(
function compareIds(a, b) {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

// Lanes with a thread_name or an "X" event, sorted by pid then tid.
function collectLanes(events) {
  const processes = new Map(), lanes = new Map();
  const lane = (pid, tid) => {
    const key = str(pid) + ":" + str(tid);
    if (!lanes.has(key)) lanes.set(key, {key, pid, tid, name: null, events: []});
    return lanes.get(key);
  };
  for (const e of events.map(obj)) {
    const pid = has(e.pid) ? e.pid : 0, tid = has(e.tid) ? e.tid : 0;
    if (e.ph === "M" && e.name === "process_name") processes.set(str(pid), str(obj(e.args).name));
    else if (e.ph === "M" && e.name === "thread_name") lane(pid, tid).name = str(obj(e.args).name);
    else if (e.ph === "X") lane(pid, tid).events.push(e);
  }
  const sorted = [...lanes.values()].sort((a, b) => compareIds(a.pid, b.pid) ||
                                                   compareIds(a.tid, b.tid));
  for (const l of sorted) {
    const process = processes.has(str(l.pid)) ? processes.get(str(l.pid)) : "pid " + str(l.pid);
    l.label = process + " / " + (l.name !== null ? l.name : "tid " + str(l.tid));
  }
  return sorted;
}

function timeSpan(lanes) {
  let t0 = Infinity, t1 = -Infinity;
  for (const l of lanes)
    for (const e of l.events) {
      const ts = num(e.ts);
      if (ts === null) continue;
      t0 = Math.min(t0, ts);
      t1 = Math.max(t1, ts + (num(e.dur) || 0));
    }
  if (t0 === Infinity) return {t0: 0, span: 1};
  return {t0, span: t1 > t0 ? t1 - t0 : 1};
}

function niceStep(span, ticks) {
  const raw = span / ticks, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

function axis(geo, height) {
  const g = svg("g", {class: "axis"});
  const step = niceStep(geo.span, 8);
  for (let t = 0; t <= geo.span * 1.0001; t += step) {
    const x = geo.x0 + (t / geo.span) * geo.width;
    g.appendChild(svg("line", {x1: x, y1: 14, x2: x, y2: height}));
    g.appendChild(svg("text", {x: x + 2, y: 11}, "+" + Number(t.toPrecision(6)) + " \u00b5s"));
  }
  return g;
}

function eventColour(name, cache) {
  if (!cache.has(name)) {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    cache.set(name, PALETTE[h % PALETTE.length]);
  }
  return cache.get(name);
}

function eventRect(e, geo, colours) {
  const ts = num(e.ts) === null ? geo.t0 : e.ts, dur = Math.max(num(e.dur) || 0, 0);
  const name = str(e.name);
  const x = geo.x0 + ((ts - geo.t0) / geo.span) * geo.width;
  const w = Math.max((dur / geo.span) * geo.width, 0.5);  // instants stay visible
  const r = svg("rect", {class: "trace-event", x: x.toFixed(2), y: 3, width: w.toFixed(2),
                         height: geo.rowH - 6, fill: eventColour(name, colours)});
  return titled(r, name + " (" + fixed(dur, 3) + " \u00b5s)");
}

function laneRow(l, i, geo, colours) {
  const g = svg("g", {class: "lane-row", "data-lane": l.key,
                      transform: "translate(0," + (geo.axisH + i * geo.rowH) + ")"});
  if (i % 2 === 0)
    g.appendChild(svg("rect", {x: 0, y: 0, width: geo.x0 + geo.width, height: geo.rowH,
                               fill: "#000", "fill-opacity": 0.04}));
  const label = l.label.length > 40 ? l.label.slice(0, 39) + "\u2026" : l.label;
  g.appendChild(titled(svg("text", {x: 4, y: geo.rowH - 6}, label), l.label));
  for (const e of l.events) g.appendChild(eventRect(e, geo, colours));
  return g;
}

function renderTimeline(p, root) {
  const lanes = collectLanes(arr(obj(p.trace).traceEvents));
  if (!lanes.length) {
    root.appendChild(empty("No trace in this profile."));
    return;
  }
  const count = lanes.reduce((n, l) => n + l.events.length, 0);
  const geo = Object.assign({x0: 260, width: 1100, rowH: 20, axisH: 18}, timeSpan(lanes));
  root.appendChild(el("p", {class: "note"}, count + " events on " + lanes.length + " lanes over " +
                                            fixed(geo.span, 3) + " \u00b5s"));
  const height = geo.axisH + lanes.length * geo.rowH;
  const s = svg("svg", {class: "timeline", width: geo.x0 + geo.width + 10, height: height});
  s.appendChild(axis(geo, height));
  const colours = new Map();
  lanes.forEach((l, i) => s.appendChild(laneRow(l, i, geo, colours)));
  root.appendChild(el("div", {class: "scroll"})).appendChild(s);
}
)JS";

// The per-layer accuracy of `npusim debug --json` (docs/debug.md), when the
// profile carries it: one bar per layer, its length the SQNR against FP32
// (red where the device's codes differ from the compared side), and a table.
constexpr std::string_view kScriptAccuracy = R"JS(
const DIFF_COLOUR = "#d62728";

function exactShare(l) {
  const c = isObj(l.against) ? l.against : obj(l.reference);
  return num(c.exact_percent);
}

function sqnrOf(l) {
  return num(obj(l.fp32).sqnr_db);
}

function accuracyChart(layers) {
  const rowH = 18, labelW = 300, barW = 640;
  const maxDb = maxOf(layers.map(l => sqnrOf(l) || 0));
  const s = svg("svg", {class: "accuracy-chart", width: labelW + barW + 110,
                        height: layers.length * rowH + 4});
  layers.forEach((l, i) => {
    const y = i * rowH, db = sqnrOf(l), exact = exactShare(l);
    const label = str(l.index || i + 1) + "  " + str(l.node) + " (" + str(l.op) + ")";
    s.appendChild(titled(svg("text", {x: labelW - 6, y: y + 13, "text-anchor": "end"},
                             label.length > 48 ? label.slice(0, 47) + "\u2026" : label), label));
    const w = maxDb > 0 && db !== null && db > 0 ? (barW * db) / maxDb : 0;
    const bar = svg("rect", {class: "sqnr-bar", "data-layer": str(l.index || i + 1),
                             x: labelW, y: y + 3, width: w.toFixed(2), height: rowH - 6,
                             fill: exact === null || exact >= 100 ? NPU_COLOUR : DIFF_COLOUR});
    s.appendChild(titled(bar, label + "\nSQNR " + fixed(db, 1) + " dB, exact " +
                                  fixed(exact, 3) + " %"));
    s.appendChild(svg("text", {x: labelW + w + 4, y: y + 13},
                      db === null ? "\u2013" : fixed(db, 1) + " dB"));
  });
  return s;
}

function accuracyTable(layers) {
  const rows = layers.map((l, i) => {
    const c = isObj(l.against) ? l.against : obj(l.reference);
    return [str(l.index || i + 1), str(l.node), str(l.op), str(l.unit), fixed(c.exact_percent, 3),
            fixed(c.within_1_percent, 3), str(c.max_diff_lsb), fixed(sqnrOf(l), 2),
            fixed(obj(l.fp32).cosine, 4)];
  });
  return table(["#", "Layer", "Op", "Unit", "Exact %", "\u2264 1 LSB %", "Max LSB", "SQNR (dB)",
                "Cosine"], rows, [0, 4, 5, 6, 7, 8]);
}

function renderAccuracy(p, root) {
  const a = obj(p.accuracy), layers = arr(a.layers).map(obj);
  if (!layers.length) return;
  document.getElementById("accuracy-section").hidden = false;
  const first = obj(isObj(a.first_against_difference) ? a.first_against_difference
                                                       : a.first_reference_difference);
  root.appendChild(el("p", {class: "note"}, "Against " + str(a.against) + ": " +
                        (has(first.text) ? "first difference " + str(first.text)
                                         : "every layer bit-exact")));
  root.appendChild(legend([["codes equal", NPU_COLOUR], ["codes differ", DIFF_COLOUR]]));
  root.appendChild(el("div", {class: "scroll"})).appendChild(accuracyChart(layers));
  root.appendChild(accuracyTable(layers));
}
)JS";

// Parse the embedded profile, draw, and mark the body so a test can tell.
constexpr std::string_view kScriptMain = R"JS(
function main() {
  let p = JSON.parse(document.getElementById("profile-data").textContent);
  if (!isObj(p)) p = {};
  if (has(p.model)) {
    document.title = "npusim profile: " + str(p.model);
    document.getElementById("title").textContent = document.title;
  }
  renderSummary(p, document.getElementById("summary"));
  renderTimeline(p, document.getElementById("timeline"));
  renderLayers(p, document.getElementById("layers"));
  renderAccuracy(p, document.getElementById("accuracy"));
  document.body.dataset.rendered = "ok";
}

try {
  main();
} catch (err) {
  document.body.dataset.rendered = "error";
  const message = "The report failed to render: " + (err && err.stack ? err.stack : String(err));
  document.body.insertBefore(el("pre", {class: "error"}, message), document.body.firstChild);
}
})();
</script>
</body>
</html>
)JS";

// The profile as JSON text that is safe inside a <script> element. '<', '>'
// and '&' can only occur inside JSON strings, where \u escapes mean the same.
std::string script_safe_json(const nlohmann::json& profile) {
  const std::string text = profile.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string profile_html(const nlohmann::json& profile) {
  std::string page;
  for (const std::string_view part : {kHead, kStyle, kBody, kDataOpen}) page += part;
  page += script_safe_json(profile);
  for (const std::string_view part : {kDataClose, kScriptHelpers, kScriptSummary, kScriptLayers,
                                      kScriptTimeline, kScriptAccuracy, kScriptMain})
    page += part;
  return page;
}

}  // namespace npusim::report
