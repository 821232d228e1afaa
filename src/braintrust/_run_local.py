"""Running functions in this process, where the backend runs none (the embedded store).

A Python function made with ``project.tools.create`` (or pushed with
``braintrust push``, whose file is imported here) is called; a prompt is
built and sent to any OpenAI-compatible endpoint (``OPENAI_BASE_URL``). The
``braintrust serve`` server runs stored functions with the same code.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Optional

from braintrust_otel.backends import NotFound
from braintrust_otel.settings import get_settings

from . import _state
from ._stream import BraintrustJsonChunk, BraintrustStream, BraintrustTextChunk

__all__ = ["call_handler", "call_prompt", "register_tool", "run_local", "stored_code"]

#: (project name, slug) -> Python callable, for functions defined in this process.
_code_functions: dict[tuple[str, str], Callable[..., Any]] = {}

#: file -> {slug: handler}, for pushed files imported to run their functions.
_loaded_files: dict[str, dict[str, Callable[..., Any]]] = {}


def register_tool(project: str, slug: str, handler: Callable[..., Any]) -> None:
    """Registers a Python function as ``slug`` in ``project`` for this process."""
    if not callable(handler):
        raise TypeError("tools.create(): handler must be callable")
    _code_functions[(project, slug)] = handler


def call_handler(handler: Callable[..., Any], input: Any) -> Any:
    """Calls a code function with an invocation's input.

    A dict input is passed by keyword, keeping only what the handler takes (a
    scorer made with ``init_function`` is offered input, output, expected...);
    any other input is the one positional argument.
    """
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


def _tool_output(reply: Any, mode: Optional[str]) -> Any:
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


def call_prompt(data: Mapping[str, Any], input: Any, messages: Any, metadata: Any,
                strict: Optional[bool], mode: Optional[str], stream: bool) -> Any:
    """Builds a saved prompt with the input and sends it to the OpenAI-compatible
    endpoint in ``OPENAI_BASE_URL`` (key ``OPENAI_API_KEY``).

    Returns:
        The reply's text (or tool-call arguments, by ``mode``), a score for an
        LLM scorer, or a :class:`BraintrustStream` of text chunks.
    """
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
        def chunks() -> Iterator[BraintrustTextChunk]:
            for chunk in client.chat.completions.create(stream=True, **args):
                for choice in chunk.choices or []:
                    if choice.delta.content:
                        yield BraintrustTextChunk(data=choice.delta.content)
        return BraintrustStream(chunks())
    return _tool_output(client.chat.completions.create(**args), mode)


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


def stored_code(data: Mapping[str, Any], slug: str) -> Callable[..., Any]:
    """The handler of a code function pushed to the embedded store: its file is
    imported (once per process), collecting what it defines.

    Raises:
        ValueError: When the function records no file, or the file no longer
            defines ``slug``.
    """
    from ._definitions import collecting

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


def run_local(function_id: Optional[str], version: Any, project_name: Optional[str],
              project_id: Optional[str], slug: Optional[str], input: Any, messages: Any,
              metadata: Any, strict: Optional[bool], mode: Optional[str],
              stream: bool) -> Any:
    """Runs a function in this process: a code function of this process, else the
    stored function (prompt or pushed code) the arguments name.

    Raises:
        ValueError: When no function matches; the message names it.
    """
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
            return call_prompt(data, input, messages, metadata, strict, mode, stream)
        handler = stored_code(data, str(data.get("slug")))
    result = call_handler(handler, input)
    if stream:
        return BraintrustStream([BraintrustJsonChunk(data=json.dumps(result))])
    return result
