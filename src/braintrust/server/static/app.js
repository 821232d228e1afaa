// The local Braintrust UI. Every piece of user data goes in with textContent,
// never innerHTML, so a row holding HTML or script shows as text. Styles are set
// through the CSSOM or classes: the Content-Security-Policy refuses style attributes.
"use strict";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const SVG = "http://www.w3.org/2000/svg";
const PAGE = 50;
let timer = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === "onclick") node.addEventListener("click", v);
    else if (k === "text") node.textContent = v;
    else if (k === "style") Object.assign(node.style, v);
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

const short = (value, n = 120) => {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > n ? text.slice(0, n - 3) + "…" : text;
};

// Readable values: local date and time, ms or s, thousands separators, dollars.
const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "");
const fmtDur = (s) => (s === null || s === undefined || !isFinite(s) ? "" : s === 0 ? "0 ms" :
  s < 1 ? `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)} ms` : `${s.toFixed(2)} s`);
const fmtNum = (n) => (n === null || n === undefined ? "" : Number(n).toLocaleString("en-US"));
const fmtCost = (c) => (c === null || c === undefined ? "" : c === 0 ? "$0" : c < 0.01 ? `$${c.toFixed(5)}` : `$${c.toFixed(2)}`);
const fmtPct = (x) => (x === null || x === undefined ? "" : `${(x * 100).toFixed(1)}%`);
const plural = (n, word) => `${fmtNum(n)} ${word}${n === 1 ? "" : "s"}`;

async function api(path) {
  const resp = await fetch(path, { credentials: "same-origin" });
  if (!resp.ok) {
    let message = `HTTP ${resp.status}`;
    try { message = (await resp.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return resp.json();
}

// A table whose headers may sort: sortable = {header: key}; onSort(key) is called on click.
function table(headers, rows, sort = null) {
  const head = el("tr", {}, ...headers.map((h) => {
    const key = sort && sort.keys[h];
    if (!key) return el("th", { text: h });
    const mark = sort.current === key ? (sort.desc ? " ▼" : " ▲") : "";
    return el("th", { class: "sortable", "data-sort": key, text: h + mark, onclick: () => sort.onSort(key) });
  }));
  // Headers of number columns align with their numbers.
  if (rows.length) [...rows[0].children].forEach((td, i) => { if (td.classList.contains("num") && head.children[i]) head.children[i].classList.add("num"); });
  const body = rows.length ? rows : [el("tr", {}, el("td", { class: "muted empty", colspan: headers.length, text: "Nothing here yet." }))];
  return el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, head), el("tbody", {}, ...body)));
}

function setNav(projectId, active) {
  nav.replaceChildren();
  if (!projectId) return;
  for (const [label, path] of [["Logs", ""], ["Overview", "/overview"], ["Experiments", "/experiments"],
                               ["Datasets", "/datasets"], ["Prompts", "/prompts"]]) {
    nav.append(el("a", { href: `#/p/${projectId}${path}`, text: label, class: label === active ? "active" : null }));
  }
}

const heading = (project, title) => el("h1", {},
  project ? el("span", { class: "project", text: project.name }) : "", project ? " · " : "", title);

async function projects() {
  setNav(null);
  const data = await api("/ui-api/projects");
  main.replaceChildren(el("h1", { text: "Projects" }), table(["Name", "Created"],
    data.projects.map((p) => el("tr", { class: "link", "data-project": p.name,
      onclick: () => (location.hash = `#/p/${p.id}`) },
      el("td", { text: p.name }), el("td", { text: fmtTime(p.created) })))));
}

// ---------------------------------------------------------------- logs

const logState = new Map();  // per project: filters, sort and page survive a visit to a trace

function field(label, input) { return el("label", { class: "field" }, el("span", { text: label }), input); }

