"""``POST /otel/v1/traces``: OTLP spans mapped to rows like the SDK maps them, then stored."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.exporter import map_span
from braintrust_otel.parent import DEFAULT_PARENT, parse_parent
from braintrust_otel.store import Store

from ._body import read_body
from ._http import HTTPError, rejected_text
from ._otlp import parse_request, spans

__all__ = ["otlp_routes"]


def otlp_routes(store: Store) -> list[Route]:
    """The OTLP/HTTP traces endpoint over ``store`` (JSON or protobuf bodies)."""

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

    return [Route("/otel/v1/traces", otlp, methods=["POST"])]
