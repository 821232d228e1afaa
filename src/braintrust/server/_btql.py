"""``/btql``: the object reads the official SDK sends as BTQL queries.

Datasets and experiments are read this way (iteration, ``fetch()``,
``_internal_btql``, a pinned dataset ``version``), and so are a prompt's
versions (``project_prompts`` with ``audit_log``). The query subset is
evaluated by :mod:`._btql_eval`; this module reads the rows from the store.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from ._body import read_body
from ._btql_eval import Query, apply, parse_query
from ._http import HTTPError, object_body, version_param
from ._shapes import prompt_object

__all__ = ["btql_routes"]


def _functions(store: Store, project_id: str, audit_log: bool) -> list[dict[str, Any]]:
    # Every saved version when the audit log is asked for (each one an upsert),
    # else each prompt's latest; oldest first either way.
    versions = list(reversed(store.prompts(project_id)))
    if audit_log:
        return [prompt_object({**p, "project_id": project_id,
                               "audit_data": {"action": "upsert"}}) for p in versions]
    latest = {p["id"]: p for p in versions}
    return [prompt_object({**p, "project_id": project_id}) for p in latest.values()]


def _rows(store: Store, query: Query, version: Optional[int],
          audit_log: bool) -> list[dict[str, Any]]:
    if query.source in ("project_prompts", "project_functions"):
        return _functions(store, query.object_id, audit_log)
    if query.source == "dataset":
        return store.dataset_rows(query.object_id, version)
    return [r.data for r in store.rows(query.source, query.object_id)]


def btql_routes(store: Store) -> list[Route]:
    """The ``/btql`` endpoint over ``store``."""

    async def btql(request: Request) -> Response:
        raw = await read_body(request)
        try:
            body = object_body(json.loads(raw) if raw else {})
        except ValueError:
            raise HTTPError(400, "body is not valid JSON") from None
        try:
            query = parse_query(body.get("query"))
            version = version_param(body.get("version"))
            rows = _rows(store, query, version, bool(body.get("audit_log")))
            data, cursor = apply(query, rows)
        except ValueError as exc:
            raise HTTPError(400, f"btql: {exc}") from None
        return JSONResponse({"data": data, "cursor": cursor, "schema": {}})

    return [Route("/btql", btql, methods=["POST"])]
