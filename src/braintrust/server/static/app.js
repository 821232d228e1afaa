// The local Braintrust UI. Every piece of user data goes in with textContent,
// never innerHTML, so a row holding HTML or script shows as text.
"use strict";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let timer = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "onclick") node.addEventListener("click", v);
    else if (k === "text") node.textContent = v;
    // Styles through the CSSOM: the Content-Security-Policy refuses style attributes.
    else if (k === "style") Object.assign(node.style, v);
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

const short = (value) => {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 120 ? text.slice(0, 117) + "…" : text;
};

async function api(path) {
  const resp = await fetch(path, { credentials: "same-origin" });
  if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status}`);
  return resp.json();
}

function table(headers, rows) {
  const head = el("tr", {}, ...headers.map((h) => el("th", { text: h })));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows));
}

function setNav(projectId) {
  nav.replaceChildren();
  if (!projectId) return;
  for (const [label, path] of [["Logs", ""], ["Experiments", "/experiments"],
                               ["Datasets", "/datasets"], ["Prompts", "/prompts"]]) {
    nav.append(el("a", { href: `#/p/${projectId}${path}`, text: label }));
  }
}

async function projects() {
  setNav(null);
  const data = await api("/ui-api/projects");
  main.replaceChildren(el("h1", { text: "Projects" }), table(["Name", "Created"],
    data.projects.map((p) => el("tr", { class: "link", "data-project": p.name,
      onclick: () => (location.hash = `#/p/${p.id}`) },
      el("td", { text: p.name }), el("td", { text: p.created })))));
}

async function logs(projectId, offset = 0, search = "", filters = { errors: false, type: "" }) {
  setNav(projectId);
  const box = el("input", { type: "search", placeholder: "Search input, output, metadata…",
    value: search, id: "search" });
  box.addEventListener("change", () => logs(projectId, 0, box.value, filters));
  const errors = el("input", { type: "checkbox", id: "errors-only" });
  errors.checked = filters.errors;
  errors.addEventListener("change", () => logs(projectId, 0, search, { ...filters, errors: errors.checked }));
  const type = el("select", { id: "type-filter" }, ...["", "task", "llm", "function", "tool", "eval"]
    .map((t) => el("option", { value: t, text: t || "any type" })));
  type.value = filters.type;
  type.addEventListener("change", () => logs(projectId, 0, search, { ...filters, type: type.value }));
  const controls = el("p", {}, box, " ", el("label", {}, errors, " errors only"), " ", type);
  const render = async () => {
    const q = new URLSearchParams({ offset, limit: 50, search, type: filters.type,
                                    errors: filters.errors ? "1" : "" });
    const data = await api(`/ui-api/projects/${projectId}/logs?${q}`);
    const rows = data.rows.map((r) => {
      const m = r.metrics || {};
      const duration = m.end && m.start ? `${((m.end - m.start) * 1000).toFixed(1)} ms` : "";
      return el("tr", { class: "link", "data-row": r.id,
        onclick: () => (location.hash = `#/t/project_logs/${projectId}/${r.root_span_id}`) },
        el("td", { text: r.created || "" }), el("td", { text: (r.span_attributes || {}).name }),
        el("td", { class: "cell", text: short(r.input) }),
        el("td", { class: "cell", text: short(r.output) }),
        el("td", { class: "cell", text: short(r.scores) }), el("td", { text: duration }),
        el("td", { text: m.tokens ?? "" }));
    });
    const pager = el("p", {},
      el("span", { class: "muted", text: `${data.total} traces ` }),
      offset > 0 ? el("button", { text: "Newer", onclick: () => logs(projectId, offset - 50, search, filters) }) : "",
      offset + 50 < data.total ? el("button", { text: "Older", onclick: () => logs(projectId, offset + 50, search, filters) }) : "");
    main.replaceChildren(el("h1", { text: "Logs" }), controls, pager,
      table(["Time", "Name", "Input", "Output", "Scores", "Duration", "Tokens"], rows));
  };
  await render();
  // Live: new rows appear without a reload while the first page is shown.
  if (offset === 0) timer = setInterval(() => { if (document.activeElement !== box) render(); }, 2000);
}

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

