"""Small endpoints the official SDK calls besides logging: who am I, dataset summaries,
and a clear answer for the hosted-only environment lookup."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from ._http import error
from ._shapes import ORG_ID

__all__ = ["extra_routes"]

#: The one user of a local server (``braintrust.user_info()``).
LOCAL_USER = {"id": "00000000-0000-4000-8000-000000000002", "email": "local@localhost",
              "given_name": "Local", "family_name": "User", "avatar_url": None,
              "org_id": ORG_ID}


def extra_routes(store: Store) -> list[Route]:
    """``/ping``, ``/v1/dataset/{id}/summarize`` and ``/environment-object/...``."""

    async def ping(request: Request) -> Response:
        return JSONResponse(LOCAL_USER)

    async def dataset_summary(request: Request) -> Response:
        dataset_id = request.path_params["id"]
        found = next(((p, d) for p in store.projects() for d in store.datasets(p["id"])
                      if d["id"] == dataset_id), None)
        if found is None:
            return error(404, "no such dataset")
        project, dataset = found
        summary: dict[str, Any] = {"project_name": project["name"],
                                   "dataset_name": dataset["name"]}
        if request.query_params.get("summarize_data", "true").lower() != "false":
            summary["data_summary"] = {"total_records": len(store.dataset_rows(dataset_id))}
        return JSONResponse(summary)

    async def environment(request: Request) -> Response:
        return error(404, "environments are a hosted-service feature; a local server has "
                     "none (load by version instead)")

    return [Route("/ping", ping, methods=["GET"]),
            Route("/v1/dataset/{id}/summarize", dataset_summary, methods=["GET"]),
            Route("/environment-object/{path:path}", environment, methods=["GET"])]