async function logs(projectId) {
  setNav(projectId, "Logs");
  const st = logState.get(projectId) || { offset: 0, sort: "created", desc: true, f: {} };
  logState.set(projectId, st);
  const input = (key, attrs) => {
    const node = el("input", { id: `f-${key}`, ...attrs });
    node.value = st.f[key] || "";
    node.addEventListener("change", () => { st.f[key] = node.value; st.offset = 0; render(); });
    return node;
  };
  const errors = el("input", { type: "checkbox", id: "errors-only" });
  errors.checked = !!st.f.errors;
  errors.addEventListener("change", () => { st.f.errors = errors.checked ? "1" : ""; st.offset = 0; render(); });
  const type = el("select", { id: "type-filter" }, ...["", "task", "llm", "function", "tool", "score", "eval"]
    .map((t) => el("option", { value: t, text: t || "any" })));
  type.value = st.f.type || "";
  type.addEventListener("change", () => { st.f.type = type.value; st.offset = 0; render(); });
  const controls = el("form", { class: "filters", id: "filters" },
    field("Search", input("search", { type: "search", placeholder: "text in input, output, metadata…", id: "search" })),
    field("Span type", type), field("Span name", input("name", { placeholder: "any span" })),
    field("Model", input("model", { placeholder: "gpt-4o-mini" })),
    field("Metadata", input("meta", { placeholder: "key=value" })), field("Tag", input("tag", {})),
    field("Score", input("score", { placeholder: "name", size: 8 })),
    field("min", input("score_min", { type: "number", step: "any", size: 4 })),
    field("max", input("score_max", { type: "number", step: "any", size: 4 })),
    field("From", input("since", { type: "datetime-local" })), field("To", input("until", { type: "datetime-local" })),
    el("label", { class: "field check" }, errors, el("span", { text: "errors only" })));
  controls.addEventListener("submit", (e) => e.preventDefault());
  const holder = el("div", {});
  const title = el("div", {});
  main.replaceChildren(title, controls, holder);
  const iso = (local) => (local ? new Date(local).toISOString() : "");
  const render = async () => {
    const q = new URLSearchParams({ offset: st.offset, limit: PAGE, sort: st.sort, dir: st.desc ? "desc" : "asc" });
    for (const [k, v] of Object.entries(st.f)) if (v) q.set(k, k === "since" || k === "until" ? iso(v) : v);
    const data = await api(`/ui-api/projects/${projectId}/logs?${q}`);
    title.replaceChildren(heading(data.project, "Logs"));
    const rows = data.rows.map((r) => {
      const s = r._summary || {};
      const name = (r.span_attributes || {}).name || "";
      return el("tr", { class: `link${s.errors ? " failed" : ""}`, "data-row": r.id,
        onclick: () => (location.hash = `#/t/project_logs/${projectId}/${r.root_span_id}`) },
        el("td", { class: "time", text: fmtTime(r.created), title: r.created }),
        el("td", {}, el("div", { text: name }),
          s.errors ? el("div", { class: "error-text", text: `${plural(s.errors, "error")}: ${short(s.error, 80)}` }) : ""),
        el("td", { class: "cell", text: short(r.input) }),
        el("td", { class: "cell", text: short(r.output) }),
        el("td", { class: "cell", text: Object.entries(r.scores || {}).map(([k, v]) => `${k} ${v}`).join(", ") }),
        el("td", { class: "num", text: fmtDur(s.duration) }),
        el("td", { class: "num", text: s.tokens ? fmtNum(s.tokens) : "" }),
        el("td", { class: "num", text: fmtCost(s.cost), title: Object.entries(s.cost_by_model || {}).map(([m, c]) => `${m}: ${fmtCost(c)}`).join("\n") }));
    });
    const pager = el("div", { class: "pager" },
      el("span", { class: "muted", text: `${plural(data.total, "trace")}` + (data.total > PAGE ? ` · ${st.offset + 1}–${Math.min(st.offset + PAGE, data.total)}` : "") }),
      st.offset > 0 ? el("button", { type: "button", text: "← Newer", onclick: () => { st.offset -= PAGE; render(); } }) : "",
      st.offset + PAGE < data.total ? el("button", { type: "button", text: "Older →", onclick: () => { st.offset += PAGE; render(); } }) : "");
    const sort = { current: st.sort, desc: st.desc,
      keys: { Time: "created", Name: "name", Duration: "duration", Tokens: "tokens" },
      onSort: (key) => { st.desc = st.sort === key ? !st.desc : true; st.sort = key; st.offset = 0; render(); } };
    if (st.f.score) sort.keys.Scores = `score:${st.f.score}`;
    holder.replaceChildren(pager, table(["Time", "Name", "Input", "Output", "Scores", "Duration", "Tokens", "Est. cost"], rows, sort));
  };
  await render();
  // Live: new rows appear without a reload while the first page is shown.
  // One refresh at a time: on a big store a filtered query can take longer than the interval.
  let busy = false;
  timer = setInterval(() => {
    if (busy || st.offset !== 0 || controls.contains(document.activeElement)) return;
    busy = true;
    render().catch(() => {}).finally(() => { busy = false; });
  }, 2000);
}

// ---------------------------------------------------------------- overview (plain SVG charts)

