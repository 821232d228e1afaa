"""Tracing for the ``openai`` client: chat completions, responses, embeddings, moderations.

Sync and async clients, streaming (the span ends when the stream is consumed
or closed, with time to first token), tool calls and ``with_raw_response``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .._version import VERSION
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, dump, get
from ._wrap import Call, async_wrapper, plain_params, sync_wrapper

__all__ = ["OpenAIInstrumentor", "wrap_openai"]

_instruments = ("openai >= 1.0",)
PROVIDER = "openai"


def _is_stream(value: Any) -> bool:
    return type(value).__name__ in ("Stream", "AsyncStream")


def _usage(usage: Any) -> dict[str, Any]:
    if usage is None:
        return {}
    prompt = get(usage, "prompt_tokens") or get(usage, "input_tokens")
    completion = get(usage, "completion_tokens") or get(usage, "output_tokens")
    total = get(usage, "total_tokens")
    return {
        "prompt_tokens": prompt, "completion_tokens": completion,
        "tokens": total if total is not None else (prompt or 0) + (completion or 0),
        "prompt_cached_tokens": get(usage, "prompt_tokens_details", "cached_tokens")
        or get(usage, "input_tokens_details", "cached_tokens"),
        "completion_reasoning_tokens": get(usage, "completion_tokens_details",
                                           "reasoning_tokens")
        or get(usage, "output_tokens_details", "reasoning_tokens"),
    }


# -- chat completions -----------------------------------------------------------------

def _chat_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    params = plain_params(kwargs, ("messages",))
    fmt = params.get("response_format")
    schema = getattr(fmt, "model_json_schema", None)
    if isinstance(fmt, type) and callable(schema):
        # parse(response_format=SomeModel): record the JSON schema it stands for.
        params["response_format"] = {"type": "json_schema",
                                     "json_schema": {"name": fmt.__name__, "schema": schema()}}
    return kwargs.get("model"), kwargs.get("messages"), params


def _chat_finish(call: LLMCall, response: Any) -> None:
    call.first_token()  # a whole response: its first token came with it
    # Every field, unset ones as null, as the official SDK logs choices.
    choices = [dump(c, nones=True) for c in get(response, "choices") or []]
    call.finish(output=choices, usage=_usage(get(response, "usage")),
                response_model=get(response, "model"), response_id=get(response, "id"),
                finish_reasons=[c.get("finish_reason") for c in choices])


def _chat_stream_done(call: LLMCall, chunks: list[Any]) -> None:
    call.finish(**chat_stream_result(chunks))


def chat_stream_result(chunks: list[Any]) -> dict[str, Any]:
    """``LLMCall.finish`` arguments for a consumed chat-completion stream."""
    merged: dict[int, dict[str, Any]] = {}
    usage = model = rid = None
    for chunk in chunks:
        model, rid = get(chunk, "model") or model, get(chunk, "id") or rid
        usage = get(chunk, "usage") or usage
        for choice in get(chunk, "choices") or []:
            index = get(choice, "index") or 0
            out = merged.setdefault(index, {
                "index": index, "logprobs": None, "finish_reason": None,
                "message": {"role": "assistant", "content": None, "tool_calls": None}})
            delta = get(choice, "delta")
            message = out["message"]
            if get(delta, "role"):
                message["role"] = get(delta, "role")
            if get(delta, "content"):
                message["content"] = (message.get("content") or "") + get(delta, "content")
            for call_delta in get(delta, "tool_calls") or []:
                if message.get("tool_calls") is None:
                    message["tool_calls"] = []
                calls = message["tool_calls"]
                i = get(call_delta, "index") or 0
                while len(calls) <= i:
                    calls.append({"id": None, "type": "function",
                                  "function": {"name": "", "arguments": ""}})
                if get(call_delta, "id"):
                    calls[i]["id"] = get(call_delta, "id")
                fn = get(call_delta, "function")
                if get(fn, "name"):
                    calls[i]["function"]["name"] += get(fn, "name")
                if get(fn, "arguments"):
                    calls[i]["function"]["arguments"] += get(fn, "arguments")
            if get(choice, "finish_reason"):
                out["finish_reason"] = get(choice, "finish_reason")
    choices = [merged[i] for i in sorted(merged)]
    return {"output": choices, "usage": _usage(usage), "response_model": model,
            "response_id": rid, "finish_reasons": [c["finish_reason"] for c in choices]}


def _chat_token(chunk: Any) -> bool:
    return any(get(c, "delta", "content") or get(c, "delta", "tool_calls")
               for c in get(chunk, "choices") or [])


CHAT = Call("Chat Completion", PROVIDER, "chat", _chat_request, _chat_finish,
            _chat_stream_done, _chat_token, _is_stream)


# -- responses ------------------------------------------------------------------------

def _responses_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    # As the official SDK: the input as given; instructions are metadata.
    return kwargs.get("model"), kwargs.get("input"), plain_params(kwargs, ("input",))


def _responses_finish(call: LLMCall, response: Any) -> None:
    call.first_token()  # a whole response: its first token came with it
    # As the official SDK: the response's identity joins the request metadata.
    extra = {k: get(response, k) for k in ("id", "object", "created_at", "status", "model")}
    call.finish(output=[dump(o) for o in get(response, "output") or []],
                usage=_usage(get(response, "usage")), response_model=get(response, "model"),
                response_id=get(response, "id"),
                metadata={k: v for k, v in extra.items() if v is not None})


def _responses_stream_done(call: LLMCall, events: list[Any]) -> None:
    for event in reversed(events):
        if get(event, "type") in ("response.completed", "response.incomplete"):
            # A stream keeps the request's metadata as it was (the requested model,
            # no response identity), as the official SDK logs a streamed response.
            response = get(event, "response")
            call.finish(output=[dump(o) for o in get(response, "output") or []],
                        usage=_usage(get(response, "usage")),
                        response_id=get(response, "id"))
            return
    text = "".join(str(get(e, "delta") or "") for e in events
                   if get(e, "type") == "response.output_text.delta")
    call.finish(output=[{"type": "message", "role": "assistant",
                         "content": [{"type": "output_text", "text": text}]}])


RESPONSES = Call("openai.responses.create", PROVIDER, "chat", _responses_request,
                 _responses_finish, _responses_stream_done,
                 lambda e: get(e, "type") == "response.output_text.delta", _is_stream)


# -- embeddings and moderations ----------------------------------------------------------

def _input_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    return kwargs.get("model"), kwargs.get("input"), plain_params(kwargs, ("input",))


def _embeddings_finish(call: LLMCall, response: Any) -> None:
    data = get(response, "data") or []
    first = get(data[0], "embedding") if data else None
    usage = get(response, "usage")
    call.finish(output={"embedding_length": len(first) if isinstance(first, list) else None},
                usage={"prompt_tokens": get(usage, "prompt_tokens"),
                       "tokens": get(usage, "total_tokens")},
                response_model=get(response, "model"))


def _moderations_finish(call: LLMCall, response: Any) -> None:
    call.finish(output=[dump(r) for r in get(response, "results") or []],
                response_model=get(response, "model"), response_id=get(response, "id"))


EMBEDDINGS = Call("Embedding", PROVIDER, "embeddings", _input_request, _embeddings_finish)
MODERATIONS = Call("Moderation", PROVIDER, "moderation", _input_request, _moderations_finish)

#: (module, sync class, async class, method, spec). ``parse`` (structured
#: outputs) posts by itself rather than through ``create``, so it is wrapped too;
#: older clients have it under ``beta``.
TARGETS = (
    ("openai.resources.chat.completions", "Completions", "AsyncCompletions", "create", CHAT),
    ("openai.resources.chat.completions", "Completions", "AsyncCompletions", "parse", CHAT),
    ("openai.resources.beta.chat.completions", "Completions", "AsyncCompletions", "parse",
     CHAT),
    ("openai.resources.responses", "Responses", "AsyncResponses", "create", RESPONSES),
    ("openai.resources.embeddings", "Embeddings", "AsyncEmbeddings", "create", EMBEDDINGS),
    ("openai.resources.moderations", "Moderations", "AsyncModerations", "create", MODERATIONS),
)


class OpenAIInstrumentor(LazyInstrumentor):
    """Traces every ``openai`` client in the process as Braintrust LLM spans."""

    library = "openai"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        for module, sync_cls, async_cls, method, spec in TARGETS:
            try:
                mod = importlib.import_module(module)
            except ImportError:
                continue  # a client without this API
            if not hasattr(getattr(mod, sync_cls, None), method):
                continue
            wrapt.wrap_function_wrapper(module, f"{sync_cls}.{method}",
                                        sync_wrapper(tracer, spec))
            wrapt.wrap_function_wrapper(module, f"{async_cls}.{method}",
                                        async_wrapper(tracer, spec))

    def _unpatch(self, **kwargs: Any) -> None:
        for module, sync_cls, async_cls, method, _ in TARGETS:
            try:
                mod = importlib.import_module(module)
            except ImportError:
                continue
            if hasattr(getattr(mod, sync_cls, None), method):
                unwrap(getattr(mod, sync_cls), method)
                unwrap(getattr(mod, async_cls), method)


def wrap_openai(client: Any) -> Any:
    """Traces one ``openai.OpenAI`` / ``AsyncOpenAI`` client (and returns it).

    Args:
        client: The client.

    Returns:
        The same client, its ``chat.completions``, ``responses``,
        ``embeddings`` and ``moderations`` calls traced.
    """
    if getattr(client, "_braintrust_traced", False):
        return client  # wrapping twice would stack wrappers on every call
    tracer = trace.get_tracer(__name__, VERSION)
    is_async = type(client).__name__.startswith("Async")
    wrap = async_wrapper if is_async else sync_wrapper
    for path, method, spec in ((("chat", "completions"), "create", CHAT),
                               (("chat", "completions"), "parse", CHAT),
                               (("beta", "chat", "completions"), "parse", CHAT),
                               (("responses",), "create", RESPONSES),
                               (("embeddings",), "create", EMBEDDINGS),
                               (("moderations",), "create", MODERATIONS)):
        resource = client
        for part in path:
            resource = getattr(resource, part, None)
        if resource is not None and hasattr(resource, method):
            wrapt.wrap_function_wrapper(resource, method, wrap(tracer, spec))
    try:
        client._braintrust_traced = True
    except AttributeError:
        pass  # a client with __slots__: wrapped again next time, one span all the same
    return client
