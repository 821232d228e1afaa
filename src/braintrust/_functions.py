"""Functions: invoke, init_function, code functions registered from Python, streams."""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Optional

from . import _state
from ._span import start_span

__all__ = ["BraintrustStream", "init_function", "invoke", "register_tool"]

#: (project name, slug) -> Python callable, for functions defined in this process.
_code_functions: dict[tuple[str, str], Callable[..., Any]] = {}


class BraintrustStream:
    """The chunks of a streamed invocation; iterate it, or call :meth:`final_value`.

    Each chunk is ``{"type": "text_delta" | "json_delta" | ..., "data": ...}``.
    """

    def __init__(self, chunks: Iterator[dict[str, Any]]) -> None:
        self._chunks = chunks
        self._seen: list[dict[str, Any]] = []
        self._done = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for chunk in self._chunks:
            self._seen.append(chunk)
            yield chunk
        self._done = True

    def final_value(self) -> Any:
        """Reads the rest of the stream and returns the whole output."""
        if not self._done:
            for _ in self:
                pass
        text = "".join(str(c["data"]) for c in self._seen if c.get("type") == "text_delta")
        parts = "".join(str(c["data"]) for c in self._seen if c.get("type") == "json_delta")
        if parts:
            return json.loads(parts)
        return text


def register_tool(project: str, slug: str, handler: Callable[..., Any]) -> None:
    """Registers a Python function as ``slug`` in ``project`` for this process."""
    if not callable(handler):
        raise TypeError("tools.create(): handler must be callable")
    _code_functions[(project, slug)] = handler


def _call_handler(handler: Callable[..., Any], input: Any) -> Any:
    # A dict input is passed by keyword, keeping only what the handler takes
    # (a scorer made with init_function is offered input, output, expected...).
    if not isinstance(input, Mapping):
        return handler(input)
    try:
        params = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return handler(**input)
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return handler(**input)
    names = {p.name for p in params}
    return handler(**{k: v for k, v in input.items() if k in names})