function lineChart(title, days, series, fmt) {
  const W = 420, H = 150, L = 60, R = 24, B = 22, T = 10;
  const values = series.flatMap((s) => days.map((d) => s.get(d))).filter((v) => v !== null && v !== undefined);
  const max = Math.max(...values, 0) || 1;
  const x = (i) => L + (days.length <= 1 ? (W - L) / 2 : (i * (W - L - R)) / (days.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title });
  for (const frac of [0, 0.5, 1]) {
    chart.append(svg("line", { x1: L, x2: W, y1: y(max * frac), y2: y(max * frac), class: "grid" }),
      svg("text", { x: L - 4, y: y(max * frac) + 4, "text-anchor": "end", class: "tick", text: fmt(max * frac) }));
  }
  days.forEach((d, i) => {
    if (days.length <= 7 || i % Math.ceil(days.length / 6) === 0) {
      chart.append(svg("text", { x: x(i), y: H - 6, "text-anchor": "middle", class: "tick", text: d.slice(5) }));
    }
  });
  series.forEach((s, k) => {
    const pts = days.map((d, i) => [i, s.get(d)]).filter(([, v]) => v !== null && v !== undefined);
    if (pts.length > 1) chart.append(svg("polyline", { points: pts.map(([i, v]) => `${x(i)},${y(v)}`).join(" "), class: `series s${k}` }));
    for (const [i, v] of pts) chart.append(svg("circle", { cx: x(i), cy: y(v), r: 3, class: `dot s${k}` }, svg("title", { text: `${days[i]} ${s.label}: ${fmt(v)}` })));
  });
  const legend = el("div", { class: "legend" }, ...series.map((s, k) => el("span", { class: `key s${k}`, text: s.label })));
  return el("figure", { class: "card" }, el("figcaption", { text: title }), chart, series.length > 1 ? legend : "");
}

async function projectOverview(projectId) {
  setNav(projectId, "Overview");
  const data = await api(`/ui-api/projects/${projectId}/overview?days=30`);
  const days = data.days.map((d) => d.day);
  const by = (key, label) => ({ label, get: (day) => { const d = data.days.find((x) => x.day === day); return d ? (typeof key === "function" ? key(d) : d[key]) : null; } });
  const names = [...new Set(data.days.flatMap((d) => Object.keys(d.scores)))];
  const total = (k) => data.days.reduce((a, d) => a + (d[k] || 0), 0);
  const traces = total("traces");
  const stats = el("div", { class: "stats" },
    ...[["Traces", fmtNum(traces)], ["Tokens", fmtNum(total("tokens"))], ["Est. cost", fmtCost(total("cost"))],
        ["Error rate", traces ? fmtPct(data.days.reduce((a, d) => a + d.error_rate * d.traces, 0) / traces) : ""]]
      .map(([k, v]) => el("div", { class: "stat" }, el("div", { class: "label", text: k }), el("div", { class: "value", text: v }))));
  main.replaceChildren(heading(data.project, "Overview"),
    el("p", { class: "muted", text: "The last 30 days, by UTC day." }), stats,
    days.length ? el("div", { class: "charts" },
      lineChart("Traces per day", days, [by("traces", "traces")], fmtNum),
      lineChart("Latency", days, [by("p50", "p50"), by("p95", "p95")], fmtDur),
      lineChart("Tokens", days, [by("tokens", "tokens")], fmtNum),
      lineChart("Estimated cost", days, [by("cost", "cost")], fmtCost),
      lineChart("Error rate", days, [by("error_rate", "error rate")], fmtPct),
      names.length ? lineChart("Score means", days, names.map((n) => by((d) => d.scores[n] ?? null, n)), fmtPct) : "")
      : el("p", { class: "muted", text: "No traces in the last 30 days." }));
}

// ---------------------------------------------------------------- span detail: chat, tools, tokens

function attachmentsIn(value, found = []) {
  if (value && typeof value === "object") {
    if (value.type === "braintrust_attachment" && value.key) found.push(value);
    else for (const v of Object.values(value)) attachmentsIn(v, found);
  }
  return found;
}

function attachmentView(ref) {
  const url = `/attachment/data/${encodeURIComponent(ref.key)}`;
  return (ref.content_type || "").startsWith("image/")
    ? el("img", { src: url, alt: ref.filename || "attachment", class: "attachment" })
    : el("a", { href: url, download: ref.filename || "attachment", text: ref.filename || "download" });
}

const pretty = (v) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

function contentView(content) {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return el("div", { class: "content", text: content });
  if (Array.isArray(content)) {
    return el("div", {}, ...content.map((part) => {
      if (part && part.type === "text") return el("div", { class: "content", text: part.text });
      if (part && part.type === "tool_use") return toolCall(part.name, part.input, part.id);
      if (part && part.type === "tool_result") return el("div", { class: "tool" }, el("div", { class: "tool-name", text: `result ${part.tool_use_id || ""}` }), contentView(part.content));
      return el("pre", { text: pretty(part) }, ...attachmentsIn(part).map(attachmentView));
    }));
  }
  return el("pre", { text: pretty(content) });
}

function toolCall(name, args, id) {
  let parsed = args;
  if (typeof args === "string") { try { parsed = JSON.parse(args); } catch (e) { /* keep the text */ } }
  return el("div", { class: "tool" }, el("div", { class: "tool-name", text: `tool call: ${name || "tool"}${id ? `  ·  ${id}` : ""}` }),
    el("pre", { text: pretty(parsed) }));
}

