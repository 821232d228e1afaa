"""Tracing for the ``openrouter`` client: ``chat.send`` and ``embeddings.generate``.

OpenRouter answers in OpenAI's chat shapes, so the OpenAI readers assemble
streams. Rows follow the official SDK's OpenRouter rows: span names
``openrouter.chat.send`` / ``openrouter.embeddings.generate``, the provider
taken from the ``provider/model`` name, response identifiers as metadata and
a ``duration`` metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .._version import VERSION
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, dump, get
from ._wrap import Call, async_wrapper, plain_params, sync_wrapper
from .openai import _chat_token, chat_stream_result
from .openai import _usage as _openai_usage

__all__ = ["OpenRouterInstrumentor", "wrap_openrouter"]

_instruments = ("openrouter >= 0.1",)

#: Per-request transport options of the OpenRouter client: not request content.
_TRANSPORT = ("retries", "server_url", "timeout_ms", "http_headers", "http_referer",
              "x_open_router_title", "x_open_router_categories", "x_open_router_metadata")


def _split(model: Any) -> tuple[str, Any]:
    if isinstance(model, str) and "/" in model:
        provider, name = model.split("/", 1)
        return provider, name
    return "openrouter", model


def _request(content_key: str) -> Any:
    def read(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
        params = plain_params(kwargs, (content_key, "model", *_TRANSPORT))
        provider, model = _split(kwargs.get("model"))
        params["provider"] = provider
        return model, kwargs.get(content_key), params

    return read


def _response_metadata(response: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for key in keys:
        value = get(response, key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            out[key] = value
    model = get(response, "model")
    if isinstance(model, str):
        out["model"] = _split(model)[1]
    return out


def _chat_finish(call: LLMCall, response: Any) -> None:
    choices = [dump(c) for c in get(response, "choices") or []]  # Nones left out, as official
    usage = _openai_usage(get(response, "usage"))
    usage["duration"] = call.elapsed()
    call.finish(output=choices, usage=usage, response_model=get(response, "model"),
                response_id=get(response, "id"),
                finish_reasons=[c.get("finish_reason") for c in choices],
                metadata=_response_metadata(response, ("created", "id", "object",
                                                       "system_fingerprint")))


def _stream_done(call: LLMCall, chunks: list[Any]) -> None:
    result = chat_stream_result(chunks)
    result["usage"] = {**result["usage"], "duration": call.elapsed()}
    # The official SDK's OpenRouter stream rows: finish reason and message only.
    result["output"] = [
        {"finish_reason": c["finish_reason"],
         "message": {k: v for k, v in c["message"].items() if v is not None}}
        for c in result["output"]]
    call.finish(**result)


def _embeddings_finish(call: LLMCall, response: Any) -> None:
    data = get(response, "data") or []
    first = get(data[0], "embedding") if data else None
    usage = get(response, "usage")
    call.finish(output={"embedding_length": len(first) if isinstance(first, list) else None,
                        "embeddings_count": len(data)},
                usage={"prompt_tokens": get(usage, "prompt_tokens"),
                       "tokens": get(usage, "total_tokens"), "duration": call.elapsed()},
                response_model=get(response, "model"),
                metadata=_response_metadata(response, ("object",)))


def _is_stream(value: Any) -> bool:
    return type(value).__name__ in ("EventStream", "EventStreamAsync")


CHAT = Call("openrouter.chat.send", "openrouter", "chat", _request("messages"), _chat_finish,
            _stream_done, _chat_token, _is_stream)
EMBEDDINGS = Call("openrouter.embeddings.generate", "openrouter", "embeddings",
                  _request("input"), _embeddings_finish)

#: (module, class, sync method, async method, spec)
TARGETS = (
    ("openrouter.chat", "Chat", "send", "send_async", CHAT),
    ("openrouter.embeddings", "Embeddings", "generate", "generate_async", EMBEDDINGS),
)


class OpenRouterInstrumentor(LazyInstrumentor):
    """Traces every ``openrouter`` client's chat and embedding calls."""

    library = "openrouter"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        import importlib

        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        for module, cls, sync, asyn, spec in TARGETS:
            importlib.import_module(module)
            wrapt.wrap_function_wrapper(module, f"{cls}.{sync}", sync_wrapper(tracer, spec))
            wrapt.wrap_function_wrapper(module, f"{cls}.{asyn}", async_wrapper(tracer, spec))

    def _unpatch(self, **kwargs: Any) -> None:
        import importlib

        for module, cls, sync, asyn, _ in TARGETS:
            klass = getattr(importlib.import_module(module), cls)
            unwrap(klass, sync)
            unwrap(klass, asyn)


def wrap_openrouter(client: Any) -> Any:
    """Traces one ``openrouter.OpenRouter`` client (and returns it).

    Args:
        client: The client.

    Returns:
        The same client, its ``chat.send`` and ``embeddings.generate`` calls traced
        (and their ``_async`` forms).
    """
    if getattr(client, "_braintrust_traced", False):
        return client
    tracer = trace.get_tracer(__name__, VERSION)
    for resource_name, sync, asyn, spec in (("chat", "send", "send_async", CHAT),
                                            ("embeddings", "generate", "generate_async",
                                             EMBEDDINGS)):
        resource = getattr(client, resource_name, None)
        if resource is None:
            continue
        wrapt.wrap_function_wrapper(resource, sync, sync_wrapper(tracer, spec))
        wrapt.wrap_function_wrapper(resource, asyn, async_wrapper(tracer, spec))
    try:
        client._braintrust_traced = True
    except AttributeError:
        pass
    return client
