"""Ingest: ``/logs3`` rows (and their overflow uploads) and OTLP/HTTP traces."""

from __future__ import annotations

from typing import Any, Optional

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.exporter import map_span
from braintrust_otel.parent import DEFAULT_PARENT, parse_parent
from braintrust_otel.serialize import decode
from braintrust_otel.store import Store

from ._auth import signed_url
from ._body import json_body, read_body
from ._http import HTTPError, base_url, object_body, rejected_text
from ._otlp import parse_request, spans
from ._uploads import UploadSpool

__all__ = ["ingest_routes"]

_OBJECT_KEYS = (("experiment_id", "experiment"), ("dataset_id", "dataset"))


def _checked_rows(rows: Any) -> list[dict[str, Any]]:
    if not isinstance(rows, list):
        raise HTTPError(400, "rows must be a list of objects with an id")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise HTTPError(400, f"rows[{i}] must be an object")
        if not isinstance(row.get("id"), str) or not row["id"]:
            raise HTTPError(400, f"rows[{i}].id must be a non-empty string")
        for key in ("experiment_id", "dataset_id", "project_id"):
            if row.get(key) is not None and not isinstance(row[key], str):
                raise HTTPError(400, f"rows[{i}].{key} must be a string")
    return rows


def _object_of(row: dict[str, Any]) -> tuple[str, str]:
    for key, kind in _OBJECT_KEYS:
        if row.get(key):
            return kind, str(row[key])
    if row.get("project_id"):
        return "project_logs", str(row["project_id"])
    raise HTTPError(400, f"row {row.get('id')!r} names no object (project_id, experiment_id "
                    "or dataset_id)")


def ingest_routes(store: Store, uploads: UploadSpool, token: Optional[str]) -> list[Route]:
    """``/logs3``, ``/logs3/overflow``, ``/upload/{key}`` and ``/otel/v1/traces``.

    Args:
        store: Where rows are written.
        uploads: The overflow spool.
        token: The server's access token, if any (overflow upload URLs are signed with it).
    """

    async def logs3(request: Request) -> Response:
        body = await json_body(request)
        rows = body.get("rows")
        if isinstance(rows, dict) and rows.get("type") == "logs3_overflow":
            key = rows.get("key")
            payload = uploads.claim(key) if isinstance(key, str) else None
            if payload is None:
                raise HTTPError(400, "unknown or expired overflow key (upload it again)")
            try:
                rows = object_body(decode(payload)).get("rows")
            except ValueError:
                raise HTTPError(400, "the overflow upload is not valid JSON") from None
        checked = _checked_rows(rows)
        # A row that cannot be stored must not take the others with it.
        rejected = store.write_each([(*_object_of(r), r) for r in checked])
        if rejected:
            raise HTTPError(400, f"{len(rejected)} of {len(checked)} rows could not be stored "
                            f"(the others were): {rejected_text(rejected)}")
        return JSONResponse({"ids": [r["id"] for r in checked]})

    async def overflow(request: Request) -> Response:
        await json_body(request)
        key = uploads.issue()
        # Signed: the SDKs PUT to it with a plain HTTP client, without their API key.
        url = signed_url(f"{base_url(request)}/upload/{key}", token, key)
        return JSONResponse({"method": "PUT", "signedUrl": url, "headers": {}, "key": key})

    async def upload(request: Request) -> Response:
        uploads.put(request.path_params["key"], await read_body(request))
        return Response(status_code=200)

    async def otlp(request: Request) -> Response:
        raw = await read_body(request)
        try:
            parsed = parse_request(raw, request.headers.get("content-type", ""))
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from None
        header_parent = request.headers.get("x-bt-parent")
        if header_parent:
            try:
                parse_parent(header_parent)
            except ValueError as exc:
                raise HTTPError(400, str(exc)) from None
        triples = []
        targets: dict[str, tuple[str, str, dict[str, str]]] = {}  # resolved once per request
        for span in spans(parsed):
            row = map_span(span)
            parent = row.pop("_parent", None) or header_parent or DEFAULT_PARENT
            if parent not in targets:
                try:
                    p = parse_parent(parent)
                except ValueError as exc:
                    raise HTTPError(400, str(exc)) from None
                if p.kind in ("experiment_id", "dataset_id"):
                    targets[parent] = (p.kind.split("_")[0], p.value, {p.kind: p.value})
                else:
                    proj = store.ensure_project(
                        name=p.value if p.kind == "project_name" else None,
                        id=p.value if p.kind == "project_id" else None)
                    targets[parent] = ("project_logs", proj["id"],
                                       {"project_id": proj["id"], "log_id": "g"})
            kind, object_id, ids = targets[parent]
            row.update(ids)
            triples.append((kind, object_id, row))
        rejected = store.write_each(triples) if triples else []
        if rejected:
            return JSONResponse({"partialSuccess": {
                "rejectedSpans": len(rejected), "errorMessage": rejected_text(rejected)}})
        return JSONResponse({"partialSuccess": {}})

    return [Route("/logs3", logs3, methods=["POST"]),
            Route("/logs3/overflow", overflow, methods=["POST"]),
            Route("/upload/{key}", upload, methods=["PUT"]),
            Route("/otel/v1/traces", otlp, methods=["POST"])]