function messageView(m) {
  const role = m.role || "message";
  const calls = (m.tool_calls || []).map((c) => toolCall((c.function || {}).name || c.name, (c.function || {}).arguments ?? c.arguments, c.id));
  return el("div", { class: `message role-${role}` }, el("div", { class: "role", text: role + (m.tool_call_id ? ` · ${m.tool_call_id}` : "") }),
    contentView(m.content), ...calls);
}

// Messages out of an LLM span's input or output, in the shapes the wrappers log.
function asMessages(value) {
  if (Array.isArray(value) && value.length && value.every((m) => m && typeof m === "object")) {
    if (value.every((m) => "role" in m)) return value;
    if (value.every((m) => m.message && typeof m.message === "object")) return value.map((c) => c.message);
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    if (Array.isArray(value.messages)) return asMessages(value.messages);
    if (value.role && "content" in value) return [value];
  }
  return null;
}

function block(title, value, open = true) {
  if (value === undefined || value === null) return "";
  const messages = asMessages(value);
  const body = messages ? el("div", { class: "chat" }, ...messages.map(messageView))
    : el("div", {}, el("pre", { text: pretty(value) }), ...attachmentsIn(value).map(attachmentView));
  const details = el("details", { class: `block block-${title.toLowerCase()}` }, el("summary", { text: title }), body);
  if (open) details.setAttribute("open", "");
  return details;
}

function tokenLine(r) {
  const m = r.metrics || {}, meta = r.metadata || {};
  const parts = [];
  if (meta.model) parts.push(["model", meta.model]);
  if (m.prompt_tokens !== undefined) parts.push(["prompt", fmtNum(m.prompt_tokens)]);
  if (m.completion_tokens !== undefined) parts.push(["completion", fmtNum(m.completion_tokens)]);
  if (m.tokens !== undefined) parts.push(["tokens", fmtNum(m.tokens)]);
  if (r._cost !== null && r._cost !== undefined) parts.push(["est. cost", fmtCost(r._cost)]);
  if (m.time_to_first_token !== undefined) parts.push(["first token", fmtDur(m.time_to_first_token)]);
  if (m.start && m.end) parts.push(["duration", fmtDur(m.end - m.start)]);
  return parts.length ? el("div", { class: "tokens", id: "token-line" }, ...parts.map(([k, v]) => el("span", {}, el("b", { text: k }), ` ${v}`))) : "";
}

// ---------------------------------------------------------------- trace: waterfall on one time axis

