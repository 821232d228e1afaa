"""Tracing for ``huggingface_hub``'s ``InferenceClient`` and ``AsyncInferenceClient``.

Rows match the official SDK's: ``huggingface.chat_completion`` (``_stream`` when
streamed) with the messages in and the choices out, ``huggingface.text_generation``
(``_stream``) with the prompt in and ``{generated_text, finish_reason}`` out,
``huggingface.feature_extraction`` with the shape of the vectors and
``huggingface.sentence_similarity`` with the scores; tokens from the usage block
(or the text-generation details) and time to first token when streamed.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, Callable

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .._version import VERSION
from ._chat import merge_chunks
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, dump, get, shape_of
from ._wrap import Call, async_wrapper, is_traced, mark_traced, plain_params, sync_wrapper

__all__ = ["HuggingFaceHubInstrumentor", "wrap_huggingface_hub"]

_instruments = ("huggingface_hub >= 0.22",)
PROVIDER = "huggingface"
_SYNC = ("huggingface_hub.inference._client", "InferenceClient")
_ASYNC = ("huggingface_hub.inference._generated._async_client", "AsyncInferenceClient")


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _usage(usage: Any) -> dict[str, Any]:
    metrics = {metric: get(usage, key) for key, metric in (
        ("prompt_tokens", "prompt_tokens"), ("completion_tokens", "completion_tokens"),
        ("total_tokens", "tokens")) if _num(get(usage, key))}
    if "tokens" not in metrics and {"prompt_tokens", "completion_tokens"} <= metrics.keys():
        metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
    return metrics


def _response_metadata(response: Any, finish: Any) -> dict[str, Any]:
    out = {k: get(response, k) for k in ("id", "model", "object", "created")
           if get(response, k) is not None}
    if isinstance(finish, str):
        out["finish_reason"] = finish
    return out


def _is_stream(value: Any) -> bool:
    return inspect.isgenerator(value) or inspect.isasyncgen(value)


# -- chat_completion --------------------------------------------------------------------

def _chat_finish(call: LLMCall, response: Any) -> None:
    choices = [dump(c) for c in get(response, "choices") or []]
    finish = get(choices[0], "finish_reason") if choices else None
    call.finish(output=choices, usage=_usage(get(response, "usage")),
                response_model=get(response, "model"), response_id=get(response, "id"),
                finish_reasons=[get(c, "finish_reason") for c in choices],
                metadata=_response_metadata(response, finish))


def _chat_stream_done(call: LLMCall, chunks: list[Any]) -> None:
    choices, usage, model, rid = merge_chunks(chunks)
    for choice in choices:
        if choice["finish_reason"] is None:
            del choice["finish_reason"]
    finish = next((c["finish_reason"] for c in choices if "finish_reason" in c), None)
    first = chunks[0] if chunks else None
    meta = _response_metadata(first, finish)
    call.finish(output={"choices": choices}, usage=_usage(usage), response_model=model,
                response_id=rid, finish_reasons=[finish], metadata=meta)


def _chat_token(chunk: Any) -> bool:
    return any(get(c, "delta", "content") or get(c, "delta", "tool_calls")
               for c in get(chunk, "choices") or [])


# -- text_generation --------------------------------------------------------------------

def _details_metrics(details: Any) -> dict[str, Any]:
    if details is None:
        return {}
    prefill = get(details, "prefill")
    prompt = len(prefill) if isinstance(prefill, list) else None
    generated = get(details, "generated_tokens")
    if not _num(generated):
        tokens = get(details, "tokens")
        generated = len(tokens) if isinstance(tokens, list) else None
    metrics = {k: v for k, v in (("prompt_tokens", prompt), ("completion_tokens", generated))
               if v is not None}
    if metrics:
        metrics["tokens"] = (prompt or 0) + (generated or 0)
    return metrics


def _details_metadata(details: Any) -> dict[str, Any]:
    return {k: get(details, k) for k in ("finish_reason", "seed")
            if get(details, k) is not None}


def _text_output(text: Any, meta: Mapping[str, Any]) -> Any:
    if not isinstance(text, str):
        return text
    output = {"generated_text": text}
    if "finish_reason" in meta:
        output["finish_reason"] = meta["finish_reason"]
    return output


def _text_finish(call: LLMCall, response: Any) -> None:
    if isinstance(response, str):
        call.finish(output={"generated_text": response})
        return
    details = get(response, "details")
    meta = _details_metadata(details)
    call.finish(output=_text_output(get(response, "generated_text"), meta),
                usage=_details_metrics(details), metadata=meta)


def _text_stream_done(call: LLMCall, chunks: list[Any]) -> None:
    pieces: list[str] = []
    final = details = None
    for chunk in chunks:
        if isinstance(chunk, str):
            pieces.append(chunk)
            continue
        if isinstance(get(chunk, "token", "text"), str):
            pieces.append(get(chunk, "token", "text"))
        final = get(chunk, "generated_text") or final
        details = get(chunk, "details") or details
    meta = _details_metadata(details)
    text = final if isinstance(final, str) else "".join(pieces)
    call.finish(output=_text_output(text, meta), usage=_details_metrics(details), metadata=meta)


def _text_token(chunk: Any) -> bool:
    return isinstance(chunk, str) or bool(get(chunk, "token", "text"))


# -- feature_extraction, sentence_similarity ---------------------------------------------

def _vectors_finish(call: LLMCall, result: Any) -> None:
    shape = shape_of(result)
    output: Any = None
    if shape and len(shape) == 1:
        output = {"embedding_length": shape[0]}
    elif shape and len(shape) == 2:
        output = {"embedding_count": shape[0], "embedding_length": shape[1]}
    elif shape:
        output = {"embedding_batch_count": shape[0], "embedding_count": shape[1],
                  "embedding_length": shape[-1]}
    call.finish(output=output)


# -- dispatch ---------------------------------------------------------------------------

#: Method -> (positional parameter names, request keys that are content, the row's input).
_METHODS: dict[str, tuple[tuple[str, ...], tuple[str, ...], Callable[[Mapping[str, Any]], Any]]] = {
    "chat_completion": (("messages",), ("messages",),
                        lambda kw: [dump(m) for m in kw.get("messages") or []]),
    "text_generation": (("prompt",), ("prompt",), lambda kw: kw.get("prompt")),
    "feature_extraction": (("text",), ("text",), lambda kw: kw.get("text")),
    "sentence_similarity": (("sentence", "other_sentences"), ("sentence", "other_sentences"),
                            lambda kw: {"sentence": kw.get("sentence"),
                                        "other_sentences": kw.get("other_sentences")}),
}


def _spec(method: str, instance: Any, stream: bool) -> Call:
    _, content, read_input = _METHODS[method]

    def request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
        params = plain_params(kwargs, content)
        provider = kwargs.get("provider") or getattr(instance, "provider", None)
        params["provider"] = provider if isinstance(provider, str) and provider else PROVIDER
        model = kwargs.get("model") or getattr(instance, "model", None)
        return model, read_input(kwargs), params

    suffix = "_stream" if stream else ""
    name = f"huggingface.{method}{suffix}"
    if method == "chat_completion":
        return Call(name, PROVIDER, "chat", request, _chat_finish, _chat_stream_done,
                    _chat_token, _is_stream)
    if method == "text_generation":
        return Call(name, PROVIDER, "text_completion", request, _text_finish,
                    _text_stream_done, _text_token, _is_stream)
    if method == "feature_extraction":
        return Call(name, PROVIDER, "embeddings", request, _vectors_finish)
    return Call(name, PROVIDER, "sentence_similarity", request,
                lambda call, result: call.finish(output=result))


def _dispatch(tracer: trace.Tracer, method: str, is_async: bool) -> Callable[..., Any]:
    """A wrapper that names positional arguments and picks the streamed or plain span."""
    positional = _METHODS[method][0]
    make = async_wrapper if is_async else sync_wrapper

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        if len(args) > len(positional):
            return wrapped(*args, **kwargs)  # a call this wrapper does not understand
        named = {**dict(zip(positional, args)), **kwargs}
        try:
            inner = make(tracer, _spec(method, instance, bool(named.get("stream"))))
        except Exception:
            return wrapped(*args, **kwargs)
        return inner(wrapped, instance, (), named)

    return wrapper


def wrap_huggingface_hub(client: Any) -> Any:
    """Traces one ``InferenceClient`` or ``AsyncInferenceClient`` and returns it.

    The instrumentor's wrappers on this client's methods only; wrapping again
    changes nothing, and with the instrumentor on too a call is one span (the
    inner wrapper passes through while a traced call runs).
    """
    if is_traced(client):
        return client
    tracer = trace.get_tracer(__name__, VERSION)
    is_async = type(client).__name__.startswith("Async")
    for method in _METHODS:
        if hasattr(client, method):
            wrapt.wrap_function_wrapper(client, method, _dispatch(tracer, method, is_async))
    mark_traced(client)
    return client


class HuggingFaceHubInstrumentor(LazyInstrumentor):
    """Traces every ``huggingface_hub`` inference client in the process."""

    library = "huggingface_hub"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        for (module, cls), is_async in ((_SYNC, False), (_ASYNC, True)):
            for method in _METHODS:
                wrapt.wrap_function_wrapper(module, f"{cls}.{method}",
                                            _dispatch(tracer, method, is_async))

    def _unpatch(self, **kwargs: Any) -> None:
        import importlib

        for module, cls in (_SYNC, _ASYNC):
            owner = getattr(importlib.import_module(module), cls)
            for method in _METHODS:
                unwrap(owner, method)
