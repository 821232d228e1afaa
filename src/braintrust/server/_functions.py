"""``/insert-functions`` and ``/function/invoke``: saving definitions and running prompts."""

from __future__ import annotations

import json
import os
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from braintrust_otel.store import Store

from ._body import json_body
from ._http import HTTPError, error, optional_str

__all__ = ["function_routes"]


def function_routes(store: Store) -> list[Route]:
    """The function endpoints over ``store``."""

    async def insert_functions(request: Request) -> Response:
        # What publish() and `braintrust push` send: saved like the embedded
        # store saves them (prompts; code functions keep their preview only).
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

    async def invoke(request: Request) -> Response:
        # Functions on a local server are prompts: built here and sent to the
        # OpenAI-compatible endpoint in OPENAI_BASE_URL.
        body = await json_body(request)
        for field in ("function_id", "project_name", "slug"):
            optional_str(body, field)
        project_id = optional_str(body, "project_id")
        if project_id is None and body.get("project_name"):
            proj = store.find_project(name=body["project_name"])
            project_id = proj["id"] if proj else None
        found = store.find_prompt(id=body["function_id"]) if body.get("function_id") else (
            store.find_prompt(project_id=project_id, slug=body.get("slug"))
            if project_id else None)
        if found is None:
            return error(404, f"function not found: {body.get('slug') or body.get('function_id')}")
        from .._prompt import Prompt

        variables = body.get("input")
        args = Prompt(found, no_trace=True).build(
            **(variables if isinstance(variables, dict) else {"input": variables}))
        try:
            import openai
        except ImportError:
            return error(501, "invoking prompts needs the openai package on the server")
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

    return [
        Route("/function/invoke", invoke, methods=["POST"]),
        Route("/insert-functions", insert_functions, methods=["POST"]),
    ]