async function traceView(kind, objectId, root, spanId) {
  const data = await api(`/ui-api/trace/${kind}/${objectId}/${root}`);
  const rows = data.rows;
  if (!rows.length) throw new Error("no such trace");
  setNav(data.project ? data.project.id : null, kind === "experiment" ? "Experiments" : "Logs");
  const byId = new Map(rows.map((r) => [r.span_id, r]));
  const kids = new Map();
  const roots = [];
  for (const r of rows) {
    const parent = (r.span_parents || [])[0];
    if (parent && byId.has(parent)) (kids.get(parent) || kids.set(parent, []).get(parent)).push(r);
    else roots.push(r);
  }
  const times = rows.flatMap((r) => [(r.metrics || {}).start, (r.metrics || {}).end]).filter((t) => typeof t === "number");
  // Spans without times (rows logged by hand) sit at the start, with no width.
  const t0 = times.length ? Math.min(...times) : 0, t1 = times.length ? Math.max(...times) : 0;
  const span = t1 > t0 ? t1 - t0 : 1;
  const pos = (t) => ((t - t0) / span) * 100;
  const detail = el("div", { id: "detail", class: "detail" });
  const tree = el("div", { id: "tree", class: "waterfall" });
  const axis = el("div", { class: "axis" }, el("div", { class: "axis-name", text: "Span" }),
    el("div", { class: "axis-track" }, ...[0, 0.25, 0.5, 0.75, 1].map((f) =>
      el("span", { class: "tick", "data-frac": f, style: { left: `${f * 100}%` }, text: fmtDur(f * (t1 - t0)) }))));
  tree.append(axis);
  const show = (r, line) => {
    for (const n of tree.querySelectorAll(".span")) n.classList.remove("selected");
    line.classList.add("selected");
    const a = r.span_attributes || {};
    const isLlm = a.type === "llm";
    detail.replaceChildren(el("h2", {}, a.name || "span", " ", el("span", { class: `badge type-${a.type || "span"}`, text: a.type || "span" })),
      tokenLine(r), r.error ? el("div", { class: "error-box" }, el("b", { text: "Error" }), el("pre", { text: pretty(r.error) })) : "",
      block("Input", r.input), block("Output", r.output), block("Expected", r.expected),
      block("Scores", r.scores), block("Metadata", r.metadata, !isLlm && !!r.metadata), block("Metrics", r.metrics, false),
      r._comments ? el("div", { class: "comments" }, el("h3", { text: "Comments" }),
        ...r._comments.map((c) => el("div", { class: "comment" },
          el("span", { class: "muted", text: fmtTime(c.created) + " " }), el("span", { class: "comment-text", text: String(c.text ?? "") })))) : "");
  };
  const lines = new Map();
  const walk = (r, depth) => {
    const m = r.metrics || {};
    const a = r.span_attributes || {};
    const start = typeof m.start === "number" ? m.start : t0;
    const end = typeof m.end === "number" ? m.end : start;
    const bar = el("span", { class: `bar type-${a.type || "span"}${r.error ? " error" : ""}`,
      "data-start": start - t0, "data-end": end - t0,
      style: { left: `${pos(start)}%`, width: `${Math.max(pos(end) - pos(start), 0.3)}%` } });
    // The duration beside the bar, or inside a wide bar that reaches the right edge.
    const wide = pos(end) - pos(start) > 20;
    const where = pos(end) <= 80 ? { left: `${pos(end)}%` } : wide ? { right: `${100 - pos(end)}%` }
      : { right: `${100 - pos(start)}%` };
    const label = el("span", { class: `dur${pos(end) > 80 && wide ? " inside" : ""}`, text: fmtDur(end - start), style: where });
    const line = el("div", { class: `span${r.error ? " failed" : ""}`, "data-span": a.name, "data-span-id": r.span_id },
      el("div", { class: "name", style: { paddingLeft: `${8 + depth * 16}px` } },
        r.error ? el("span", { class: "err-mark", title: short(r.error), text: "⚠ " }) : "",
        el("span", { text: a.name || "span" }), el("span", { class: "muted small", text: ` ${a.type || ""}` })),
      el("div", { class: "track" }, bar, label));
    line.addEventListener("click", () => show(r, line));
    tree.append(line);
    lines.set(r.span_id, [r, line]);
    for (const k of (kids.get(r.span_id) || []).sort((x, y) => (x.metrics || {}).start - (y.metrics || {}).start)) walk(k, depth + 1);
  };
  roots.forEach((r) => walk(r, 0));
  const s = data.summary || {};
  const facts = [fmtDur(t1 - t0), plural(rows.length, "span"), s.tokens ? `${fmtNum(s.tokens)} tokens` : "",
    s.cost !== null && s.cost !== undefined ? `est. ${fmtCost(s.cost)}` : "", s.errors ? plural(s.errors, "error") : ""].filter(Boolean);
  const where = data.experiment ? el("a", { href: `#/e/${data.experiment.id}`, text: data.experiment.name }) : "";
  main.replaceChildren(el("h1", {}, data.project ? el("span", { class: "project", text: `${data.project.name} · ` }) : "",
    where, where ? " · " : "", "Trace ", el("span", { class: "muted", text: (roots[0].span_attributes || {}).name || "" })),
    el("p", { class: "muted", id: "trace-facts", text: `${fmtTime(roots[0].created)} · ${facts.join(" · ")}` }),
    el("div", { class: "trace" }, tree, detail));
  const chosen = (spanId && lines.get(spanId)) || lines.get(roots[0].span_id);
  if (chosen) show(chosen[0], chosen[1]);
}

// ---------------------------------------------------------------- experiments

async function experiments(projectId) {
  setNav(projectId, "Experiments");
  const data = await api(`/ui-api/projects/${projectId}/experiments`);
  const names = [...new Set(data.experiments.flatMap((e) => Object.keys(e.scores)))];
  const pick = [];
  const compareButton = el("button", { text: "Compare selected", id: "compare", disabled: "",
    onclick: () => { if (pick.length >= 2) location.hash = `#/c/${pick.slice(0, 5).join("/")}`; } });
  const rows = [...data.experiments].reverse().map((e) => {
    const box = el("input", { type: "checkbox", "data-experiment": e.name });
    box.addEventListener("click", (ev) => ev.stopPropagation());
    box.addEventListener("change", () => {
      if (box.checked) pick.push(e.id); else pick.splice(pick.indexOf(e.id), 1);
      compareButton.toggleAttribute("disabled", pick.length < 2);
    });
    return el("tr", { class: "link", onclick: () => (location.hash = `#/e/${e.id}`) }, el("td", {}, box),
      el("td", {}, el("a", { href: `#/e/${e.id}`, text: e.name })), el("td", { class: "time", text: fmtTime(e.created) }),
      el("td", { class: "num", text: fmtNum(e.cases) }), el("td", { class: "num", text: fmtDur(e.duration) }),
      el("td", { class: `num${e.errors ? " error-text" : ""}`, text: e.errors ? fmtNum(e.errors) : "" }),
      el("td", { class: "num", text: e.tokens ? fmtNum(e.tokens) : "" }),
      ...names.map((n) => el("td", { class: "num", text: n in e.scores ? fmtPct(e.scores[n]) : "" })));
  });
  main.replaceChildren(heading(data.project, "Experiments"),
    el("p", { class: "muted", text: "Tick two or more experiments to compare them: the first ticked against the others (up to four)." }),
    compareButton, table(["", "Name", "Created", "Cases", "Avg duration", "Errors", "Tokens", ...names], rows));
}