function jsonBlock(title, value, open = true) {
  if (value === undefined || value === null) return "";
  let body;
  if (Array.isArray(value) && value.every((m) => m && typeof m === "object" && "role" in m)) {
    body = el("div", {}, ...value.map((m) => el("div", { class: "message" },
      el("div", { class: "role", text: m.role }),
      el("div", { text: typeof m.content === "string" ? m.content : JSON.stringify(m.content) }))));
  } else {
    body = el("div", {}, el("pre", { text: typeof value === "string" ? value : JSON.stringify(value, null, 2) }),
      ...attachmentsIn(value).map(attachmentView));
  }
  const details = el("details", {}, el("summary", { text: title }), body);
  if (open) details.setAttribute("open", "");
  return details;
}

async function traceView(kind, objectId, root) {
  const data = await api(`/ui-api/trace/${kind}/${objectId}/${root}`);
  const rows = data.rows;
  const byId = new Map(rows.map((r) => [r.span_id, r]));
  const kids = new Map();
  const roots = [];
  for (const r of rows) {
    const parent = (r.span_parents || [])[0];
    if (parent && byId.has(parent)) (kids.get(parent) || kids.set(parent, []).get(parent)).push(r);
    else roots.push(r);
  }
  const start = Math.min(...rows.map((r) => (r.metrics || {}).start || Infinity));
  const end = Math.max(...rows.map((r) => (r.metrics || {}).end || 0));
  const detail = el("div", { id: "detail" });
  const tree = el("div", { id: "tree" });
  const show = (r, line) => {
    for (const n of tree.querySelectorAll(".span")) n.classList.remove("selected");
    line.classList.add("selected");
    const a = r.span_attributes || {};
    detail.replaceChildren(el("h2", { text: `${a.name} (${a.type || "span"})` }),
      jsonBlock("Input", r.input), jsonBlock("Output", r.output), jsonBlock("Expected", r.expected),
      jsonBlock("Error", r.error), jsonBlock("Scores", r.scores), jsonBlock("Metadata", r.metadata, false),
      jsonBlock("Metrics", r.metrics, false));
  };
  const walk = (r, depth) => {
    const m = r.metrics || {};
    // A waterfall: each bar starts where the span started within the trace.
    const scale = end > start ? 200 / (end - start) : 0;
    const width = Math.max(2, (m.end - m.start) * scale || 0);
    const offset = Math.max(0, (m.start - start) * scale || 0);
    const line = el("div", { class: "span", "data-span": (r.span_attributes || {}).name,
      style: { paddingLeft: `${depth * 16}px` } }, el("span", { text: (r.span_attributes || {}).name }),
      el("span", { class: "track" }, el("span", { class: "bar",
        style: { width: `${width}px`, marginLeft: `${offset}px` } })));
    line.addEventListener("click", () => show(r, line));
    tree.append(line);
    for (const k of (kids.get(r.span_id) || []).sort((x, y) => (x.metrics || {}).start - (y.metrics || {}).start)) walk(k, depth + 1);
    return line;
  };
  const first = roots.map((r) => walk(r, 0))[0];
  main.replaceChildren(el("h1", { text: "Trace" }), el("div", { class: "tree" }, tree, detail));
  if (first) show(roots[0], first);
}

async function experiments(projectId) {
  setNav(projectId);
  const data = await api(`/ui-api/projects/${projectId}/experiments`);
  const names = [...new Set(data.experiments.flatMap((e) => Object.keys(e.scores)))];
  const pick = [];
  const compareButton = el("button", { text: "Compare selected", id: "compare",
    onclick: () => { if (pick.length === 2) location.hash = `#/c/${pick[0]}/${pick[1]}`; } });
  const rows = data.experiments.map((e) => {
    const box = el("input", { type: "checkbox", "data-experiment": e.name });
    box.addEventListener("change", () => {
      if (box.checked) pick.push(e.id); else pick.splice(pick.indexOf(e.id), 1);
    });
    return el("tr", {}, el("td", {}, box),
      el("td", {}, el("a", { href: `#/e/${e.id}`, text: e.name })), el("td", { text: e.cases }),
      ...names.map((n) => el("td", { text: n in e.scores ? `${(e.scores[n] * 100).toFixed(1)}%` : "" })));
  });
  main.replaceChildren(el("h1", { text: "Experiments" }), compareButton,
    table(["", "Name", "Cases", ...names], rows));
}

