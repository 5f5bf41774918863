#include "agent/status_page.hpp"

namespace dlaunch::agent {
namespace {

constexpr std::string_view kPage = R"PAGE(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dlaunch</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.2em; color: #222; background: #fafafa; }
h1 { font-size: 1.2em; margin: 0 0 .3em 0; }
#job { font-size: 1.05em; margin-bottom: .8em; }
#job .state { font-weight: bold; }
table { border-collapse: collapse; margin: .4em 0 1.2em 0; background: #fff; }
th, td { border: 1px solid #ddd; padding: .2em .5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.line { font-family: ui-monospace, monospace; white-space: pre-wrap; max-width: 60em;
          word-break: break-all; }
tr.running td.state { color: #176b1d; }
tr.failed td.state, tr.lost td.state { color: #b00020; font-weight: bold; }
tr.stopped td.state { color: #8a5a00; }
tr.clickable { cursor: pointer; }
#error { color: #b00020; }
#updated { color: #777; font-size: .9em; }
</style>
</head>
<body>
<h1>dlaunch <span id="run"></span></h1>
<div id="job">loading&hellip;</div>
<div id="error"></div>
<h2>Nodes</h2>
<div id="node-summary"></div>
<table id="nodes"><thead><tr><th>node</th><th>host</th><th>address</th><th>ranks</th>
<th>heartbeat</th><th>state</th></tr></thead><tbody></tbody></table>
<h2>Ranks <span id="rank-scope"></span></h2>
<table id="ranks"><thead><tr><th>rank</th><th>node</th><th>host</th><th>pid</th><th>state</th>
<th>uptime</th><th>last line</th><th>CPU %</th><th>verdict</th><th>last output</th></tr></thead>
<tbody></tbody></table>
<div id="updated"></div>
<script>
"use strict";
const kManyNodes = 64;
let big = false;
let chosenNode = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function age(s) {
  if (s === null || s === undefined) return "-";
  if (s < 60) return s.toFixed(1) + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + String(Math.floor(s % 60)).padStart(2, "0") + "s";
  return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
}
function ranksText(n) {
  if (!n.nproc) return "-";
  return n.nproc === 1 ? String(n.first_rank) : n.first_rank + "-" + (n.first_rank + n.nproc - 1);
}
function nodeState(n) {
  const w = n.workers || {};
  const total = Object.values(w).reduce((a, b) => a + b, 0);
  return n.state + (n.member_state === "member" && total ? " " + (w.running || 0) + "/" + n.nproc : "");
}
function fill(tbody, rows) {
  const fragment = document.createDocumentFragment();
  for (const row of rows) fragment.appendChild(row);
  tbody.replaceChildren(fragment);
}
function drawJob(doc) {
  const j = doc.job;
  document.getElementById("run").textContent = "run " + j.run_id;
  const job = document.getElementById("job");
  job.replaceChildren(
    el("span", j.state, "state"),
    document.createTextNode("  attempt " + j.attempt + "  restarts " + j.restarts_used + "/" +
      j.max_restarts + " (" + j.restarts_left + " left)  elapsed " + age(j.elapsed_s) +
      "  world " + j.world_size + " (" + j.nnodes + " node" + (j.nnodes === 1 ? "" : "s") + ")" +
      (j.reason ? "  - " + j.reason : "") + (doc.scope === "node" ? "  [this node only]" : "")));
}
function drawNodes(doc) {
  const nodes = doc.nodes || [];
  big = nodes.length > kManyNodes;
  const summary = document.getElementById("node-summary");
  let shown = nodes;
  if (big) {
    const counts = doc.job.nodes_by_state || {};
    summary.textContent = nodes.length + " nodes: " +
      Object.entries(counts).map(([s, c]) => c + " " + s).join(", ") +
      ". Showing the 32 worst; click a node for its ranks.";
    const rank = { lost: 0, failed: 1, stopped: 2, joining: 3, waiting: 4, starting: 5, spare: 6,
                   running: 7, succeeded: 8 };
    shown = nodes.slice().sort((a, b) => (rank[a.state] ?? 9) - (rank[b.state] ?? 9) ||
      (b.heartbeat_age_s || 0) - (a.heartbeat_age_s || 0)).slice(0, 32);
  } else {
    summary.textContent = "";
  }
  fill(document.querySelector("#nodes tbody"), shown.map((n) => {
    const tr = el("tr", null, n.state + (big ? " clickable" : ""));
    tr.dataset.node = n.node_rank;
    tr.append(el("td", n.node_rank, "num"), el("td", n.host), el("td", n.addr),
              el("td", ranksText(n)), el("td", age(n.heartbeat_age_s), "num"),
              el("td", nodeState(n) + (n.lost_why ? " (" + n.lost_why + ")" : ""), "state"));
    if (big) tr.addEventListener("click", () => { chosenNode = n.node_rank; refresh(); });
    return tr;
  }));
}
function drawRanks(doc) {
  const ranks = doc.ranks || [];
  document.getElementById("rank-scope").textContent =
    big ? (chosenNode === null ? "(click a node)" : "of node " + chosenNode) : "";
  fill(document.querySelector("#ranks tbody"), ranks.map((r) => {
    const tr = el("tr", null, r.state);
    tr.dataset.rank = r.rank;
    tr.append(el("td", r.rank, "num"), el("td", r.node_rank, "num"), el("td", r.host),
              el("td", r.pid, "num"),
              el("td", r.state + (r.exit ? " (" + r.exit + ")" : ""), "state"),
              el("td", age(r.uptime_s), "num"), el("td", age(r.output_age_s), "num"),
              el("td", (r.cpu_percent || 0).toFixed(0), "num"), el("td", r.verdict || ""),
              el("td", r.last_line, "line"));
    return tr;
  }));
}
async function refresh() {
  const query = big ? (chosenNode === null ? "?ranks=0" : "?ranks=1&node=" + chosenNode)
                    : "?ranks=1";
  try {
    const response = await fetch("status" + query, { cache: "no-store", credentials: "same-origin" });
    if (!response.ok) throw new Error("status: HTTP " + response.status);
    const doc = await response.json();
    drawJob(doc);
    const wasBig = big;
    drawNodes(doc);
    if (big && !wasBig) return refresh();  // learnt the size: ask again for the right ranks
    drawRanks(doc);
    document.getElementById("error").textContent = "";
    document.getElementById("updated").textContent =
      "updated " + new Date(doc.generated_ms).toLocaleTimeString();
    document.body.dataset.loaded = "1";
  } catch (e) {
    document.getElementById("error").textContent = "cannot refresh: " + e.message;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
)PAGE";

}  // namespace

std::string_view status_page_html() {
  return kPage;
}

}  // namespace dlaunch::agent