function histogram(name, values) {
  const bins = new Array(10).fill(0);
  for (const v of values) bins[Math.min(9, Math.max(0, Math.floor(v * 10)))] += 1;
  const W = 220, H = 70, max = Math.max(...bins, 1);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H + 14}`, class: "hist", role: "img", "aria-label": `${name} distribution` },
    ...bins.map((b, i) => svg("rect", { x: i * (W / 10) + 1, y: H - (b / max) * H, width: W / 10 - 2, height: (b / max) * H, class: "hbar" },
      svg("title", { text: `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}: ${b}` }))),
    svg("text", { x: 0, y: H + 12, class: "tick", text: "0" }), svg("text", { x: W, y: H + 12, "text-anchor": "end", class: "tick", text: "1" }));
  return el("figure", { class: "card small-card", "data-score": name }, el("figcaption", {},
    el("b", { text: name }), " ", el("span", { text: fmtPct(values.reduce((a, v) => a + v, 0) / (values.length || 1)) })), chart);
}

async function experiment(id) {
  const data = await api(`/ui-api/experiments/${id}`);
  setNav(data.experiment.project_id, "Experiments");
  const names = Object.keys(data.scores);
  const st = { sort: "created", desc: false, offset: 0 };
  const keyOf = (c, key) => key === "created" ? c.created : key === "duration" ? c.summary.duration
    : key === "tokens" ? c.summary.tokens : c.scores[key.slice(6)];
  const holder = el("div", {});
  const render = () => {
    const cases = [...data.cases].sort((a, b) => {
      const x = keyOf(a, st.sort), y = keyOf(b, st.sort);
      if (x === y) return 0;
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      return (x < y ? -1 : 1) * (st.desc ? -1 : 1);
    });
    const page = cases.slice(st.offset, st.offset + PAGE);
    const sort = { current: st.sort, desc: st.desc, keys: { Duration: "duration", Tokens: "tokens" },
      onSort: (key) => { st.desc = st.sort === key ? !st.desc : true; st.sort = key; st.offset = 0; render(); } };
    for (const n of names) sort.keys[n] = `score:${n}`;
    holder.replaceChildren(el("div", { class: "pager" },
      el("span", { class: "muted", text: `${plural(cases.length, "case")} · ${st.offset + 1}–${Math.min(st.offset + PAGE, cases.length)}` }),
      st.offset > 0 ? el("button", { text: "← Previous", onclick: () => { st.offset -= PAGE; render(); } }) : "",
      st.offset + PAGE < cases.length ? el("button", { text: "Next →", onclick: () => { st.offset += PAGE; render(); } }) : ""),
    table(["Input", "Output", "Expected", ...names, "Duration", "Tokens", "Error"], page.map((c) =>
      el("tr", { class: `link${c.error ? " failed" : ""}`, onclick: () => (location.hash = `#/t/experiment/${id}/${c.root_span_id}`) },
        el("td", { class: "cell", text: short(c.input) }), el("td", { class: "cell", text: short(c.output) }),
        el("td", { class: "cell", text: short(c.expected) }),
        ...names.map((n) => el("td", { class: "num score", text: c.scores[n] ?? "" })),
        el("td", { class: "num", text: fmtDur(c.summary.duration) }), el("td", { class: "num", text: c.summary.tokens ? fmtNum(c.summary.tokens) : "" }),
        el("td", { class: "cell error-text", text: short(c.error, 80) }))), sort));
  };
  const dists = el("div", { class: "charts", id: "distributions" }, ...names.map((n) =>
    histogram(n, data.cases.map((c) => c.scores[n]).filter((v) => typeof v === "number"))));
  main.replaceChildren(heading(data.project, data.experiment.name),
    el("p", { class: "muted", text: `${fmtTime(data.experiment.created)} · ${plural(data.cases.length, "case")}` }), dists, holder);
  render();
}

