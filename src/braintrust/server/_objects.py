"""``/v1/...``: projects, experiments (with summaries), datasets, prompts, fetching rows."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from .._summary import cases_from_rows, summarize_cases
from ._body import json_body
from ._http import error, optional_str, required_str, version_param
from ._login import ORG_ID

__all__ = ["object_routes"]

_FETCHABLE = ("experiment", "dataset", "project_logs")


def _prompt_object(found: dict[str, Any]) -> dict[str, Any]:
    # The official SDK needs every field of its prompt schema present.
    return {"name": found.get("slug"), "description": None, "tags": None,
            "function_type": None, "org_id": ORG_ID, "log_id": "p", **found}


def object_routes(store: Store) -> list[Route]:
    """The object endpoints over ``store``."""

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
        return JSONResponse({"events": rows, "cursor": None})

    async def summarize(request: Request) -> Response:
        exp = store.find_experiment(id=request.path_params["id"])
        if exp is None:
            return error(404, "no such experiment")
        cases = cases_from_rows(r.data for r in store.rows("experiment", exp["id"]))
        base_id = request.query_params.get("comparison_experiment_id")
        base = cases_from_rows(r.data for r in store.rows("experiment", base_id)) \
            if base_id else None
        scores, metrics = summarize_cases(cases, base)
        return JSONResponse({
            "project_name": (store.find_project(id=exp["project_id"]) or {}).get("name"),
            "experiment_name": exp["name"], "comparison_experiment_name": None,
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

    async def prompt(request: Request) -> Response:
        if request.method in ("POST", "PUT"):
            body = await json_body(request)
            data = {k: v for k, v in body.items() if k not in ("project_id", "slug", "id")}
            return JSONResponse(store.save_prompt(required_str(body, "project_id"),
                                                  required_str(body, "slug"), data))
        if "id" in request.path_params:
            found = store.find_prompt(id=request.path_params["id"])
            return JSONResponse(_prompt_object(found)) if found else error(404, "no such prompt")
        q = request.query_params
        project_id = q.get("project_id")
        if project_id is None and q.get("project_name"):
            proj = store.find_project(name=q["project_name"])
            project_id = proj["id"] if proj else None
        version = version_param(q.get("version"))
        found = store.find_prompt(project_id=project_id, slug=q.get("slug"), version=version) \
            if project_id else None
        return JSONResponse({"objects": [_prompt_object(found)] if found else []})

    return [
        Route("/v1/project", project, methods=["POST"]),
        Route("/v1/project/{id}", project, methods=["GET"]),
        Route("/v1/experiment", experiment, methods=["GET", "POST"]),
        Route("/v1/experiment/{id}", experiment_get, methods=["GET"]),
        Route("/v1/experiment/{id}/summarize", summarize, methods=["GET"]),
        Route("/v1/{kind:str}/{id}/fetch", fetch, methods=["POST"]),
        Route("/v1/dataset", dataset, methods=["POST"]),
        Route("/v1/prompt", prompt, methods=["GET", "POST", "PUT"]),
        Route("/v1/prompt/{id}", prompt, methods=["GET"]),
    ]
