"""``/v1/function``: listing and looking up stored functions (prompts, tools, scorers).

What the hosted REST API offers beside ``/insert-functions``: a project's
functions (latest versions), filtered by slug or name, or one function by id,
optionally at a version.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from ._http import error, version_param
from ._shapes import prompt_object

__all__ = ["function_list_routes"]


def function_list_routes(store: Store) -> list[Route]:
    """The function listing endpoints over ``store``."""

    async def listing(request: Request) -> Response:
        q = request.query_params
        projects = store.projects()
        if q.get("project_id"):
            projects = [p for p in projects if p["id"] == q["project_id"]]
        elif q.get("project_name"):
            projects = [p for p in projects if p["name"] == q["project_name"]]
        version = version_param(q.get("version"))
        found = []
        for proj in projects:
            if q.get("slug") and version is not None:
                one = store.find_prompt(project_id=proj["id"], slug=q["slug"], version=version)
                found += [one] if one else []
                continue
            latest: dict[str, dict[str, object]] = {}
            for p in store.prompts(proj["id"]):  # newest first: the first seen is the latest
                latest.setdefault(p["id"], {**p, "project_id": proj["id"]})
            found += list(latest.values())
        found = [f for f in found
                 if q.get("slug") in (None, f.get("slug"))
                 and q.get("function_name") in (None, f.get("name"))
                 and q.get("function_type") in (None, f.get("function_type"))]
        return JSONResponse({"objects": [prompt_object(f) for f in found]})

    async def one(request: Request) -> Response:
        found = store.find_prompt(id=request.path_params["id"],
                                  version=version_param(request.query_params.get("version")))
        return JSONResponse(prompt_object(found)) if found else error(404, "no such function")

    return [Route("/v1/function", listing, methods=["GET"]),
            Route("/v1/function/{id}", one, methods=["GET"])]