// Word-level diff (longest common subsequence), shown as kept, removed and added spans.
function textDiff(a, b) {
  const A = (a || "").split(/(\s+)/), B = (b || "").split(/(\s+)/);
  if (A.length * B.length > 250000) return el("span", { class: "muted", text: "(too long to diff)" });
  const L = Array.from({ length: A.length + 1 }, () => new Uint16Array(B.length + 1));
  for (let i = A.length - 1; i >= 0; i--) for (let j = B.length - 1; j >= 0; j--)
    L[i][j] = A[i] === B[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  let ops = [];
  let i = 0, j = 0;
  while (i < A.length || j < B.length) {
    if (i < A.length && j < B.length && A[i] === B[j]) { ops.push(["span", A[i]]); i++; j++; }
    else if (i < A.length && (j >= B.length || L[i + 1][j] >= L[i][j + 1])) { ops.push(["del", A[i]]); i++; }
    else { ops.push(["ins", B[j]]); j++; }
  }
  // A space kept between two changes belongs to the change: "Hello" -> "Hi there" reads as
  // one removal and one insertion, not three pieces.
  ops = ops.flatMap((op, k) => op[0] === "span" && /^\s+$/.test(op[1]) && k > 0 && k < ops.length - 1
    && ops[k - 1][0] !== "span" && ops[k + 1][0] !== "span" ? [["del", op[1]], ["ins", op[1]]] : [op]);
  const out = el("div", { class: "diff" });
  let removed = "", added = "";
  const flush = () => {
    if (removed) out.append(el("del", { text: removed }));
    if (added) out.append(el("ins", { text: added }));
    removed = added = "";
  };
  for (const [op, text] of ops) {
    if (op === "del") removed += text;
    else if (op === "ins") added += text;
    else { flush(); out.append(el("span", { text })); }
  }
  flush();
  return out;
}

const asText = (v) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v, null, 2));

function summaryCards(summary, id) {
  return el("div", { class: "stats", id }, ...Object.keys(summary.scores).map((n) => {
    const s = summary.scores[n];
    const diff = s.diff === null ? "" : `${s.diff > 0 ? "+" : s.diff < 0 ? "-" : "±"}${fmtPct(Math.abs(s.diff))}`;
    return el("div", { class: "stat", "data-score": n }, el("div", { class: "label", text: n }),
      el("div", { class: "value" }, fmtPct(s.score), " ", el("span", { class: s.diff > 0 ? "up" : s.diff < 0 ? "down" : "muted", text: diff })),
      el("div", { class: "small" }, el("span", { class: "up improvements", text: plural(s.improvements || 0, "improvement") }), " · ",
        el("span", { class: "down regressions", text: plural(s.regressions || 0, "regression") })));
  }));
}

async function compare(a, b, ...more) {
  const data = await api(`/ui-api/compare/${a}/${b}${more.length ? `?with=${more.map(encodeURIComponent).join(",")}` : ""}`);
  setNav(data.experiment.project_id, "Experiments");
  const names = Object.keys(data.summary.scores);
  const extra = data.baselines.slice(1);
  const rows = data.pairs.map((p) => {
    const worse = Object.values(p.deltas).some((d) => d < 0);
    const better = Object.values(p.deltas).some((d) => d > 0);
    const mine = asText(p.case.output), theirs = asText((p.base || {}).output);
    const outCell = (expId, c) => el("td", { class: "out" },
      c ? el("a", { href: `#/t/experiment/${expId}/${c.root_span_id}`, class: "trace-link", text: "trace ↗" }) : "",
      el("div", { class: "content", text: c ? asText(c.output) : "(no case with this input)" }));
    return el("tr", { class: worse ? "regression" : better ? "improvement" : "" },
      el("td", { class: "cell", text: short(p.case.input) }),
      outCell(a, p.case), outCell(b, p.base),
      el("td", { class: "out" }, p.base ? textDiff(theirs, mine) : ""),
      ...extra.map((bl, k) => outCell(bl.experiment.id, p.others[k])),
      ...names.map((n) => {
        const d = p.deltas[n];
        return el("td", { class: "num" }, `${p.case.scores[n] ?? ""}`, d === undefined || d === 0 ? "" :
          el("span", { class: d > 0 ? "up" : "down", text: ` (${d > 0 ? "+" : ""}${d.toFixed(2)})` }));
      }));
  });
  main.replaceChildren(el("h1", {}, data.experiment.name, el("span", { class: "muted", text: " vs " }),
      data.baselines.map((bl) => bl.experiment.name).join(", ")),
    el("p", { class: "muted", text: `Cases matched by input. Diff and score changes: ${data.base.name} → ${data.experiment.name}.` }),
    el("h2", { class: "small muted", text: `${data.experiment.name} vs ${data.base.name}` }),
    summaryCards(data.summary, "compare-summary"),
    ...extra.map((bl) => el("div", { class: "baseline", "data-baseline": bl.experiment.name },
      el("h2", { class: "small muted", text: `${data.experiment.name} vs ${bl.experiment.name}` }), summaryCards(bl.summary))),
    table(["Input", data.experiment.name, data.base.name, "Diff", ...extra.map((bl) => bl.experiment.name), ...names], rows));
}

// ---------------------------------------------------------------- datasets and prompts

