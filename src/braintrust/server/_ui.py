"""JSON endpoints behind the web UI, and the static files (no build step, no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from .._summary import cases_from_rows, input_key, summarize_cases
from ._http import HTTPError, int_param, version_param
from ._links import link_routes
from ._rollup import estimated_cost, overview, trace_summary

__all__ = ["ui_routes"]

STATIC = Path(__file__).parent / "static"
_FILES = {"app.js": "text/javascript", "app.css": "text/css"}


def _score_means(rows: list[dict[str, Any]]) -> dict[str, float]:
    scores, _ = summarize_cases(cases_from_rows(rows))
    return {name: s.score for name, s in scores.items()}


def _float_param(value: Optional[str], name: str) -> Optional[float]:
    if value in (None, ""):
        return None
    try:
        return float(str(value))
    except ValueError:
        raise HTTPError(400, f"{name} must be a number") from None


def _by_trace(rows: list[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
    traces: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        traces.setdefault(row.get("root_span_id"), []).append(row)
    return traces


def _cases(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for spans in _by_trace(rows).values():
        root = next((r for r in spans if not r.get("span_parents")), spans[0])
        scores: dict[str, Any] = {}
        for span in spans:
            scores.update(span.get("scores") or {})
        out.append({"id": root.get("id"), "root_span_id": root.get("root_span_id"),
                    "input": root.get("input"), "output": root.get("output"),
                    "expected": root.get("expected"), "error": root.get("error"),
                    "scores": scores, "key": input_key(root.get("input")),
                    "created": root.get("created"), "summary": trace_summary(spans)})
    out.sort(key=lambda c: str(c.get("created") or ""))
    return out


def _summary_json(scores: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    return {"scores": {n: {"score": s.score, "diff": s.diff, "improvements": s.improvements,
                           "regressions": s.regressions} for n, s in scores.items()},
            "metrics": {n: {"metric": m.metric, "unit": m.unit, "diff": m.diff,
                            "improvements": m.improvements, "regressions": m.regressions}
                        for n, m in metrics.items()}}


def ui_routes(store: Store) -> list[Route]:
    """The UI's routes over ``store``."""

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _FILES:  # a fixed list: nothing else on disk is reachable
            return JSONResponse({"error": "not found"}, status_code=404)
        return FileResponse(STATIC / name, media_type=_FILES[name])

    async def projects(request: Request) -> Response:
        return JSONResponse({"projects": store.projects()})

    async def logs(request: Request) -> Response:
        q = request.query_params
        pid = request.path_params["id"]
        meta = q.get("meta") or ""
        key, _, value = meta.partition("=")
        score_name = q.get("score") or ""
        rows, total = store.find_roots(
            "project_logs", pid,
            limit=int_param(q.get("limit"), "limit", 50, maximum=500),
            offset=int_param(q.get("offset"), "offset", 0),
            search=q.get("search") or None, errors_only=q.get("errors") == "1",
            span_type=q.get("type") or None, span_name=q.get("name") or None,
            model=q.get("model") or None,
            metadata=(key, value) if "=" in meta else None,
            tag=q.get("tag") or None,
            score=(score_name, _float_param(q.get("score_min"), "score_min"),
                   _float_param(q.get("score_max"), "score_max")) if score_name else None,
            since=q.get("since") or None, until=q.get("until") or None,
            sort=q.get("sort") or "created", descending=q.get("dir") != "asc")
        for row in rows:
            row["_summary"] = trace_summary(store.trace("project_logs", pid,
                                                        str(row.get("root_span_id"))))
        return JSONResponse({"rows": rows, "total": total,
                             "project": store.find_project(id=pid)})

    async def project_overview(request: Request) -> Response:
        pid = request.path_params["id"]
        days = int_param(request.query_params.get("days"), "days", 30, maximum=3650)
        return JSONResponse({"days": overview(store.daily_roots("project_logs", pid, days)),
                             "project": store.find_project(id=pid)})

    async def trace(request: Request) -> Response:
        p = request.path_params
        rows = store.trace(p["kind"], p["id"], p["root"])
        comments = store.comments(p["kind"], p["id"], [r["id"] for r in rows]) if rows else {}
        for row in rows:
            if row["id"] in comments:
                row["_comments"] = comments[row["id"]]
            m = row.get("metrics") if isinstance(row.get("metrics"), dict) else {}
            meta = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
            row["_cost"] = estimated_cost((meta or {}).get("model"), (m or {}).get(
                "prompt_tokens"), (m or {}).get("completion_tokens"))
        exp = store.find_experiment(id=p["id"]) if p["kind"] == "experiment" else None
        project_id = exp["project_id"] if exp else p["id"] if p["kind"] == "project_logs" \
            else None
        return JSONResponse({"rows": rows, "summary": trace_summary(rows) if rows else None,
                             "experiment": exp, "project": store.find_project(id=project_id)
                             if project_id else None})

    async def experiments(request: Request) -> Response:
        out = []
        for exp in store.experiments(request.path_params["id"]):
            rows = [r.data for r in store.rows("experiment", exp["id"])]
            cases = _cases(rows)
            durations = [c["summary"]["duration"] for c in cases
                         if c["summary"]["duration"] is not None]
            out.append({**exp, "scores": _score_means(rows), "cases": len(cases),
                        "errors": sum(1 for c in cases if c["summary"]["errors"]),
                        "duration": sum(durations) / len(durations) if durations else None,
                        "tokens": sum(c["summary"]["tokens"] for c in cases)})
        return JSONResponse({"experiments": out,
                             "project": store.find_project(id=request.path_params["id"])})

    async def experiment(request: Request) -> Response:
        exp = store.find_experiment(id=request.path_params["id"])
        if exp is None:
            return JSONResponse({"error": "no such experiment"}, status_code=404)
        rows = [r.data for r in store.rows("experiment", exp["id"])]
        scores, metrics = summarize_cases(cases_from_rows(rows))
        return JSONResponse({"experiment": exp, "cases": _cases(rows),
                             "scores": {n: s.score for n, s in scores.items()},
                             "summary": _summary_json(scores, metrics),
                             "project": store.find_project(id=exp["project_id"])})

    async def compare(request: Request) -> Response:
        # The experiment, its base, and up to three more experiments to compare it with
        # (``?with=id,id``): each baseline gets its own summary and output column.
        a, b = request.path_params["a"], request.path_params["b"]
        more = [x for x in (request.query_params.get("with") or "").split(",") if x][:3]
        ids = [a, b, *more]
        exps = [store.find_experiment(id=x) for x in ids]
        if None in exps:
            return JSONResponse({"error": "no such experiment"}, status_code=404)
        rows = {x: [r.data for r in store.rows("experiment", x)] for x in ids}
        mine = _cases(rows[a])
        baselines: list[dict[str, Any]] = []
        for x, exp in zip(ids[1:], exps[1:]):
            # The same numbers Eval prints: one summary function for both.
            scores, metrics = summarize_cases(cases_from_rows(rows[a]), cases_from_rows(rows[x]))
            baselines.append({"experiment": exp, "summary": _summary_json(scores, metrics),
                              "cases": {c["key"]: c for c in _cases(rows[x])}})
        pairs = []
        for case in mine:
            others = [bl["cases"].get(case["key"]) for bl in baselines]
            deltas = {}
            for name, value in case["scores"].items():
                before = (others[0] or {}).get("scores", {}).get(name)
                if isinstance(value, (int, float)) and isinstance(before, (int, float)):
                    deltas[name] = value - before
            pairs.append({"case": case, "base": others[0], "others": others[1:],
                          "deltas": deltas})
        return JSONResponse({"experiment": exps[0], "base": exps[1], "pairs": pairs,
                             "summary": baselines[0]["summary"],
                             "baselines": [{"experiment": bl["experiment"],
                                            "summary": bl["summary"]} for bl in baselines]})

    async def datasets(request: Request) -> Response:
        out = []
        for ds in store.datasets(request.path_params["id"]):
            out.append({**ds, "version": store.dataset_version(ds["id"]),
                        "records": store.count("dataset", ds["id"])})
        return JSONResponse({"datasets": out,
                             "project": store.find_project(id=request.path_params["id"])})

    async def dataset(request: Request) -> Response:
        version = version_param(request.query_params.get("version"))
        rows = store.dataset_rows(request.path_params["id"], version)
        found = store.find_dataset(request.path_params["id"])
        project = store.find_project(id=found["project_id"]) if found else None
        return JSONResponse({"dataset": found, "project": project, "records": rows,
                             "latest": store.dataset_version(request.path_params["id"]),
                             "versions": store.dataset_versions(request.path_params["id"])})

    async def prompts(request: Request) -> Response:
        # Grouped by slug, each version numbered 1, 2, 3... in the order it was saved.
        groups: dict[str, list[dict[str, Any]]] = {}
        for item in reversed(store.prompts(request.path_params["id"])):
            versions = groups.setdefault(item["slug"], [])
            versions.append({**item, "number": len(versions) + 1})
        return JSONResponse({"prompts": [{"slug": slug, "versions": versions[::-1]}
                                         for slug, versions in sorted(groups.items())],
                             "project": store.find_project(id=request.path_params["id"])})

    return [
        Route("/", index, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/ui-api/projects", projects, methods=["GET"]),
        Route("/ui-api/projects/{id}/logs", logs, methods=["GET"]),
        Route("/ui-api/projects/{id}/overview", project_overview, methods=["GET"]),
        Route("/ui-api/projects/{id}/experiments", experiments, methods=["GET"]),
        Route("/ui-api/projects/{id}/datasets", datasets, methods=["GET"]),
        Route("/ui-api/projects/{id}/prompts", prompts, methods=["GET"]),
        Route("/ui-api/trace/{kind}/{id}/{root}", trace, methods=["GET"]),
        Route("/ui-api/experiments/{id}", experiment, methods=["GET"]),
        Route("/ui-api/compare/{a}/{b}", compare, methods=["GET"]),
        Route("/ui-api/datasets/{id}", dataset, methods=["GET"]),
        *link_routes(store),
    ]
