"""The app paths the SDK prints (``/app/<org>/...``), redirected to the UI's pages.

``Eval`` prints ``/app/<org>/p/<project>/experiments/<name>``, ``span.permalink()`` prints
``/app/<org>/object?object_type=...&object_id=...&id=...``: the hosted app's paths, so the
same link works against either. Here each one is resolved in the store and answered with a
redirect to the single-page UI's hash route.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

__all__ = ["link_routes", "ui_path"]

_KINDS = ("experiment", "project_logs", "dataset")


def ui_path(*parts: str) -> str:
    """The UI's address of a page: ``/#/<part>/<part>...`` with each part quoted."""
    return "/#/" + "/".join(quote(p, safe="") for p in parts)


def _not_found(what: str) -> Response:
    return PlainTextResponse(f"{what} is not in this store (was it logged to another store, or "
                             "to the Braintrust service?)", status_code=404)


def link_routes(store: Store) -> list[Route]:
    """Routes that turn the SDK's printed links into pages of the UI over ``store``."""

    def project_id(name_or_id: str) -> Optional[str]:
        found = store.find_project(id=name_or_id) or store.find_project(name=name_or_id)
        return found["id"] if found else None

    async def project(request: Request) -> Response:
        pid = project_id(request.path_params["project"])
        if pid is None:
            return _not_found(f"project {request.path_params['project']!r}")
        page = request.path_params.get("page")
        if page not in (None, "logs", "experiments", "datasets", "prompts"):
            return _not_found(f"page {str(page)[:40]!r}")
        parts = ("p", pid) if page in (None, "logs") else ("p", pid, page)
        return RedirectResponse(ui_path(*parts), status_code=302)

    async def experiment(request: Request) -> Response:
        p = request.path_params
        pid = project_id(p["project"])
        exp = store.find_experiment(project_id=pid, name=p["name"]) if pid else None
        if exp is None:
            exp = store.find_experiment(id=p["name"])
        if exp is None:
            return _not_found(f"experiment {p['name']!r} of project {p['project']!r}")
        return RedirectResponse(ui_path("e", exp["id"]), status_code=302)

    async def obj(request: Request) -> Response:
        q = request.query_params
        kind, object_id, row_id = q.get("object_type", ""), q.get("object_id", ""), q.get("id")
        if kind not in _KINDS:
            return _not_found(f"object type {kind[:40]!r}")
        if kind == "project_logs":
            object_id = project_id(object_id) or object_id
        if not row_id:
            if kind == "experiment":
                return RedirectResponse(ui_path("e", object_id), status_code=302)
            if kind == "dataset":
                return RedirectResponse(ui_path("d", object_id), status_code=302)
            return RedirectResponse(ui_path("p", object_id), status_code=302)
        row = store.find_row(kind, object_id, row_id)
        if row is None:
            return _not_found(f"row {row_id[:64]!r}")
        if kind == "dataset":
            return RedirectResponse(ui_path("d", object_id), status_code=302)
        return RedirectResponse(ui_path("t", kind, object_id, str(row.get("root_span_id")),
                                        str(row.get("span_id"))), status_code=302)

    return [
        Route("/app/{org}/object", obj, methods=["GET"]),
        Route("/app/{org}/p/{project}", project, methods=["GET"]),
        Route("/app/{org}/p/{project}/experiments/{name}", experiment, methods=["GET"]),
        Route("/app/{org}/p/{project}/{page}", project, methods=["GET"]),
    ]