async function datasets(projectId) {
  setNav(projectId, "Datasets");
  const data = await api(`/ui-api/projects/${projectId}/datasets`);
  main.replaceChildren(heading(data.project, "Datasets"), table(["Name", "Records", "Latest version", "Created"],
    data.datasets.map((d) => el("tr", { class: "link", onclick: () => (location.hash = `#/d/${d.id}`) },
      el("td", { text: d.name }), el("td", { class: "num", text: fmtNum(d.records) }),
      el("td", { text: d.version ?? "" }), el("td", { class: "time", text: fmtTime(d.created) })))));
}

async function dataset(id, version) {
  const data = await api(`/ui-api/datasets/${id}${version ? `?version=${encodeURIComponent(version)}` : ""}`);
  if (data.dataset) setNav(data.dataset.project_id, "Datasets");
  const picker = el("select", { id: "version" }, el("option", { value: "", text: `latest (${data.latest ?? "-"})` }),
    ...(data.versions || []).map((v) => el("option", { value: v, text: String(v) })));
  picker.value = version || "";
  picker.addEventListener("change", () => (location.hash = `#/d/${id}${picker.value ? `/${picker.value}` : ""}`));
  main.replaceChildren(heading(data.project, data.dataset ? data.dataset.name : "Dataset"),
    el("div", { class: "toolbar" }, field("Version (the SDK's version= value)", picker),
      el("span", { class: "muted", text: plural(data.records.length, "record") })),
    table(["Id", "Input", "Expected", "Metadata", "Tags"], data.records.map((r) => el("tr", {},
      el("td", { class: "mono", text: short(r.id, 14) }), el("td", { class: "cell", text: short(r.input) }),
      el("td", { class: "cell", text: short(r.expected) }), el("td", { class: "cell", text: short(r.metadata) }),
      el("td", { text: (r.tags || []).join(", ") })))));
}

function promptText(p) {
  const pd = p.prompt_data || {};
  const blockData = pd.prompt || {};
  const messages = blockData.messages || (blockData.content !== undefined ? [{ role: "prompt", content: blockData.content }] : []);
  return messages.map((m) => `[${m.role}]\n${typeof m.content === "string" ? m.content : JSON.stringify(m.content, null, 2)}`).join("\n\n")
    + `\n\n[options]\n${JSON.stringify(pd.options || {}, null, 2)}`;
}

async function prompts(projectId) {
  setNav(projectId, "Prompts");
  const data = await api(`/ui-api/projects/${projectId}/prompts`);
  main.replaceChildren(heading(data.project, "Prompts"), ...(data.prompts.length ? [] : [el("p", { class: "muted", text: "No prompts yet." })]),
    ...data.prompts.map((group) => {
      const body = el("div", {});
      const picker = el("select", { "data-slug": group.slug }, ...group.versions.map((v) =>
        el("option", { value: v.number, text: `version ${v.number} · ${fmtTime(v.created)}` })));
      const show = () => {
        const i = group.versions.findIndex((v) => String(v.number) === picker.value);
        const p = group.versions[i], prev = group.versions[i + 1];
        const pd = p.prompt_data || {};
        const blockData = pd.prompt || {};
        const messages = blockData.messages || (blockData.content !== undefined ? [{ role: "prompt", content: blockData.content }] : []);
        body.replaceChildren(
          el("p", { class: "muted", text: `model ${(pd.options || {}).model || "-"} · id ${p.id}` }),
          el("div", { class: "chat" }, ...messages.map(messageView)),
          block("Options", pd.options, false),
          prev ? el("details", { class: "block", open: "" }, el("summary", { text: `Changes from version ${prev.number}` }),
            textDiff(promptText(prev), promptText(p))) : "");
      };
      picker.addEventListener("change", show);
      show();
      return el("section", { class: "card prompt", "data-prompt": group.slug },
        el("h2", {}, (group.versions[0] || {}).name || group.slug, " ", el("span", { class: "muted small", text: group.slug })),
        field("Version", picker), body);
    }));
}

// ---------------------------------------------------------------- routing

async function route() {
  if (timer) clearInterval(timer);
  timer = null;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "p" && parts[2] === "experiments") await experiments(parts[1]);
    else if (parts[0] === "p" && parts[2] === "overview") await projectOverview(parts[1]);
    else if (parts[0] === "p" && parts[2] === "datasets") await datasets(parts[1]);
    else if (parts[0] === "p" && parts[2] === "prompts") await prompts(parts[1]);
    else if (parts[0] === "p") await logs(parts[1]);
    else if (parts[0] === "t") await traceView(parts[1], parts[2], parts[3], parts[4]);
    else if (parts[0] === "e") await experiment(parts[1]);
    else if (parts[0] === "c") await compare(...parts.slice(1));
    else if (parts[0] === "d") await dataset(parts[1], parts[2]);
    else await projects();
  } catch (err) {
    main.replaceChildren(el("h1", { text: "Not found" }), el("p", { class: "error-text", text: err.message }),
      el("p", {}, el("a", { href: "#/", text: "All projects" })));
  }
}

window.addEventListener("hashchange", route);
route();
