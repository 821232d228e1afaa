"""Prompts (``/v1/prompt``) and saving function definitions (``/insert-functions``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from ._body import json_body
from ._http import HTTPError, error, required_str, version_param
from ._shapes import prompt_object

__all__ = ["prompt_routes"]


def prompt_routes(store: Store) -> list[Route]:
    """The prompt and function-definition endpoints over ``store``."""

    async def prompt(request: Request) -> Response:
        if request.method in ("POST", "PUT"):
            body = await json_body(request)
            data = {k: v for k, v in body.items() if k not in ("project_id", "slug", "id")}
            return JSONResponse(store.save_prompt(required_str(body, "project_id"),
                                                  required_str(body, "slug"), data))
        if "id" in request.path_params:
            found = store.find_prompt(id=request.path_params["id"])
            return JSONResponse(prompt_object(found)) if found else error(404, "no such prompt")
        q = request.query_params
        project_id = q.get("project_id")
        if project_id is None and q.get("project_name"):
            proj = store.find_project(name=q["project_name"])
            project_id = proj["id"] if proj else None
        version = version_param(q.get("version"))
        found = store.find_prompt(project_id=project_id, slug=q.get("slug"), version=version) \
            if project_id else None
        return JSONResponse({"objects": [prompt_object(found)] if found else []})

    async def insert_functions(request: Request) -> Response:
        # What publish() and `braintrust push` send: saved like the embedded
        # store saves them (prompts; code functions name their file or bundle).
        from braintrust_otel.backends.local import save_function

        body = await json_body(request)
        functions = body.get("functions") if isinstance(body, dict) else None
        if not isinstance(functions, list) or not all(
                isinstance(f, dict) and isinstance(f.get("project_id"), str) and f.get("slug")
                for f in functions):
            raise HTTPError(400, "functions must be a list of definitions with project_id "
                            "and slug")
        try:
            saved = [save_function(store, f) for f in functions]
        except ValueError as exc:
            raise HTTPError(409, str(exc)) from None
        return JSONResponse({"functions": [{"id": f["id"], "slug": f["slug"]} for f in saved]})

    return [Route("/v1/prompt", prompt, methods=["GET", "POST", "PUT"]),
            Route("/insert-functions", insert_functions, methods=["POST"]),
            Route("/v1/prompt/{id}", prompt, methods=["GET"])]
