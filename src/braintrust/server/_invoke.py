"""``/function/invoke``: running a stored prompt or code function for the SDKs.

The function is found like the hosted service finds it (``function_id``, or
project and ``slug``, each optionally at a ``version``) and run by the same
code the SDK's embedded backend uses (:mod:`braintrust._functions`): a prompt
is built and sent to the OpenAI-compatible endpoint in ``OPENAI_BASE_URL``, a
code function pushed from a file on this machine is imported and called. When
the request names a parent span, the call is logged under it as a
``function`` span, as the service does.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Optional

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from braintrust_otel import diagnostics
from braintrust_otel.store import Store

from ._body import read_body
from ._bundles import runnable_from_bundle
from ._http import HTTPError, error, object_body, optional_str, version_param

__all__ = ["invoke_routes"]


def _find(store: Store, body: dict[str, Any]) -> Optional[dict[str, Any]]:
    version = version_param(body.get("version"))
    if body.get("function_id"):
        return store.find_prompt(id=body["function_id"], version=version)
    project_id = optional_str(body, "project_id")
    if project_id is None and body.get("project_name"):
        proj = store.find_project(name=body["project_name"])
        project_id = proj["id"] if proj else None
    if project_id is None or not body.get("slug"):
        return None
    return store.find_prompt(project_id=project_id, slug=body["slug"], version=version)


def _run(store: Store, found: dict[str, Any], body: dict[str, Any]) -> Any:
    # Blocking (an HTTP call or user code): called from a worker thread.
    from .._run_local import call_handler, call_prompt, stored_code

    if (found.get("function_data") or {}).get("type") == "code":
        # From an official push's bundle, or from a file this package pushed.
        found = runnable_from_bundle(store, found) or found
        handler = stored_code(found, str(found.get("slug")))
        return call_handler(handler, body.get("input"))
    return call_prompt(found, body.get("input"), body.get("messages"), body.get("metadata"),
                        body.get("strict"), body.get("mode"), bool(body.get("stream")))


def _sse(result: Any) -> Iterator[str]:
    from .._stream import BraintrustStream

    if isinstance(result, BraintrustStream):
        for chunk in result:
            data = chunk.get("data")
            if chunk.get("type") == "text_delta":
                data = json.dumps(data)  # a text delta's data is a JSON string
            yield f"event: {chunk.get('type')}\ndata: {data}\n\n"
    else:
        yield f"event: json_delta\ndata: {json.dumps(result)}\n\n"
    yield "event: done\ndata: \n\n"


class _CallLog:
    """The ``function`` span a call under a parent span is logged as."""

    def __init__(self, store: Store, parent: Any, found: dict[str, Any],
                 body: dict[str, Any]) -> None:
        self.store, self.target = store, self._target(store, parent)
        self.row: dict[str, Any] = {
            "id": str(uuid.uuid4()), "span_id": uuid.uuid4().hex[:16],
            "created": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "span_attributes": {"name": found.get("name") or found.get("slug"),
                                "type": "function"},
            "input": body.get("input"), "metrics": {"start": time.time()},
        }
        for key in ("metadata", "tags"):
            if body.get(key) is not None:
                self.row[key] = body[key]

    @staticmethod
    def _target(store: Store, parent: Any) -> Optional[tuple[str, str, dict[str, Any]]]:
        from .._slugs import EXPERIMENT, PROJECT_LOGS, decode_slug

        if not isinstance(parent, str) or not parent:
            return None
        try:
            ref = decode_slug(parent)
        except ValueError:
            raise HTTPError(400, "parent is not an exported span") from None
        ids: dict[str, Any] = {}
        if ref.span_id and ref.root_span_id:
            ids = {"root_span_id": ref.root_span_id, "span_parents": [ref.span_id]}
        if ref.object_type == EXPERIMENT and ref.object_id:
            return "experiment", ref.object_id, {**ids, "experiment_id": ref.object_id}
        if ref.object_type == PROJECT_LOGS:
            args = ref.compute_object_metadata_args or {}
            proj = store.ensure_project(
                id=ref.object_id or args.get("project_id"),
                name=None if ref.object_id or args.get("project_id") else
                args.get("project_name"))
            return "project_logs", proj["id"], {**ids, "project_id": proj["id"], "log_id": "g"}
        return None

    def done(self, output: Any = None, failure: Optional[str] = None) -> None:
        if self.target is None:
            return
        kind, object_id, ids = self.target
        row = {**self.row, **ids}
        row.setdefault("root_span_id", uuid.uuid4().hex)
        row["metrics"] = {**row["metrics"], "end": time.time()}
        if failure is not None:
            row["error"] = failure
        else:
            row["output"] = output
        # Logging the call must not fail the call; a row the store refuses is
        # reported (counted as dropped), not lost silently.
        rejected = self.store.write_each([(kind, object_id, row)])
        if rejected:
            name = row["span_attributes"]["name"]
            diagnostics.report("dropped", f"invoke: the function span of {name!r} could not "
                               "be stored", rejected[0][1])


def invoke_routes(store: Store) -> list[Route]:
    """The invoke endpoint over ``store``."""

    async def invoke(request: Request) -> Response:
        raw = await read_body(request)
        try:
            body = object_body(json.loads(raw) if raw else {})
        except ValueError:
            raise HTTPError(400, "body is not valid JSON") from None
        for field in ("function_id", "project_name", "slug", "global_function"):
            optional_str(body, field)
        if body.get("global_function") or body.get("prompt_session_id"):
            return error(400, "global functions and prompt sessions are hosted-service "
                         "features; a local server runs stored prompts and code functions")
        found = _find(store, body)
        if found is None:
            name = body.get("slug") or body.get("function_id")
            where = f" in project {body['project_name']!r}" if body.get("project_name") else ""
            at = f" at version {body['version']}" if body.get("version") is not None else ""
            return error(404, f"function not found: {name}{where}{at}")
        log = _CallLog(store, body.get("parent"), found, body)
        try:
            result = await run_in_threadpool(_run, store, found, body)
        except Exception as exc:  # the SDK raises BraintrustInvokeError with this text
            log.done(failure=f"{type(exc).__name__}: {exc}")
            return Response(f"{type(exc).__name__}: {exc}", status_code=500,
                            media_type="text/plain")
        if body.get("stream"):
            collected: list[str] = []

            async def events() -> Any:
                async for event in iterate_in_threadpool(_sse(result)):
                    collected.append(event)
                    yield event
                log.done(output=_streamed_output(collected))

            return StreamingResponse(events(), media_type="text/event-stream")
        log.done(output=result)
        return JSONResponse(result)

    return [Route("/function/invoke", invoke, methods=["POST"])]


def _streamed_output(events: list[str]) -> Any:
    text, value = [], None
    for event in events:
        kind, _, rest = event.partition("\ndata: ")
        data = rest.rstrip("\n")
        if kind == "event: text_delta":
            text.append(json.loads(data))
        elif kind == "event: json_delta":
            value = json.loads(data)
    return "".join(text) if text else value
