"""Tracing for the ``google-genai`` client: ``models.generate_content`` (and its stream)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .. import diagnostics
from .._version import VERSION
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, dump, get
from ._wrap import Call, async_wrapper, sync_wrapper

__all__ = ["GoogleGenAIInstrumentor"]

_instruments = ("google-genai >= 1.0",)
# As the official SDK names the provider in a row's metadata.
PROVIDER = "google"


def _plain(value: Any) -> Any:
    """Request values as plain data: pydantic objects (at any depth) dumped
    without unset fields."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return dump(value)


def config_input(config: Any) -> Any:
    """The config as the row's input shows it: its set fields as plain data, less
    ``tools`` (which the metadata holds, as the API receives them)."""
    if config is None:
        return None
    if isinstance(config, Mapping):
        return {k: _plain(v) for k, v in config.items() if k != "tools"}
    fields = getattr(type(config), "model_fields", None)
    if fields is None:
        return _plain(config)
    # Field by field: a whole dump fails on a Python function given as a tool.
    return {k: _plain(getattr(config, k)) for k in fields
            if k != "tools" and getattr(config, k, None) is not None}


def wire_tools(api_client: Any, model: Any, config: Any) -> Any:
    """The config's tools as google-genai sends them to the API (Python functions
    turned into declarations), or None when there are none."""
    tools = get(config, "tools")
    if not tools:
        return None
    from google.genai import models

    convert = (models._GenerateContentParameters_to_vertex
               if getattr(api_client, "vertexai", False)
               else models._GenerateContentParameters_to_mldev)
    return _plain(convert(api_client, {"model": model, "config": config}).get("tools"))


def request_row(api_client: Any, kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    """``(model, input, params)`` of one call, as the official SDK logs it: the
    call's arguments in, the wire form of its tools in the metadata."""
    model, config = kwargs.get("model"), kwargs.get("config")
    request = {"config": config_input(config), "contents": _plain(kwargs.get("contents")),
               "model": model}
    params: dict[str, Any] = {}
    try:
        tools = wire_tools(api_client, model, config)
    except Exception as exc:  # a tool google-genai itself would reject: trace the rest
        diagnostics.report("instrumentation", "could not read google-genai tools", exc)
        tools = None
    if tools is not None:
        params["tools"] = tools
    return model, request, params


def _request_with(models: Any, kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    return request_row(getattr(models, "_api_client", None), kwargs)


def _request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    return request_row(None, kwargs)


def _usage(meta: Any) -> dict[str, Any]:
    prompt, completion = get(meta, "prompt_token_count"), get(meta, "candidates_token_count")
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "tokens": get(meta, "total_token_count"),
            "prompt_cached_tokens": get(meta, "cached_content_token_count"),
            "completion_reasoning_tokens": get(meta, "thoughts_token_count")}


def _reason(candidate: Any) -> Any:
    reason = get(candidate, "finish_reason")
    return getattr(reason, "value", reason)


def response_output(response: Any) -> Any:
    """A whole reply as the row's output: the response as plain data (with
    ``automatic_function_calling_history`` when google-genai set it: on an
    async call, not on one model call of a sync one)."""
    return dump(response)


def _finish(call: LLMCall, response: Any) -> None:
    reasons = [_reason(c) for c in get(response, "candidates") or []]
    call.finish(output=response_output(response),
                usage={**_usage(get(response, "usage_metadata")), "duration": call.elapsed()},
                response_id=get(response, "response_id"), finish_reasons=reasons)


def stream_output(chunks: list[Any]) -> dict[str, Any]:
    """A consumed stream as one reply: its candidates' text joined, the last usage."""
    texts: dict[int, str] = {}
    calls: dict[int, list[Any]] = {}
    last: dict[int, Any] = {}
    usage = None
    for chunk in chunks:
        usage = get(chunk, "usage_metadata") or usage
        for i, cand in enumerate(get(chunk, "candidates") or []):
            index = get(cand, "index")
            index = index if isinstance(index, int) else i
            last[index] = cand
            for part in get(cand, "content", "parts") or []:
                if get(part, "text"):
                    texts[index] = texts.get(index, "") + str(get(part, "text"))
                elif get(part, "function_call") is not None:
                    calls.setdefault(index, []).append(dump(part))
    candidates = []
    for index in sorted(last):
        parts = ([{"text": texts[index]}] if index in texts else []) + calls.get(index, [])
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"},
                                     "index": index}
        if _reason(last[index]) is not None:
            candidate["finish_reason"] = _reason(last[index])
        candidates.append(candidate)
    output: dict[str, Any] = {"candidates": candidates}
    if texts:
        output["text"] = "".join(texts[i] for i in sorted(texts))
    if usage is not None:
        output["usage_metadata"] = dump(usage)
    return output


def _stream_done(call: LLMCall, chunks: list[Any]) -> None:
    if not chunks:
        call.finish()
        return
    output = stream_output(chunks)
    usage = None
    for chunk in chunks:
        usage = get(chunk, "usage_metadata") or usage
    call.finish(output=output, usage={**_usage(usage), "duration": call.elapsed()},
                finish_reasons=[c.get("finish_reason") for c in output["candidates"]])


def _is_stream(value: Any) -> bool:
    return inspect.isgenerator(value) or inspect.isasyncgen(value) or (
        hasattr(value, "__next__") or hasattr(value, "__anext__"))


GENERATE = Call("generate_content", PROVIDER, "generate_content", _request, _finish,
                request_with=_request_with)
STREAM = Call("generate_content_stream", PROVIDER, "generate_content", _request, _finish,
              _stream_done, lambda chunk: bool(get(chunk, "candidates")), _is_stream,
              request_with=_request_with)
_MODULE = "google.genai.models"
# The sync client's own model call (as the official SDK traces it): automatic
# function calling runs one per round, each its own row; the async client is
# traced at its public method, so an async call is one row.
_SYNC_METHODS = {"_generate_content": GENERATE, "generate_content_stream": STREAM}
_ASYNC_METHODS = {"generate_content": GENERATE, "generate_content_stream": STREAM}


class GoogleGenAIInstrumentor(LazyInstrumentor):
    """Traces ``google.genai`` clients (Gemini API and Vertex AI) as Braintrust LLM spans."""

    library = "google.genai"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        for method, spec in _SYNC_METHODS.items():
            wrapt.wrap_function_wrapper(_MODULE, f"Models.{method}", sync_wrapper(tracer, spec))
        for method, spec in _ASYNC_METHODS.items():
            wrapt.wrap_function_wrapper(_MODULE, f"AsyncModels.{method}",
                                        async_wrapper(tracer, spec))

    def _unpatch(self, **kwargs: Any) -> None:
        import google.genai.models as mod

        for method in _SYNC_METHODS:
            unwrap(mod.Models, method)
        for method in _ASYNC_METHODS:
            unwrap(mod.AsyncModels, method)
