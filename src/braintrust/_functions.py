"""Functions: invoke, init_function, code functions registered from Python, streams."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Callable, Optional

from braintrust_otel.backends import FunctionError, NotFound
from braintrust_otel.settings import get_settings

from . import _state
from ._span import start_span

__all__ = ["BraintrustInvokeError", "BraintrustStream", "init_function", "invoke",
           "invoke_async", "register_tool"]

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

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        # Reading the next chunk may wait on the network: do it off the event loop.
        import asyncio

        chunks = iter(self)
        done = object()
        while True:
            chunk = await asyncio.to_thread(next, chunks, done)
            if chunk is done:
                return
            yield chunk  # type: ignore[misc]

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


class BraintrustInvokeError(ValueError):
    """The service failed while running an invoked function (HTTP 500)."""


def _parent_slug(parent: Any) -> str:
    # What the service traces the invocation under: the given parent, else the
    # current span, else the current experiment or logger, else nothing ("").
    if isinstance(parent, str):
        return parent
    if parent is not None:
        if not hasattr(parent, "export"):
            raise TypeError("invoke(): parent must be a span, logger, experiment or an "
                            f"exported slug (str), got {type(parent).__name__}")
        return str(parent.export())
    from ._span import current_span

    slug = current_span().export()
    if slug:
        return slug
    owner = getattr(_state, "current_experiment", None) or _state.current_logger
    return str(owner.export()) if owner is not None else ""


def _local_output(reply: Any, mode: Optional[str]) -> Any:
    message = reply.choices[0].message
    calls = getattr(message, "tool_calls", None) or []
    if not calls or mode == "text":
        return message.content
    parsed = []
    for call in calls:
        try:
            args: Any = json.loads(call.function.arguments or "null")
        except ValueError:
            args = call.function.arguments
        parsed.append({"name": call.function.name, "arguments": args})
    if mode == "parallel":
        return parsed
    return parsed[0]["arguments"]


def _call_prompt(data: Mapping[str, Any], input: Any, messages: Any, metadata: Any,
                 strict: Optional[bool], mode: Optional[str], stream: bool) -> Any:
    # On the embedded store a prompt is run by building it and calling any
    # OpenAI-compatible endpoint (OPENAI_BASE_URL / OPENAI_API_KEY).
    from ._prompt import Prompt

    variables: dict[str, Any] = dict(input) if isinstance(input, Mapping) else {}
    variables.setdefault("input", input)
    if metadata is not None:
        variables.setdefault("metadata", metadata)
    if strict:
        variables["strict"] = True
    args = Prompt(data, no_trace=True).build(**variables)
    if messages:
        args["messages"] = [*args.get("messages", []), *messages]
    try:
        import openai
    except ImportError:
        raise RuntimeError("invoke(): running a prompt locally needs the openai package") \
            from None
    env = get_settings()
    client = openai.OpenAI(base_url=env.openai_base_url, api_key=env.openai_api_key or "unset")
    if "prompt" in args:  # a completion prompt is sent as one user message
        args["messages"] = [{"role": "user", "content": args.pop("prompt")}]
    parser = (data.get("prompt_data") or {}).get("parser") or {}
    if parser.get("type") == "llm_classifier":
        return _classify(client, args, parser, str(data.get("name") or data.get("slug")))
    if stream:
        def chunks() -> Iterator[dict[str, Any]]:
            for chunk in client.chat.completions.create(stream=True, **args):
                for choice in chunk.choices or []:
                    if choice.delta.content:
                        yield {"type": "text_delta", "data": choice.delta.content}
        return BraintrustStream(chunks())
    return _local_output(client.chat.completions.create(**args), mode)


def _classify(client: Any, args: dict[str, Any], parser: Mapping[str, Any],
              name: str) -> dict[str, Any]:
    # An LLM scorer: the model must pick one of the choices through a tool
    # call (with its reasons first when use_cot); the choice's score is the
    # result, shaped like a Score.
    choices = dict(parser.get("choice_scores") or {})
    properties: dict[str, Any] = {"choice": {"type": "string", "enum": list(choices)}}
    if parser.get("use_cot"):
        properties = {"reasons": {"type": "string", "description": "Step-by-step reasoning "
                                  "that leads to the choice"}, **properties}
    tool = {"type": "function", "function": {
        "name": "select_choice", "description": "Record the choice",
        "parameters": {"type": "object", "properties": properties,
                       "required": list(properties)}}}
    hint = {"role": "user", "content": "Answer by calling select_choice with one of: "
            + ", ".join(choices) + (", giving your reasons first." if parser.get("use_cot")
                                    else ".")}
    reply = client.chat.completions.create(**{
        **args, "messages": [*args.get("messages", []), hint], "tools": [tool],
        "tool_choice": {"type": "function", "function": {"name": "select_choice"}}})
    calls = getattr(reply.choices[0].message, "tool_calls", None) or []
    try:
        picked = json.loads(calls[0].function.arguments)
        choice = picked["choice"]
        score = choices[choice]
    except (IndexError, KeyError, TypeError, ValueError):
        raise ValueError(f"invoke(): scorer {name!r}: the model did not pick one of "
                         f"{list(choices)}") from None
    metadata: dict[str, Any] = {"choice": choice}
    if picked.get("reasons") is not None:
        metadata["rationale"] = picked["reasons"]
    return {"name": name, "score": score, "metadata": metadata}


def _stored_code(data: Mapping[str, Any], slug: str) -> Callable[..., Any]:
    # A code function pushed to the embedded store: its file is imported (once
    # per process), collecting what it defines, and the one with this slug runs.
    from ._project import collecting

    location = ((data.get("function_data") or {}).get("data") or {}).get("location") or {}
    file = location.get("file")
    if not file:
        raise ValueError(f"invoke(): function {slug!r} has no code this process can run")
    if file not in _loaded_files:
        import runpy

        with collecting() as found:
            runpy.run_path(file, run_name="__braintrust_push__")
        _loaded_files[file] = {f.slug: f.handler for f in found.functions}
    handler = _loaded_files[file].get(slug)
    if handler is None:
        raise ValueError(f"invoke(): {file} no longer defines function {slug!r}")
    return handler


_loaded_files: dict[str, dict[str, Callable[..., Any]]] = {}


def _invoke_local(function_id: Optional[str], version: Any, project_name: Optional[str],
                  project_id: Optional[str], slug: Optional[str], input: Any, messages: Any,
                  metadata: Any, strict: Optional[bool], mode: Optional[str],
                  stream: bool) -> Any:
    handler = _code_functions.get((project_name or "", slug or ""))
    if handler is None or version is not None:
        try:
            data = _state.backend().find_prompt(
                project=project_name, project_id=project_id, slug=slug, id=function_id,
                version=str(version) if version is not None else None)
        except NotFound as exc:
            raise ValueError(f"invoke(): {exc}") from None
        if data is None and version is not None and not str(version).isdigit():
            raise ValueError(f"invoke(): no version {version!r} of {slug or function_id!r}")
        if data is None:
            raise ValueError(f"invoke(): no function {slug or function_id!r}"
                             f"{f' in project {project_name!r}' if project_name else ''}"
                             f"{f' at version {version}' if version is not None else ''}")
        if (data.get("function_data") or {}).get("type") != "code":
            return _call_prompt(data, input, messages, metadata, strict, mode, stream)
        handler = _stored_code(data, str(data.get("slug")))
    result = _call_handler(handler, input)
    if stream:
        return BraintrustStream(iter([{"type": "json_delta", "data": json.dumps(result)}]))
    return result


def invoke(
    function_id: str | None = None,
    version: str | None = None,
    prompt_session_id: str | None = None,
    prompt_session_function_id: str | None = None,
    project_name: str | None = None,
    project_id: str | None = None,
    slug: str | None = None,
    global_function: str | None = None,
    function_type: str | None = None,
    input: Any = None,
    messages: Sequence[Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    parent: Any = None,
    stream: bool = False,
    mode: str | None = None,
    strict: bool | None = None,
    overrides: Mapping[str, Any] | None = None,
    org_name: str | None = None,
    api_key: str | None = None,
    app_url: str | None = None,
    force_login: bool = False,
) -> Any:
    """Invokes a function (a prompt, a tool, a scorer...) and returns its output.

    On the service this calls ``/function/invoke``, traced there under
    ``parent`` (by default the current span, experiment or logger). On the
    embedded store it runs here, as a ``function`` span: a Python function
    made with ``project.tools.create`` (or pushed with ``braintrust push``) is
    called, and a prompt is built and sent to the OpenAI-compatible endpoint
    in ``OPENAI_BASE_URL``.

    Args:
        function_id: The function's id (or give ``project_name`` and ``slug``).
        version: A version of it; the latest by default.
        prompt_session_id, prompt_session_function_id: A playground function
            (service only).
        project_name: The project the function is in.
        project_id: The project whose settings the call uses (service);
            on the embedded store, the project the function is in.
        slug: The function's slug.
        global_function: A built-in function by name (service only).
        function_type: The type of ``global_function``.
        input: The function's input (a prompt's template variables).
        messages: Chat messages added after a prompt's own.
        metadata: Logged with the call; ``{{metadata}}`` in a prompt.
        tags: Logged with the call.
        parent: A span, logger, experiment or exported slug to trace under.
        stream: Return a :class:`BraintrustStream` instead of the output.
        mode: For tool calls: ``auto`` or ``json`` (the first call's
            arguments), ``parallel`` (every call), ``text`` (the text).
        strict: Fail when a prompt variable has no value.
        overrides: Deep-merged into the function's data (service only).
        org_name, api_key, app_url, force_login: As for :func:`braintrust.login`.

    Returns:
        The function's output, or a :class:`BraintrustStream`.

    Raises:
        ValueError: When no function matches (the message names it), or the
            arguments name none.
        BraintrustInvokeError: When the service fails running the function.
    """
    if function_id is None and not slug and global_function is None \
            and prompt_session_id is None:
        raise ValueError("invoke(): pass function_id=, project_name= with slug=, "
                         "global_function= or prompt_session_id=")
    from ._logger import _connect

    _connect(api_key, app_url, org_name, force_login)
    def request() -> dict[str, Any]:
        # Built only where the backend runs the function: the parent slug may
        # register the current logger's project.
        body: dict[str, Any] = {"input": input, "metadata": metadata, "tags": tags,
                                "parent": _parent_slug(parent), "stream": stream,
                                "api_version": 1}
        for key, value in (("function_id", function_id), ("version", version),
                           ("prompt_session_id", prompt_session_id),
                           ("prompt_session_function_id", prompt_session_function_id),
                           ("project_name", project_name), ("slug", slug),
                           ("global_function", global_function),
                           ("function_type", function_type), ("messages", messages),
                           ("mode", mode), ("strict", strict), ("overrides", overrides)):
            if value is not None:
                body[key] = value
        return body

    what = slug or function_id or global_function
    try:
        answer = _state.backend().invoke(request, project_id=project_id, org_name=org_name)
    except NotImplementedError:
        pass  # this backend runs no functions: run it here, traced as a span
    except NotFound:
        raise ValueError(f"invoke(): no function {what!r}"
                         f"{f' in project {project_name!r}' if project_name else ''}") from None
    except FunctionError as exc:
        raise BraintrustInvokeError(str(exc)) from None
    except RuntimeError as exc:
        raise RuntimeError(f"invoke(): {exc}") from None
    else:
        return BraintrustStream(_sse(answer)) if stream else answer
    if global_function is not None or prompt_session_id is not None:
        raise ValueError("invoke(): global_function and prompt_session_id need the "
                         "Braintrust service (set BRAINTRUST_API_KEY)")
    name = slug or function_id or "function"
    event: dict[str, Any] = {"input": input, "metadata": dict(metadata or {}) or None}
    if tags:
        event["tags"] = list(tags)
    local_parent = parent if parent is None or isinstance(parent, str) \
        else _parent_slug(parent)
    with start_span(name=name, type="function", parent=local_parent, event=event) as span:
        result = _invoke_local(function_id, version, project_name, project_id, slug, input,
                               messages, metadata, strict, mode, stream)
        if not isinstance(result, BraintrustStream):
            span.log(output=result)
        return result


def init_function(project_name: str, slug: str, version: str | None = None
                  ) -> Callable[..., Any]:
    """Returns a function that invokes ``slug``, usable as an Eval task or scorer.

    Called with a positional argument (a task), it invokes the function with
    that input; called with keywords only (a scorer: ``input``, ``output``,
    ``expected``...), it invokes it with those keywords as a dict.

    Args:
        project_name: The project the function is in.
        slug: The function's slug.
        version: A version; the latest by default.

    Returns:
        The function, named ``init_function-<project>-<slug>-<version>``.
    """
    def call(*args: Any, **kwargs: Any) -> Any:
        payload = args[0] if args else kwargs
        return invoke(project_name=project_name, slug=slug, version=version, input=payload)

    call.__name__ = call.__qualname__ = f"init_function-{project_name}-{slug}-" \
                                        f"{version or 'latest'}"
    return call


async def invoke_async(
    function_id: str | None = None,
    version: str | None = None,
    prompt_session_id: str | None = None,
    prompt_session_function_id: str | None = None,
    project_name: str | None = None,
    project_id: str | None = None,
    slug: str | None = None,
    global_function: str | None = None,
    function_type: str | None = None,
    input: Any = None,
    messages: Sequence[Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    parent: Any = None,
    stream: bool = False,
    mode: str | None = None,
    strict: bool | None = None,
    overrides: Mapping[str, Any] | None = None,
    org_name: str | None = None,
    api_key: str | None = None,
    app_url: str | None = None,
    force_login: bool = False,
) -> Any:
    """:func:`invoke` without blocking the event loop: the call runs in a thread,
    in a copy of the current context (so its span nests under the current span).

    Arguments and result are as for :func:`invoke`; a :class:`BraintrustStream`
    result can be read with ``async for``.
    """
    import asyncio

    return await asyncio.to_thread(
        invoke, function_id=function_id, version=version, prompt_session_id=prompt_session_id,
        prompt_session_function_id=prompt_session_function_id, project_name=project_name,
        project_id=project_id, slug=slug, global_function=global_function,
        function_type=function_type, input=input, messages=messages, metadata=metadata,
        tags=tags, parent=parent, stream=stream, mode=mode, strict=strict, overrides=overrides,
        org_name=org_name, api_key=api_key, app_url=app_url, force_login=force_login)
