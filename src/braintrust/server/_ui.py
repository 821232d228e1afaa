"""JSON endpoints behind the web UI, and the static files (no build step, no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from .._summary import cases_from_rows, input_key, summarize_cases
from ._http import int_param, version_param

__all__ = ["ui_routes"]

STATIC = Path(__file__).parent / "static"
_FILES = {"app.js": "text/javascript", "app.css": "text/css"}


def _score_means(rows: list[dict[str, Any]]) -> dict[str, float]:
    scores, _ = summarize_cases(cases_from_rows(rows))
    return {name: s.score for name, s in scores.items()}


def _cases(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    traces: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        traces.setdefault(row.get("root_span_id"), []).append(row)
    out = []
    for spans in traces.values():
        root = next((r for r in spans if not r.get("span_parents")), spans[0])
        scores: dict[str, Any] = {}
        for span in spans:
            scores.update(span.get("scores") or {})
        out.append({"id": root.get("id"), "root_span_id": root.get("root_span_id"),
                    "input": root.get("input"), "output": root.get("output"),
                    "expected": root.get("expected"), "error": root.get("error"),
                    "scores": scores, "key": input_key(root.get("input")),
                    "created": root.get("created")})
    out.sort(key=lambda c: str(c.get("created") or ""))
    return out


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
        rows, total = store.roots("project_logs", request.path_params["id"],
                                  limit=int_param(q.get("limit"), "limit", 50, maximum=500),
                                  offset=int_param(q.get("offset"), "offset", 0),
                                  search=q.get("search"),
                                  errors_only=q.get("errors") == "1",
                                  span_type=q.get("type") or None)
        return JSONResponse({"rows": rows, "total": total})

    async def trace(request: Request) -> Response:
        p = request.path_params
        return JSONResponse({"rows": store.trace(p["kind"], p["id"], p["root"])})

    async def experiments(request: Request) -> Response:
        out = []
        for exp in store.experiments(request.path_params["id"]):
            rows = [r.data for r in store.rows("experiment", exp["id"])]
            out.append({**exp, "scores": _score_means(rows),
                        "cases": len({r.get("root_span_id") for r in rows})})
        return JSONResponse({"experiments": out})

    async def experiment(request: Request) -> Response:
        exp = store.find_experiment(id=request.path_params["id"])
        if exp is None:
            return JSONResponse({"error": "no such experiment"}, status_code=404)
        rows = [r.data for r in store.rows("experiment", exp["id"])]
        return JSONResponse({"experiment": exp, "cases": _cases(rows),
                             "scores": _score_means(rows)})

    async def compare(request: Request) -> Response:
        a, b = request.path_params["a"], request.path_params["b"]
        exps = [store.find_experiment(id=x) for x in (a, b)]
        if None in exps:
            return JSONResponse({"error": "no such experiment"}, status_code=404)
        mine = _cases([r.data for r in store.rows("experiment", a)])
        base = {c["key"]: c for c in _cases([r.data for r in store.rows("experiment", b)])}
        pairs = []
        for case in mine:
            other = base.get(case["key"])
            deltas = {}
            for name, value in case["scores"].items():
                before = (other or {}).get("scores", {}).get(name)
                if isinstance(value, (int, float)) and isinstance(before, (int, float)):
                    deltas[name] = value - before
            pairs.append({"case": case, "base": other, "deltas": deltas})
        return JSONResponse({"experiment": exps[0], "base": exps[1], "pairs": pairs})

    async def datasets(request: Request) -> Response:
        out = []
        for ds in store.datasets(request.path_params["id"]):
            out.append({**ds, "version": store.dataset_version(ds["id"]),
                        "records": len(store.dataset_rows(ds["id"]))})
        return JSONResponse({"datasets": out})

    async def dataset(request: Request) -> Response:
        version = version_param(request.query_params.get("version"))
        rows = store.dataset_rows(request.path_params["id"], version)
        return JSONResponse({"records": rows, "latest": store.dataset_version(
            request.path_params["id"])})

    async def prompts(request: Request) -> Response:
        return JSONResponse({"prompts": store.prompts(request.path_params["id"])})

    return [
        Route("/", index, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/ui-api/projects", projects, methods=["GET"]),
        Route("/ui-api/projects/{id}/logs", logs, methods=["GET"]),
        Route("/ui-api/projects/{id}/experiments", experiments, methods=["GET"]),
        Route("/ui-api/projects/{id}/datasets", datasets, methods=["GET"]),
        Route("/ui-api/projects/{id}/prompts", prompts, methods=["GET"]),
        Route("/ui-api/trace/{kind}/{id}/{root}", trace, methods=["GET"]),
        Route("/ui-api/experiments/{id}", experiment, methods=["GET"]),
        Route("/ui-api/compare/{a}/{b}", compare, methods=["GET"]),
        Route("/ui-api/datasets/{id}", dataset, methods=["GET"]),
    ]
