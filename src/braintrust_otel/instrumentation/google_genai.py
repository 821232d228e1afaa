"""Tracing for the ``google-genai`` client: ``models.generate_content`` (and its stream)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .._version import VERSION
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, dump, get
from ._wrap import Call, async_wrapper, sync_wrapper

__all__ = ["GoogleGenAIInstrumentor"]

_instruments = ("google-genai >= 1.0",)
PROVIDER = "gcp.gen_ai"
_ROLES = {"model": "assistant"}


def _text(parts: Any) -> str:
    return "".join(str(get(p, "text") or "") for p in parts or [] if get(p, "text"))


def _messages(contents: Any) -> list[dict[str, Any]]:
    if isinstance(contents, str):
        return [{"role": "user", "content": contents}]
    items = contents if isinstance(contents, list) else [contents]
    out = []
    for item in items:
        if isinstance(item, str):
            out.append({"role": "user", "content": item})
        else:
            role = get(item, "role") or "user"
            out.append({"role": _ROLES.get(role, role), "content": _text(get(item, "parts"))})
    return out


def _request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    config = dump(kwargs.get("config")) or {}
    if not isinstance(config, dict):
        config = {}
    messages = _messages(kwargs.get("contents"))
    system = config.pop("system_instruction", None)
    if system is not None:
        text = system if isinstance(system, str) else _text(get(system, "parts"))
        messages.insert(0, {"role": "system", "content": text})
    params = {k: v for k, v in config.items() if v is not None}
    if "max_output_tokens" in params:
        params["max_tokens"] = params.pop("max_output_tokens")
    return kwargs.get("model"), messages, params


def _usage(meta: Any) -> dict[str, Any]:
    prompt, completion = get(meta, "prompt_token_count"), get(meta, "candidates_token_count")
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "tokens": get(meta, "total_token_count"),
            "prompt_cached_tokens": get(meta, "cached_content_token_count"),
            "completion_reasoning_tokens": get(meta, "thoughts_token_count")}


def _choices(candidates: Any, texts: dict[int, str] | None = None) -> list[dict[str, Any]]:
    out = []
    for i, cand in enumerate(candidates or []):
        parts = get(cand, "content", "parts") or []
        calls = [{"id": get(p, "function_call", "id"), "type": "function",
                  "function": {"name": get(p, "function_call", "name"),
                               "arguments": json.dumps(get(p, "function_call", "args") or {})}}
                 for p in parts if get(p, "function_call")]
        message: dict[str, Any] = {"role": "assistant",
                                   "content": texts.get(i, "") if texts else _text(parts)}
        if calls:
            message["tool_calls"] = calls
        reason = get(cand, "finish_reason")
        out.append({"index": i, "message": message,
                    "finish_reason": getattr(reason, "value", reason)})
    return out


def _finish(call: LLMCall, response: Any) -> None:
    choices = _choices(get(response, "candidates"))
    call.finish(output=choices, usage=_usage(get(response, "usage_metadata")),
                response_model=get(response, "model_version"),
                response_id=get(response, "response_id"),
                finish_reasons=[c["finish_reason"] for c in choices])


def _stream_done(call: LLMCall, chunks: list[Any]) -> None:
    texts: dict[int, str] = {}
    last = None
    for chunk in chunks:
        last = chunk
        for i, cand in enumerate(get(chunk, "candidates") or []):
            texts[i] = texts.get(i, "") + _text(get(cand, "content", "parts"))
    if last is None:
        call.finish()
        return
    choices = _choices(get(last, "candidates"), texts)
    call.finish(output=choices, usage=_usage(get(last, "usage_metadata")),
                response_model=get(last, "model_version"),
                finish_reasons=[c["finish_reason"] for c in choices])


def _is_stream(value: Any) -> bool:
    return inspect.isgenerator(value) or inspect.isasyncgen(value) or (
        hasattr(value, "__next__") or hasattr(value, "__anext__"))


GENERATE = Call("generate_content", PROVIDER, "generate_content", _request, _finish)
STREAM = Call("generate_content_stream", PROVIDER, "generate_content", _request, _finish,
              _stream_done, lambda chunk: bool(get(chunk, "candidates")), _is_stream)
_MODULE = "google.genai.models"


class GoogleGenAIInstrumentor(LazyInstrumentor):
    """Traces ``google.genai`` clients (Gemini API and Vertex AI) as Braintrust LLM spans."""

    library = "google.genai"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        for method, spec in (("generate_content", GENERATE),
                             ("generate_content_stream", STREAM)):
            wrapt.wrap_function_wrapper(_MODULE, f"Models.{method}", sync_wrapper(tracer, spec))
            wrapt.wrap_function_wrapper(_MODULE, f"AsyncModels.{method}",
                                        async_wrapper(tracer, spec))

    def _unpatch(self, **kwargs: Any) -> None:
        import google.genai.models as mod

        for method in ("generate_content", "generate_content_stream"):
            unwrap(mod.Models, method)
            unwrap(mod.AsyncModels, method)
