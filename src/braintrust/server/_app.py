"""The starlette application: the REST subset the Braintrust SDKs use, and OTLP ingest."""

from __future__ import annotations

import gzip
import json
import os
import uuid
from typing import Any, Optional

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from braintrust_otel.mapping import span_to_row
from braintrust_otel.parent import DEFAULT_PARENT, parse_parent
from braintrust_otel.store import Store

from .._summary import cases_from_rows, summarize_cases
from ._otlp import parse_request, spans

__all__ = ["create_app"]

MAX_BODY = 64 * 1024 * 1024
PAYLOAD_LIMIT = 6 * 1024 * 1024
ORG_ID = "00000000-0000-4000-8000-000000000001"


class HTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> bytes:
    length = int(request.headers.get("content-length") or 0)
    if length > MAX_BODY:
        raise HTTPError(413, f"request body over {MAX_BODY} bytes")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise HTTPError(413, f"request body over {MAX_BODY} bytes")
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            raw = gzip.decompress(raw)
        except OSError:
            raise HTTPError(400, "body is not valid gzip") from None
    return raw


async def _json(request: Request) -> Any:
    raw = await _body(request)
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        raise HTTPError(400, "body is not valid JSON") from None


def _prompt_object(found: dict[str, Any]) -> dict[str, Any]:
    # The official SDK needs every field of its prompt schema present.
    return {"name": found.get("slug"), "description": None, "tags": None,
            "function_type": None, "org_id": ORG_ID, "log_id": "p", **found}


def _safe_key(key: str) -> bool:
    # Keys name files: nothing but letters, digits and dashes (no traversal).
    return bool(key) and len(key) <= 64 and all(c.isalnum() or c == "-" for c in key)


def _object_of(row: dict[str, Any]) -> tuple[str, str]:
    for key, kind in (("experiment_id", "experiment"), ("dataset_id", "dataset")):
        if row.get(key):
            return kind, str(row[key])
    if row.get("project_id"):
        return "project_logs", str(row["project_id"])
    raise HTTPError(400, f"row {row.get('id')!r} names no object (project_id, experiment_id "
                    "or dataset_id)")


