"""Login and the ``/v1`` objects: projects, experiments (and their summaries), datasets,
and fetching an object's rows."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from .._summary import cases_from_rows, summarize_cases
from ._body import json_body
from ._compare import base_experiment
from ._http import base_url, error, optional_str, required_str, version_param
from ._shapes import ORG_ID, roots_named_by_trace

__all__ = ["PAYLOAD_LIMIT", "object_routes"]

#: The request size the server tells SDKs to keep ``/logs3`` bodies under.
PAYLOAD_LIMIT = 6 * 1024 * 1024
_FETCHABLE = ("experiment", "dataset", "project_logs")


def object_routes(store: Store) -> list[Route]:
    """Login, ``/version`` and the ``/v1`` object endpoints over ``store``."""

    async def login(request: Request) -> Response:
        url = base_url(request)
        return JSONResponse({"org_info": [{"id": ORG_ID, "name": "local", "api_url": url,
                                           "proxy_url": url, "realtime_url": None,
                                           "git_metadata": None, "is_universal_api": False}]})

    async def version(request: Request) -> Response:
        return JSONResponse({"version": "braintrust-otel", "logs3_payload_max_bytes":
                             PAYLOAD_LIMIT})

    async def project(request: Request) -> Response:
        if request.method == "GET":
            found = store.find_project(id=request.path_params["id"])
            return JSONResponse(found) if found else error(404, "no such project")
        body = await json_body(request)
        proj = store.ensure_project(name=required_str(body, "name"))
        return JSONResponse({**proj, "org_id": ORG_ID})

    async def experiment(request: Request) -> Response:
        if request.method == "POST":
            body = await json_body(request)
            project_id = required_str(body, "project_id")
            for field in ("name", "description", "base_exp_id", "dataset_id"):
                optional_str(body, field)
            info = {k: body[k] for k in ("description", "metadata", "tags", "base_exp_id",
                                         "dataset_id") if body.get(k) is not None}
            exp = store.create_experiment(project_id, body.get("name"), info,
                                          ensure_new=bool(body.get("ensure_new", True)))
            return JSONResponse(exp)
        project_id = request.query_params.get("project_id", "")
        if not project_id and request.query_params.get("project_name"):
            named = store.find_project(name=request.query_params["project_name"])
            project_id = named["id"] if named else ""
        name = request.query_params.get("experiment_name")
        found = [e for e in store.experiments(project_id) if name in (None, e["name"])]
        return JSONResponse({"objects": found})

    async def experiment_get(request: Request) -> Response:
        found = store.find_experiment(id=request.path_params["id"])
        return JSONResponse(found) if found else error(404, "no such experiment")

    async def fetch(request: Request) -> Response:
        kind, object_id = request.path_params["kind"], request.path_params["id"]
        if kind not in _FETCHABLE:
            return error(404, f"cannot fetch {kind!r:.40}: one of {', '.join(_FETCHABLE)}")
        body = await json_body(request)
        if kind == "dataset":
            rows = store.dataset_rows(object_id, version_param(body.get("version")))
        else:
            rows = [r.data for r in store.rows(kind, object_id)]
            if kind == "experiment":
                rows = roots_named_by_trace(rows)
        return JSONResponse({"events": rows, "cursor": None})

    async def summarize(request: Request) -> Response:
        exp = store.find_experiment(id=request.path_params["id"])
        if exp is None:
            return error(404, "no such experiment")
        cases = cases_from_rows(r.data for r in store.rows("experiment", exp["id"]))
        base_id = request.query_params.get("comparison_experiment_id")
        compared = store.find_experiment(id=base_id) if base_id else base_experiment(store, exp)
        base = cases_from_rows(r.data for r in store.rows("experiment", compared["id"])) \
            if compared else None
        scores, metrics = summarize_cases(cases, base)
        return JSONResponse({
            "project_name": (store.find_project(id=exp["project_id"]) or {}).get("name"),
            "experiment_name": exp["name"],
            "comparison_experiment_name": compared["name"] if compared else None,
            "scores": {n: {"name": n, "score": s.score, "diff": s.diff,
                           "improvements": s.improvements, "regressions": s.regressions}
                       for n, s in scores.items()},
            "metrics": {n: {"name": n, "metric": m.metric, "unit": m.unit, "diff": m.diff,
                            "improvements": m.improvements, "regressions": m.regressions}
                        for n, m in metrics.items()}})

    async def dataset(request: Request) -> Response:
        body = await json_body(request)
        project_id, name = required_str(body, "project_id"), required_str(body, "name")
        optional_str(body, "description")
        info = {k: body[k] for k in ("description", "metadata") if body.get(k) is not None}
        return JSONResponse(store.ensure_dataset(project_id, name, info))

    return [Route("/api/apikey/login", login, methods=["POST"]),
            Route("/version", version, methods=["GET"]),
            Route("/v1/project", project, methods=["POST"]),
            Route("/v1/project/{id}", project, methods=["GET"]),
            Route("/v1/experiment", experiment, methods=["GET", "POST"]),
            Route("/v1/experiment/{id}", experiment_get, methods=["GET"]),
            Route("/v1/experiment/{id}/summarize", summarize, methods=["GET"]),
            Route("/v1/{kind:str}/{id}/fetch", fetch, methods=["POST"]),
            Route("/v1/dataset", dataset, methods=["POST"])]
