"""The starlette application: the REST subset the Braintrust SDKs use, and OTLP ingest."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.exporter import map_span
from braintrust_otel.parent import DEFAULT_PARENT, parse_parent
from braintrust_otel.store import Store

from .._summary import cases_from_rows, summarize_cases
from ._auth import RequireToken, signed_url
from ._body import read_body
from ._btql import btql_routes
from ._bundles import bundle_routes
from ._compare import base_experiment, compare_routes
from ._extras import extra_routes
from ._function_list import function_list_routes
from ._guard import Guard
from ._http import HTTPError, error, object_body, optional_str, required_str, version_param
from ._invoke import invoke_routes
from ._otlp import parse_request, spans
from ._shapes import ORG_ID, prompt_object
from ._uploads import UploadSpool

__all__ = ["create_app"]

PAYLOAD_LIMIT = 6 * 1024 * 1024
_MAX_PENDING = 10_000
_FETCHABLE = ("experiment", "dataset", "project_logs")
_OBJECT_KEYS = (("experiment_id", "experiment"), ("dataset_id", "dataset"))


def _rejected_text(rejected: list[tuple[tuple[str, str, dict[str, Any]], Exception]]) -> str:
    (_, _, row), exc = rejected[0]
    return f"row {str(row.get('id'))[:100]!r}: {type(exc).__name__}: {str(exc)[:300]}"


async def _json(request: Request) -> dict[str, Any]:
    raw = await read_body(request)
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        raise HTTPError(400, "body is not valid JSON") from None
    return object_body(body)


def _safe_key(key: str) -> bool:
    # Keys name files: nothing but letters, digits and dashes (no traversal).
    return bool(key) and len(key) <= 64 and all(c.isalnum() or c == "-" for c in key)


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


def create_app(store: Store, token: Optional[str] = None, *, public_hosts: Iterable[str] = (),
               upload_dir: Optional[Path] = None, upload_ttl: float = 600.0,
               upload_max_bytes: int = 512 * 1024 * 1024) -> Starlette:
    """The server's application over ``store``.

    Args:
        store: The embedded store it reads and writes.
        token: When set, every request needs ``Authorization: Bearer <token>``.
        public_hosts: Host names it answers to besides loopback names and IP addresses
            (any other ``Host`` is refused: a DNS rebinding guard).
        upload_dir: Where overflow uploads wait for their claim (a temporary folder if None).
        upload_ttl: Seconds an unclaimed overflow upload is kept.
        upload_max_bytes: Bytes of unclaimed overflow uploads kept at once.
    """
    uploads = UploadSpool(upload_dir, ttl=upload_ttl, max_bytes=upload_max_bytes)
    pending: dict[str, tuple[Optional[str], Optional[str]]] = {}

    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

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
        body = await _json(request)
        proj = store.ensure_project(name=required_str(body, "name"))
        return JSONResponse({**proj, "org_id": ORG_ID})

    async def experiment(request: Request) -> Response:
        if request.method == "POST":
            body = await _json(request)
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
        body = await _json(request)
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
        body = await _json(request)
        project_id, name = required_str(body, "project_id"), required_str(body, "name")
        optional_str(body, "description")
        info = {k: body[k] for k in ("description", "metadata") if body.get(k) is not None}
        return JSONResponse(store.ensure_dataset(project_id, name, info))

    async def logs3(request: Request) -> Response:
        body = await _json(request)
        rows = body.get("rows")
        if isinstance(rows, dict) and rows.get("type") == "logs3_overflow":
            key = rows.get("key")
            payload = uploads.claim(key) if isinstance(key, str) else None
            if payload is None:
                raise HTTPError(400, "unknown or expired overflow key (upload it again)")
            try:
                rows = object_body(json.loads(payload)).get("rows")
            except ValueError:
                raise HTTPError(400, "the overflow upload is not valid JSON") from None
        checked = _checked_rows(rows)
        # A row that cannot be stored must not take the others with it.
        rejected = store.write_each([(*_object_of(r), r) for r in checked])
        if rejected:
            raise HTTPError(400, f"{len(rejected)} of {len(checked)} rows could not be stored "
                            f"(the others were): {_rejected_text(rejected)}")
        return JSONResponse({"ids": [r["id"] for r in checked]})

    async def overflow(request: Request) -> Response:
        await _json(request)
        key = uploads.issue()
        # Signed: the SDKs PUT to it with a plain HTTP client, without their API key.
        url = signed_url(f"{base_url(request)}/upload/{key}", token, key)
        return JSONResponse({"method": "PUT", "signedUrl": url, "headers": {}, "key": key})

    async def upload(request: Request) -> Response:
        uploads.put(request.path_params["key"], await read_body(request))
        return Response(status_code=200)

    async def prompt(request: Request) -> Response:
        if request.method in ("POST", "PUT"):
            body = await _json(request)
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
        # store saves them (prompts; code functions keep their preview only).
        from braintrust_otel.backends.local import save_function

        body = await _json(request)
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

    async def attachment(request: Request) -> Response:
        if request.method == "GET":
            key = request.query_params.get("key", "")
            if not key or not store.has_attachment(key):
                return error(404, "no such attachment")
            return JSONResponse({"downloadUrl": f"{base_url(request)}/attachment/data/{key}",
                                 "status": {"upload_status": "done"}})
        body = await _json(request)
        new_key = body.get("key")
        if not isinstance(new_key, str) or not _safe_key(new_key):
            raise HTTPError(400, "key must be a string of letters, digits and dashes")
        pending[new_key] = (optional_str(body, "filename"), optional_str(body, "content_type"))
        while len(pending) > _MAX_PENDING:  # announced, never uploaded: forget the oldest
            del pending[next(iter(pending))]
        url = signed_url(f"{base_url(request)}/attachment/upload/{new_key}", token, new_key)
        return JSONResponse({"signedUrl": url, "headers": {}})

    async def attachment_upload(request: Request) -> Response:
        key = request.path_params["key"]
        if not _safe_key(key) or key not in pending:
            raise HTTPError(400, "unknown attachment key")
        filename, content_type = pending.pop(key)
        store.put_attachment(key, await read_body(request), filename, content_type)
        return Response(status_code=200)

    async def attachment_data(request: Request) -> Response:
        key = request.path_params["key"]
        if not _safe_key(key) or not store.has_attachment(key):
            return error(404, "no such attachment")
        # Never rendered as a page of ours: a download, sandboxed, its type not sniffed.
        filename = store.attachment_info(key).get("filename") or key
        return Response(store.get_attachment(key), media_type="application/octet-stream",
                        headers={"Content-Disposition": "attachment; filename*=UTF-8''"
                                 + quote(filename, safe=""),
                                 "Content-Security-Policy": "default-src 'none'; sandbox"})

    async def attachment_status(request: Request) -> Response:
        await _json(request)
        return JSONResponse({})

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
                "rejectedSpans": len(rejected), "errorMessage": _rejected_text(rejected)}})
        return JSONResponse({"partialSuccess": {}})

    routes = [
        Route("/api/apikey/login", login, methods=["POST"]),
        Route("/version", version, methods=["GET"]),
        Route("/v1/project", project, methods=["POST"]),
        Route("/v1/project/{id}", project, methods=["GET"]),
        Route("/v1/experiment", experiment, methods=["GET", "POST"]),
        Route("/v1/experiment/{id}", experiment_get, methods=["GET"]),
        Route("/v1/experiment/{id}/summarize", summarize, methods=["GET"]),
        Route("/v1/{kind:str}/{id}/fetch", fetch, methods=["POST"]),
        Route("/v1/dataset", dataset, methods=["POST"]),
        Route("/logs3", logs3, methods=["POST"]),
        Route("/logs3/overflow", overflow, methods=["POST"]),
        Route("/upload/{key}", upload, methods=["PUT"]),
        Route("/otel/v1/traces", otlp, methods=["POST"]),
        Route("/v1/prompt", prompt, methods=["GET", "POST", "PUT"]),
        Route("/insert-functions", insert_functions, methods=["POST"]),
        Route("/v1/prompt/{id}", prompt, methods=["GET"]),
        Route("/attachment", attachment, methods=["GET", "POST"]),
        Route("/attachment/status", attachment_status, methods=["POST"]),
        Route("/attachment/upload/{key}", attachment_upload, methods=["PUT"]),
        Route("/attachment/data/{key}", attachment_data, methods=["GET"]),
    ]

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPError)
        return error(exc.status, exc.message, exc.headers)

    from ._ui import ui_routes

    routes += compare_routes(store)
    routes += btql_routes(store)
    routes += invoke_routes(store)
    routes += extra_routes(store)
    routes += bundle_routes(store, token)
    routes += function_list_routes(store)
    routes += ui_routes(store)
    middleware = [Middleware(Guard, public_hosts=tuple(public_hosts))]
    if token is not None:
        middleware.append(Middleware(RequireToken, token=token))
    return Starlette(routes=routes, exception_handlers={HTTPError: on_error},
                     middleware=middleware)