def _sse(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    event, data = "", []
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and (event or data):
            payload = "\n".join(data)
            try:
                value: Any = json.loads(payload) if payload else None
            except ValueError:
                value = payload
            if event != "done":
                yield {"type": event or "text_delta", "data": value}
            event, data = "", []


def _call_prompt(project: Optional[str], project_id: Optional[str], slug: str,
                 version: Any, input: Any, stream: bool) -> Any:
    # On the embedded store a prompt is run by building it and calling any
    # OpenAI-compatible endpoint (OPENAI_BASE_URL / OPENAI_API_KEY).
    from ._prompt import load_prompt

    prompt = load_prompt(project=project, project_id=project_id, slug=slug, version=version)
    variables = dict(input) if isinstance(input, Mapping) else {"input": input}
    args = prompt.build(**variables)
    args.pop("span_info", None)
    try:
        import openai
    except ImportError:
        raise RuntimeError("invoke(): running a prompt locally needs the openai package") \
            from None
    client = openai.OpenAI(base_url=os.environ.get("OPENAI_BASE_URL"),
                           api_key=os.environ.get("OPENAI_API_KEY", "unset"))
    if stream:
        def chunks() -> Iterator[dict[str, Any]]:
            for chunk in client.chat.completions.create(stream=True, **args):
                for choice in chunk.choices or []:
                    if choice.delta.content:
                        yield {"type": "text_delta", "data": choice.delta.content}
        return BraintrustStream(chunks())
    reply = client.chat.completions.create(**args)
    return reply.choices[0].message.content


def invoke(
    input: Any = None,
    function_id: str | None = None,
    project_name: str | None = None,
    project_id: str | None = None,
    slug: str | None = None,
    version: str | None = None,
    stream: bool = False,
    parent: str | None = None,
    messages: list[Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: list[str] | None = None,
) -> Any:
    """Invokes a function (a prompt or code) by slug or id, traced as a span.

    On the service this calls ``/function/invoke``. On the embedded store a
    Python function registered with ``project.tools.create`` is called in this
    process, and a prompt is built and sent to the OpenAI-compatible endpoint
    in ``OPENAI_BASE_URL``.

    Args:
        input: The function's input.
        function_id: The function id (instead of project and slug).
        project_name, project_id, slug: Which function.
        version: A version of it.
        stream: Return a :class:`BraintrustStream` instead of the output.
        parent: A span export slug to trace under (the current span by default).
        messages: Extra chat messages (prompts).
        metadata, tags: Recorded with the invocation.

    Returns:
        The function's output, or a :class:`BraintrustStream`.

    Raises:
        ValueError: When no function matches; the message names it.
    """
    if function_id is None and not slug:
        raise ValueError("invoke(): pass slug= (with project_name= or project_id=) or "
                         "function_id=")
    name = slug or function_id or "function"
    with start_span(name=name, type="function", parent=parent,
                    event={"input": input, "metadata": dict(metadata or {}) or None}) as span:
        conn = _state.connection()
        if conn is not None:
            result = _invoke_remote(conn, input, function_id, project_name, project_id, slug,
                                    version, stream, span.export() or "", messages, metadata,
                                    tags)
        else:
            handler = _code_functions.get((project_name or "", slug or ""))
            if handler is not None:
                result = _call_handler(handler, input)
                if stream:
                    result = BraintrustStream(iter([{"type": "json_delta",
                                                     "data": json.dumps(result)}]))
            else:
                result = _call_prompt(project_name, project_id, slug or "", version, input,
                                      stream)
        if not isinstance(result, BraintrustStream):
            span.log(output=result)
        return result


def _invoke_remote(conn: Any, input: Any, function_id: Any, project_name: Any, project_id: Any,
                   slug: Any, version: Any, stream: bool, parent: str, messages: Any,
                   metadata: Any, tags: Any) -> Any:
    body: dict[str, Any] = {"api_version": 1, "input": input, "metadata": metadata,
                            "parent": parent, "stream": stream, "tags": tags}
    for key, value in (("function_id", function_id), ("project_name", project_name),
                       ("project_id", project_id), ("slug", slug), ("version", version),
                       ("messages", messages)):
        if value is not None:
            body[key] = value
    org = conn.login()
    base = (os.environ.get("BRAINTRUST_PROXY_URL") or org.get("proxy_url")
            or conn.api_url).rstrip("/")
    if base.endswith("/v1/proxy"):
        base = base[: -len("/v1/proxy")]
    headers = {"Accept": "text/event-stream" if stream else "application/json",
               "Content-Type": "application/json"}
    if project_id:
        headers["x-bt-project-id"] = project_id
    if conn.org_name:
        headers["x-bt-org-name"] = conn.org_name
    resp = conn.request("POST", f"{base}/function/invoke", json=body, headers=headers,
                        stream=stream)
    if resp.status_code == 404:
        raise ValueError(f"invoke(): no function {slug or function_id!r}"
                         f"{f' in project {project_name!r}' if project_name else ''}")
    if not resp.ok:
        raise RuntimeError(f"invoke(): HTTP {resp.status_code}: {resp.text[:300]}")
    if stream:
        return BraintrustStream(_sse(resp.iter_lines(decode_unicode=True)))
    return resp.json()


def init_function(project_name: str, slug: str, version: str | None = None
                  ) -> Callable[..., Any]:
    """Returns a function that invokes ``slug``, usable as an Eval task or scorer.

    As a task it is called with the input; as a scorer, with ``input``,
    ``output``, ``expected`` (and ``metadata``) by keyword, which it passes on
    as a dict.
    """
    # ``hooks`` is what Eval passes a task as its second argument; not sent.
    def call(input: Any = None, hooks: Any = None, **kwargs: Any) -> Any:
        payload = {"input": input, **kwargs} if kwargs else input
        return invoke(payload, project_name=project_name, slug=slug, version=version)

    call.__name__ = slug
    call.__qualname__ = slug
    return call