def create_app(store: Store, token: Optional[str] = None) -> Starlette:
    """The server's application over ``store``.

    Args:
        store: The embedded store it reads and writes.
        token: When set, every request needs ``Authorization: Bearer <token>``.
    """
    uploads: dict[str, bytes] = {}
    pending: dict[str, tuple[Any, Any]] = {}

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
            return JSONResponse(found) if found else _error(404, "no such project")
        body = await _json(request)
        if not isinstance(body.get("name"), str) or not body["name"]:
            raise HTTPError(400, "name is required")
        proj = store.ensure_project(name=body["name"])
        return JSONResponse({**proj, "org_id": ORG_ID})

    async def experiment(request: Request) -> Response:
        if request.method == "POST":
            body = await _json(request)
            if not isinstance(body.get("project_id"), str):
                raise HTTPError(400, "project_id is required")
            info = {k: body[k] for k in ("description", "metadata", "tags", "base_exp_id",
                                         "dataset_id") if body.get(k) is not None}
            exp = store.create_experiment(body["project_id"], body.get("name"), info,
                                          ensure_new=bool(body.get("ensure_new", True)))
            return JSONResponse(exp)
        project_id = request.query_params.get("project_id", "")
        name = request.query_params.get("experiment_name")
        found = [e for e in store.experiments(project_id) if name in (None, e["name"])]
        return JSONResponse({"objects": found})

    async def experiment_get(request: Request) -> Response:
        found = store.find_experiment(id=request.path_params["id"])
        return JSONResponse(found) if found else _error(404, "no such experiment")

    async def fetch(request: Request) -> Response:
        kind, object_id = request.path_params["kind"], request.path_params["id"]
        body = await _json(request)
        if kind == "dataset":
            version = body.get("version")
            rows = store.dataset_rows(object_id, int(version) if version else None)
        else:
            rows = [r.data for r in store.rows("experiment", object_id)]
        return JSONResponse({"events": rows, "cursor": None})

    async def summarize(request: Request) -> Response:
        exp = store.find_experiment(id=request.path_params["id"])
        if exp is None:
            return _error(404, "no such experiment")
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
        body = await _json(request)
        if not isinstance(body.get("project_id"), str) or not body.get("name"):
            raise HTTPError(400, "project_id and name are required")
        info = {k: body[k] for k in ("description", "metadata") if body.get(k) is not None}
        return JSONResponse(store.ensure_dataset(body["project_id"], body["name"], info))

    async def logs3(request: Request) -> Response:
        body = await _json(request)
        rows = body.get("rows") if isinstance(body, dict) else None
        if isinstance(rows, dict) and rows.get("type") == "logs3_overflow":
            payload = uploads.pop(str(rows.get("key")), None)
            if payload is None:
                raise HTTPError(400, "unknown overflow key")
            rows = json.loads(payload).get("rows")
        if not isinstance(rows, list) or not all(isinstance(r, dict) and r.get("id")
                                                 for r in rows):
            raise HTTPError(400, "rows must be a list of objects with an id")
        triples = [(*_object_of(r), r) for r in rows]
        store.write(triples)
        return JSONResponse({"ids": [r["id"] for r in rows]})

    async def overflow(request: Request) -> Response:
        await _json(request)
        key = uuid.uuid4().hex
        return JSONResponse({"method": "PUT", "signedUrl": f"{base_url(request)}/upload/{key}",
                             "headers": {}, "key": key})

    async def upload(request: Request) -> Response:
        key = request.path_params["key"]
        if not key.isalnum():
            raise HTTPError(400, "bad key")
        uploads[key] = await _body(request)
        return Response(status_code=200)

    async def prompt(request: Request) -> Response:
        if request.method in ("POST", "PUT"):
            body = await _json(request)
            if not isinstance(body.get("project_id"), str) or not body.get("slug"):
                raise HTTPError(400, "project_id and slug are required")
            data = {k: v for k, v in body.items() if k not in ("project_id", "slug", "id")}
            return JSONResponse(store.save_prompt(body["project_id"], body["slug"], data))
        if "id" in request.path_params:
            found = store.find_prompt(id=request.path_params["id"])
            return JSONResponse(_prompt_object(found)) if found else _error(404, "no such prompt")
        q = request.query_params
        project_id = q.get("project_id")
        if project_id is None and q.get("project_name"):
            proj = store.find_project(name=q["project_name"])
            project_id = proj["id"] if proj else None
        version = q.get("version")
        if version is not None and not version.isdigit():
            raise HTTPError(400, "version must be a transaction id")
        found = store.find_prompt(project_id=project_id, slug=q.get("slug"),
                                  version=int(version) if version else None) \
            if project_id else None
        return JSONResponse({"objects": [_prompt_object(found)] if found else []})

    async def attachment(request: Request) -> Response:
        if request.method == "GET":
            key = request.query_params.get("key", "")
            if not key or not store.has_attachment(key):
                return _error(404, "no such attachment")
            return JSONResponse({"downloadUrl": f"{base_url(request)}/attachment/data/{key}"})
        body = await _json(request)
        key = str(body.get("key", ""))
        if not _safe_key(key):
            raise HTTPError(400, "key must be letters, digits and dashes")
        pending[key] = (body.get("filename"), body.get("content_type"))
        return JSONResponse({"signedUrl": f"{base_url(request)}/attachment/upload/{key}",
                             "headers": {}})

    async def attachment_upload(request: Request) -> Response:
        key = request.path_params["key"]
        if not _safe_key(key) or key not in pending:
            raise HTTPError(400, "unknown attachment key")
        filename, content_type = pending.pop(key)
        store.put_attachment(key, await _body(request), filename, content_type)
        return Response(status_code=200)

    async def attachment_data(request: Request) -> Response:
        key = request.path_params["key"]
        if not _safe_key(key) or not store.has_attachment(key):
            return _error(404, "no such attachment")
        return Response(store.get_attachment(key), media_type="application/octet-stream")

    async def attachment_status(request: Request) -> Response:
        await _json(request)
        return JSONResponse({})

    async def invoke(request: Request) -> Response:
        # Functions on a local server are prompts: built here and sent to the
        # OpenAI-compatible endpoint in OPENAI_BASE_URL.
        body = await _json(request)
        project_id = body.get("project_id")
        if project_id is None and body.get("project_name"):
            proj = store.find_project(name=body["project_name"])
            project_id = proj["id"] if proj else None
        found = store.find_prompt(id=body["function_id"]) if body.get("function_id") else (
            store.find_prompt(project_id=project_id, slug=body.get("slug"))
            if project_id else None)
        if found is None:
            return _error(404, f"function not found: {body.get('slug') or body.get('function_id')}")
        from .._prompt import Prompt

        variables = body.get("input")
        args = Prompt(found, no_trace=True).build(
            **(variables if isinstance(variables, dict) else {"input": variables}))
        try:
            import openai
        except ImportError:
            return _error(501, "invoking prompts needs the openai package on the server")
        client = openai.AsyncOpenAI(base_url=os.environ.get("OPENAI_BASE_URL"),
                                    api_key=os.environ.get("OPENAI_API_KEY", "unset"))
        if body.get("stream"):
            async def events() -> Any:
                stream = await client.chat.completions.create(stream=True, **args)
                async for chunk in stream:
                    for choice in chunk.choices or []:
                        if choice.delta.content:
                            data = json.dumps(choice.delta.content)
                            yield f"event: text_delta\ndata: {data}\n\n"
                yield "event: done\ndata: \n\n"

            return StreamingResponse(events(), media_type="text/event-stream")
        reply = await client.chat.completions.create(**args)
        return JSONResponse(reply.choices[0].message.content)

    async def otlp(request: Request) -> Response:
        raw = await _body(request)
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
            row = span_to_row(span)
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
        if triples:
            store.write(triples)
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
        Route("/function/invoke", invoke, methods=["POST"]),
        Route("/v1/prompt/{id}", prompt, methods=["GET"]),
        Route("/attachment", attachment, methods=["GET", "POST"]),
        Route("/attachment/status", attachment_status, methods=["POST"]),
        Route("/attachment/upload/{key}", attachment_upload, methods=["PUT"]),
        Route("/attachment/data/{key}", attachment_data, methods=["GET"]),
    ]

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPError)
        return _error(exc.status, exc.message)

    from ._ui import ui_routes

    routes += ui_routes(store)
    middleware = [Middleware(_RequireToken, token=token)] if token is not None else []
    return Starlette(routes=routes, exception_handlers={HTTPError: on_error},
                     middleware=middleware)


class _RequireToken(BaseHTTPMiddleware):
    """Rejects requests without ``Authorization: Bearer <token>``."""

    def __init__(self, app: Any, token: str) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        if request.url.path == "/login":
            # The browser's way in: /login?token=... sets a cookie, then opens the UI.
            if request.query_params.get("token") != self.token:
                return _error(401, "a valid access token is required")
            redirect = Response(status_code=303, headers={"Location": "/"})
            redirect.set_cookie("bt_token", self.token, httponly=True, samesite="strict")
            return redirect
        bearer = request.headers.get("authorization") == f"Bearer {self.token}"
        if not bearer and request.cookies.get("bt_token") != self.token:
            return _error(401, "a valid access token is required")
        response: Response = await call_next(request)
        return response


def default_token() -> str:
    """A fresh random access token."""
    return os.urandom(16).hex()
