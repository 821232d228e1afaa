"""Rendering stored traces as indented trees for the terminal."""

from __future__ import annotations

import json
from typing import Any

from braintrust_otel.store import Store

__all__ = ["format_trace", "render_datasets", "render_experiments", "render_logs"]

_WIDTH = 60


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", " ")
    return text if len(text) <= _WIDTH else text[: _WIDTH - 3] + "..."


def _duration(row: dict[str, Any]) -> str:
    metrics = row.get("metrics") or {}
    start, end = metrics.get("start"), metrics.get("end")
    if not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
        return "?"
    ms = (end - start) * 1000
    return f"{ms:.1f}ms" if ms < 1000 else f"{ms / 1000:.2f}s"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _tokens(row: dict[str, Any]) -> str:
    metrics = row.get("metrics") or {}
    total = metrics.get("tokens")
    if not isinstance(total, (int, float)):
        return ""
    prompt, completion = metrics.get("prompt_tokens"), metrics.get("completion_tokens")
    if isinstance(prompt, (int, float)) and isinstance(completion, (int, float)):
        return f"tokens={int(total)} ({int(prompt)} in, {int(completion)} out)"
    return f"tokens={int(total)}"


def _line(row: dict[str, Any]) -> str:
    attrs = row.get("span_attributes") or {}
    kind = f" [{attrs['type']}]" if attrs.get("type") else ""
    parts = [f"{attrs.get('name', '?')}{kind} {_duration(row)}"]
    if _tokens(row):
        parts.append(_tokens(row))
    for field in ("input", "output"):
        if row.get(field) is not None:
            parts.append(f"{field}={_short(row[field])}")
    if row.get("scores"):
        parts.append(f"scores={_short(row['scores'])}")
    if row.get("error") is not None:
        parts.append(f"error={_short(str(row['error']).splitlines()[-1])}")
    return "  ".join(parts)


def format_trace(rows: list[dict[str, Any]]) -> str:
    """Formats the rows of one trace as an indented tree.

    Args:
        rows: Every row of the trace.

    Returns:
        One line per span; children below their parent, in start order.
    """
    by_id = {r.get("span_id"): r for r in rows}
    children: dict[Any, list[dict[str, Any]]] = {}
    roots = []
    for row in rows:
        parents = row.get("span_parents") or []
        if parents and parents[0] in by_id:
            children.setdefault(parents[0], []).append(row)
        else:
            roots.append(row)

    def start(row: dict[str, Any]) -> float:
        value = (row.get("metrics") or {}).get("start")
        return float(value) if isinstance(value, (int, float)) else 0.0

    lines: list[str] = []

    def walk(row: dict[str, Any], prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        lines.append(prefix + branch + _line(row))
        kids = sorted(children.get(row.get("span_id"), []), key=start)
        inner = prefix if top else prefix + ("   " if last else "│  ")
        for i, kid in enumerate(kids):
            walk(kid, inner, i == len(kids) - 1, False)

    for root in sorted(roots, key=start):
        walk(root, "", True, True)
    return "\n".join(lines)


def render_logs(store: Store, project: str | None = None, limit: int = 5) -> str:
    """Formats the newest traces of a project (or of every project).

    Args:
        store: The store to read.
        project: A project name; every project when None.
        limit: How many traces per project, newest first.

    Returns:
        The text to print.
    """
    if project is not None:
        found = store.find_project(name=project)
        if found is None:
            return f"No project named {project!r} in {store.location}."
        projects = [found]
    else:
        projects = store.projects()
    if not projects:
        return f"No traces yet in {store.location}."
    out = []
    for proj in projects:
        roots = store.recent_traces("project_logs", proj["id"], limit)
        total = store.count("project_logs", proj["id"])
        out.append(f"Project {proj['name']} ({_plural(total, 'span')}; newest "
                   f"{_plural(len(roots), 'trace')})")
        for root in roots:
            rows = store.trace("project_logs", proj["id"], root)
            out.append("")
            out.append(f"trace {root}")
            out.append(format_trace(rows))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_experiments(store: Store, project: str | None = None, limit: int = 5) -> str:
    """Formats the newest experiments of a project (or of every project) with score means.

    Args:
        store: The store to read.
        project: A project name; every project when None.
        limit: How many experiments per project, newest first.

    Returns:
        The text to print: one line per experiment (name, created, cases, errors, tokens,
        score means), the summary ``Eval`` prints.
    """
    from ._summary import cases_from_rows, summarize_cases

    projects = _projects(store, project)
    if isinstance(projects, str):
        return projects
    out = []
    for proj in projects:
        exps = store.experiments(proj["id"])[::-1][:limit]
        out.append(f"Project {proj['name']} ({_plural(len(exps), 'experiment')} shown)")
        for exp in exps:
            cases = cases_from_rows(r.data for r in store.rows("experiment", exp["id"]))
            scores, metrics = summarize_cases(cases)
            errors = sum(1 for c in cases if c.error)
            tokens = metrics.get("tokens")
            line = (f"  {exp['name']}  {str(exp.get('created', ''))[:19].replace('T', ' ')}"
                    f"  {_plural(len(cases), 'case')}")
            if errors:
                line += f", {_plural(errors, 'error')}"
            if tokens is not None:
                line += f", {tokens.metric:.0f} tokens per case"
            out.append(line)
            for name, score in scores.items():
                out.append(f"      {score.score * 100:6.2f}%  {name}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_datasets(store: Store, project: str | None = None) -> str:
    """Formats the datasets of a project (or of every project): records and latest version."""
    projects = _projects(store, project)
    if isinstance(projects, str):
        return projects
    out = []
    for proj in projects:
        found = store.datasets(proj["id"])
        out.append(f"Project {proj['name']} ({_plural(len(found), 'dataset')})")
        for ds in found:
            version = store.dataset_version(ds["id"])
            out.append(f"  {ds['name']}  {_plural(store.count('dataset', ds['id']), 'record')}"
                       f", version {version if version is not None else '-'}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _projects(store: Store, project: str | None) -> list[dict[str, str]] | str:
    if project is not None:
        found = store.find_project(name=project)
        return [found] if found else f"No project named {project!r} in {store.location}.\n"
    return store.projects() or f"Nothing stored yet in {store.location}.\n"