async function experiment(id) {
  const data = await api(`/ui-api/experiments/${id}`);
  setNav(data.experiment.project_id);
  const names = Object.keys(data.scores);
  main.replaceChildren(el("h1", { text: data.experiment.name }),
    el("p", { text: names.map((n) => `${n}: ${(data.scores[n] * 100).toFixed(1)}%`).join("  ") }),
    table(["Input", "Output", "Expected", ...names, "Error"], data.cases.map((c) =>
      el("tr", { class: "link", onclick: () => (location.hash = `#/t/experiment/${id}/${c.root_span_id}`) },
        el("td", { class: "cell", text: short(c.input) }), el("td", { class: "cell", text: short(c.output) }),
        el("td", { class: "cell", text: short(c.expected) }),
        ...names.map((n) => el("td", { text: c.scores[n] ?? "" })),
        el("td", { class: "cell", text: short(c.error) })))));
}

async function compare(a, b) {
  const data = await api(`/ui-api/compare/${a}/${b}`);
  setNav(data.experiment.project_id);
  const names = [...new Set(data.pairs.flatMap((p) => Object.keys(p.case.scores)))];
  const rows = data.pairs.map((p) => {
    const worse = Object.values(p.deltas).some((d) => d < 0);
    const better = Object.values(p.deltas).some((d) => d > 0);
    return el("tr", { class: worse ? "regression" : better ? "improvement" : "" },
      el("td", { class: "cell", text: short(p.case.input) }),
      ...names.map((n) => {
        const d = p.deltas[n];
        return el("td", { text: `${p.case.scores[n] ?? ""}${d === undefined ? "" : ` (${d > 0 ? "+" : ""}${d.toFixed(2)})`}` });
      }));
  });
  main.replaceChildren(el("h1", { text: `${data.experiment.name} vs ${data.base.name}` }),
    table(["Input", ...names], rows));
}

async function datasets(projectId) {
  setNav(projectId);
  const data = await api(`/ui-api/projects/${projectId}/datasets`);
  main.replaceChildren(el("h1", { text: "Datasets" }), table(["Name", "Records", "Version"],
    data.datasets.map((d) => el("tr", { class: "link", onclick: () => (location.hash = `#/d/${d.id}`) },
      el("td", { text: d.name }), el("td", { text: d.records }), el("td", { text: d.version ?? "" })))));
}

async function dataset(id, version) {
  const data = await api(`/ui-api/datasets/${id}${version ? `?version=${version}` : ""}`);
  main.replaceChildren(el("h1", { text: `Dataset records${version ? ` at version ${version}` : ""}` }),
    el("p", { class: "muted", text: `latest version ${data.latest ?? "-"}` }),
    table(["Id", "Input", "Expected", "Metadata", "Tags"], data.records.map((r) => el("tr", {},
      el("td", { text: r.id }), el("td", { class: "cell", text: short(r.input) }),
      el("td", { class: "cell", text: short(r.expected) }), el("td", { class: "cell", text: short(r.metadata) }),
      el("td", { text: (r.tags || []).join(", ") })))));
}

async function prompts(projectId) {
  setNav(projectId);
  const data = await api(`/ui-api/projects/${projectId}/prompts`);
  main.replaceChildren(el("h1", { text: "Prompts" }), ...data.prompts.map((p) => {
    const pd = p.prompt_data || {};
    const block = pd.prompt || {};
    return el("section", {}, el("h2", { text: `${p.slug} (version ${p._xact_id})` }),
      el("p", { class: "muted", text: `model ${(pd.options || {}).model || "-"}` }),
      jsonBlock("Messages", block.messages || block.content), jsonBlock("Options", pd.options, false));
  }));
}

async function route() {
  if (timer) clearInterval(timer);
  timer = null;
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "p" && parts[2] === "experiments") await experiments(parts[1]);
    else if (parts[0] === "p" && parts[2] === "datasets") await datasets(parts[1]);
    else if (parts[0] === "p" && parts[2] === "prompts") await prompts(parts[1]);
    else if (parts[0] === "p") await logs(parts[1]);
    else if (parts[0] === "t") await traceView(parts[1], parts[2], parts[3]);
    else if (parts[0] === "e") await experiment(parts[1]);
    else if (parts[0] === "c") await compare(parts[1], parts[2]);
    else if (parts[0] === "d") await dataset(parts[1], parts[2]);
    else await projects();
  } catch (err) {
    main.replaceChildren(el("p", { text: `Error: ${err.message}` }));
  }
}

window.addEventListener("hashchange", route);
route();
