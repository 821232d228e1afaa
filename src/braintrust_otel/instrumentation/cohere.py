"""Tracing for the ``cohere`` client: chat, chat_stream, embed, rerank (v1 and v2, sync and
async), and audio transcriptions (``cohere.audio.transcriptions.create``: the audio file in,
as an attachment, the text out).

Rows match the official SDK's: ``cohere.chat`` / ``cohere.chat_stream`` LLM spans
with the messages in and the assistant message out, ``cohere.embed`` with a
summary of the vectors, ``cohere.rerank`` with the ranked indices and scores;
billed tokens as the token counts, and each tool call as a ``tool: name`` child.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import wrapt
from opentelemetry import trace

from .._version import VERSION
from ..attachments import Attachment
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, dump, get
from ._wrap import (
    Call,
    ClientTarget,
    Target,
    plain_params,
    sync_wrapper,
    unwrap_targets,
    wrap_client,
    wrap_targets,
)

__all__ = ["CohereInstrumentor", "wrap_cohere"]

_instruments = ("cohere >= 5.0",)
PROVIDER = "cohere"
_CONTENT = ("messages", "message", "chat_history", "texts", "images", "inputs", "query",
            "documents", "request_options")


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _merge_usage(metrics: dict[str, Any], usage: Any) -> None:
    if usage is None:
        return
    for key, metric in (("input_tokens", "prompt_tokens"), ("output_tokens", "completion_tokens"),
                        ("total_tokens", "tokens"), ("cached_tokens", "prompt_cached_tokens")):
        if _num(get(usage, key)):
            metrics[metric] = get(usage, key)
    block = get(usage, "tokens")
    for key, metric in (("input_tokens", "prompt_tokens"), ("output_tokens", "completion_tokens"),
                        ("total_tokens", "tokens")):
        if _num(get(block, key)):
            metrics[metric] = get(block, key)
    # Billed units are what Cohere charges for: they win over the raw token block.
    billed = get(usage, "billed_units")
    for key, metric in (("input_tokens", "prompt_tokens"), ("output_tokens", "completion_tokens"),
                        ("search_units", "search_units"), ("classifications", "classifications"),
                        ("images", "images"), ("image_tokens", "image_tokens")):
        if _num(get(billed, key)):
            metrics[metric] = get(billed, key)


def _usage(result: Any) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for source in (result, get(result, "usage"), get(result, "meta")):
        _merge_usage(metrics, source)
    if "tokens" not in metrics and {"prompt_tokens", "completion_tokens"} <= metrics.keys():
        metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
    return metrics


def _response_metadata(result: Any) -> dict[str, Any]:
    out = {k: get(result, k) for k in ("id", "generation_id", "response_id", "response_type",
                                       "finish_reason") if get(result, k) is not None}
    version = get(result, "meta", "api_version", "version")
    if version is not None:
        out["api_version"] = version
    return out


def _params(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    # Cohere's "not given" default is the Ellipsis.
    return {k: v for k, v in plain_params(kwargs, _CONTENT).items() if v is not ...}


def _chat_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    messages = kwargs.get("messages")
    value = [dump(m) for m in messages] if messages is not None else kwargs.get("message")
    return kwargs.get("model"), value, _params(kwargs)


def _chat_output(result: Any) -> Any:
    message = get(result, "message")
    if message is not None:
        return dump(message)
    text, tool_calls = get(result, "text"), get(result, "tool_calls")
    if tool_calls:
        return {"role": "assistant", "content": text, "tool_calls": dump(tool_calls)}
    return text


def _record_tools(call: LLMCall, output: Any) -> None:
    for tool_call in get(output, "tool_calls") or []:
        name = get(tool_call, "function", "name") or get(tool_call, "name")
        if not name:
            continue
        fn = get(tool_call, "function")
        args = get(fn, "arguments")
        if args is None:
            args = get(fn, "parameters") if fn is not None else get(tool_call, "parameters")
        meta = {k: v for k, v in (("tool_call_id", get(tool_call, "id")),
                                  ("tool_type", get(tool_call, "type"))) if v is not None}
        # The arguments as the model wrote them (a JSON string), as in the official rows.
        call.tool_call(str(name), args, meta)


def _chat_finish(call: LLMCall, result: Any) -> None:
    output = _chat_output(result)
    _record_tools(call, output)
    call.finish(output=output, usage=_usage(result), response_id=get(result, "id"),
                finish_reasons=[get(result, "finish_reason")],
                metadata=_response_metadata(result))


def _stream_done(call: LLMCall, events: list[Any]) -> None:
    text: list[str] = []
    tools: dict[int, dict[str, Any]] = {}
    metrics: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    role = finish = None
    output: Any = None
    for event in events:
        kind = get(event, "type") or get(event, "event_type")
        delta_message = get(event, "delta", "message")
        if kind == "text-generation":  # v1
            text.append(str(get(event, "text") or ""))
        elif kind == "stream-end":
            response = get(event, "response")
            output = _chat_output(response)
            metrics.update(_usage(response))
            meta.update(_response_metadata(response))
            finish = get(response, "finish_reason") or finish
        elif kind == "message-start":  # v2
            meta["id"] = get(event, "id")
            role = get(delta_message, "role") or role
        elif kind == "content-delta":
            piece = get(delta_message, "content", "text")
            if isinstance(piece, str):
                text.append(piece)
        elif kind in ("tool-call-start", "tool-call-delta"):
            index = get(event, "index") or 0
            entry = tools.setdefault(index, {})
            incoming = dump(get(delta_message, "tool_calls")) or {}
            fn = incoming.pop("function", None) or {}
            entry.update({k: v for k, v in incoming.items() if v is not None})
            merged = entry.setdefault("function", {})
            for key, value in fn.items():
                if key == "arguments" and kind == "tool-call-delta":
                    merged["arguments"] = (merged.get("arguments") or "") + str(value or "")
                elif value is not None:
                    merged[key] = value
        elif kind == "message-end":
            finish = get(event, "delta", "finish_reason") or finish
            _merge_usage(metrics, get(event, "delta", "usage"))
    if "tokens" not in metrics and {"prompt_tokens", "completion_tokens"} <= metrics.keys():
        metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
    if output is None:
        output = {k: v for k, v in (("role", role), ("content", "".join(text) or None),
                                    ("tool_calls", [tools[i] for i in sorted(tools)] or None))
                  if v is not None} or None
    if finish is not None:
        meta["finish_reason"] = finish
    _record_tools(call, output)
    call.finish(output=output, usage=metrics, response_id=meta.get("id"),
                finish_reasons=[finish], metadata=meta)


def _is_token(event: Any) -> bool:
    return (get(event, "type") or get(event, "event_type")) in (
        "content-delta", "text-generation", "tool-call-start", "tool-call-delta")


def _is_stream(value: Any) -> bool:
    return inspect.isgenerator(value) or inspect.isasyncgen(value)


def _embed_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    value = next((kwargs[k] for k in ("inputs", "texts", "images") if kwargs.get(k) is not None),
                 None)
    return kwargs.get("model"), value, _params(kwargs)


def _embed_finish(call: LLMCall, result: Any) -> None:
    embeddings = get(result, "embeddings")
    if isinstance(embeddings, list):
        candidates: list[Any] = [embeddings]
    else:
        data = dump(embeddings)
        candidates = list(data.values()) if isinstance(data, Mapping) else []
    output = None
    for entry in candidates:
        if isinstance(entry, list) and entry and isinstance(entry[0], list):
            output = {"embedding_count": len(entry), "embedding_length": len(entry[0])}
            break
    call.finish(output=output, usage=_usage(result), response_id=get(result, "id"),
                metadata=_response_metadata(result))


def _rerank_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    params = _params(kwargs)
    documents = kwargs.get("documents")
    if isinstance(documents, (list, tuple)):
        params["document_count"] = len(documents)
    return kwargs.get("model"), {"query": kwargs.get("query"), "documents": documents}, params


def _rerank_finish(call: LLMCall, result: Any) -> None:
    out = []
    for item in (get(result, "results") or [])[:100]:
        entry = {"index": get(item, "index"), "relevance_score": get(item, "relevance_score")}
        spans = get(item, "relevant_spans")
        if spans is not None:
            entry["relevant_spans"] = [{k: get(s, k) for k in ("start", "end", "score")}
                                       for s in spans]
        out.append(entry)
    call.finish(output=out, usage=_usage(result), response_id=get(result, "id"),
                metadata=_response_metadata(result))


def _audio_file(value: Any) -> Any:
    """The audio of a ``file=`` argument as an Attachment, or ``"[audio]"``.

    Cohere takes bytes, a file object or a ``(name, content[, type])`` tuple;
    a file object is read and put back where it was, for the request.
    """
    name, content, content_type = "input_audio.bin", value, "application/octet-stream"
    if isinstance(value, tuple) and len(value) >= 2:
        name, content = str(value[0] or name), value[1]
        if len(value) >= 3 and isinstance(value[2], str):
            content_type = value[2]
    data: Any = None
    if isinstance(content, (bytes, bytearray)):
        data = bytes(content)
    elif hasattr(content, "read") and hasattr(content, "seek") and hasattr(content, "tell"):
        start = content.tell()
        data = content.read()
        content.seek(start)
        name = str(getattr(content, "name", None) or name).rsplit("/", 1)[-1]
    if not isinstance(data, bytes):
        return "[audio]"
    if content_type == "application/octet-stream":
        import mimetypes

        content_type = mimetypes.guess_type(name)[0] or content_type
    return Attachment(data, filename=name, content_type=content_type)


def _transcription_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    file = kwargs.get("file")
    params = {k: kwargs[k] for k in ("language", "temperature")
              if kwargs.get(k) is not None and not _omitted(kwargs[k])}
    return kwargs.get("model"), None if file is None else {"file": _audio_file(file)}, params


def _omitted(value: Any) -> bool:
    # Cohere's OMIT sentinel is an Ellipsis.
    return value is Ellipsis


def _transcription_finish(call: LLMCall, result: Any) -> None:
    text = get(result, "text")
    call.finish(output=text if isinstance(text, str) else None)


CHAT = Call("cohere.chat", PROVIDER, "chat", _chat_request, _chat_finish)
CHAT_STREAM = Call("cohere.chat_stream", PROVIDER, "chat", _chat_request,
                   lambda call, result: call.finish(), _stream_done, _is_token, _is_stream)
EMBED = Call("cohere.embed", PROVIDER, "embeddings", _embed_request, _embed_finish)
RERANK = Call("cohere.rerank", PROVIDER, "rerank", _rerank_request, _rerank_finish)
TRANSCRIBE = Call("cohere.audio.transcriptions.create", PROVIDER, "transcription",
                  _transcription_request, _transcription_finish)
_AUDIO = "cohere.audio.transcriptions.client"

_CLASSES = (("cohere.base_client", "BaseCohere", False),
            ("cohere.base_client", "AsyncBaseCohere", True),
            ("cohere.v2.client", "V2Client", False),
            ("cohere.v2.client", "AsyncV2Client", True))


def _targets() -> list[Target]:
    targets: list[Target] = []
    for module, cls, is_async in _CLASSES:
        for method, spec in (("chat", CHAT), ("embed", EMBED), ("rerank", RERANK)):
            targets.append((module, cls, method, spec, is_async))
    targets.append((_AUDIO, "TranscriptionsClient", "create", TRANSCRIBE, False))
    targets.append((_AUDIO, "AsyncTranscriptionsClient", "create", TRANSCRIBE, True))
    return targets


def _stream_targets() -> list[tuple[str, str, bool]]:
    return [(module, cls, is_async) for module, cls, is_async in _CLASSES]


def wrap_cohere(client: Any) -> Any:
    """Traces one ``cohere`` client (v1 or v2, sync or async) and returns it.

    The instrumentor's specs on this client's ``chat``, ``chat_stream``,
    ``embed``, ``rerank`` and ``audio.transcriptions.create``; other clients
    are untouched, and wrapping again changes nothing.
    """
    how = "async" if type(client).__name__.startswith("Async") else "sync"
    targets: list[ClientTarget] = [((), method, spec, how) for method, spec in (
        ("chat", CHAT), ("embed", EMBED), ("rerank", RERANK))]
    # chat_stream is a generator function (see _patch): a sync wrapper for both.
    targets.append(((), "chat_stream", CHAT_STREAM,
                    "async_stream" if how == "async" else "sync"))
    targets.append((("audio", "transcriptions"), "create", TRANSCRIBE, how))
    return wrap_client(trace.get_tracer(__name__, VERSION), client, targets)


class CohereInstrumentor(LazyInstrumentor):
    """Traces every ``cohere`` client in the process as Braintrust LLM spans."""

    library = "cohere"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        wrap_targets(tracer, _targets())
        import importlib

        for module, cls, is_async in _stream_targets():
            try:
                owner = getattr(importlib.import_module(module), cls)
            except (ImportError, AttributeError):
                continue
            # chat_stream is a generator function, async ones included: calling it
            # returns the stream without awaiting, so one sync wrapper fits both.
            wrapt.wrap_function_wrapper(owner, "chat_stream",
                                        sync_wrapper(tracer, CHAT_STREAM, async_stream=is_async))

    def _unpatch(self, **kwargs: Any) -> None:
        unwrap_targets(_targets())
        import importlib

        from opentelemetry.instrumentation.utils import unwrap

        for module, cls, _ in _stream_targets():
            try:
                unwrap(getattr(importlib.import_module(module), cls), "chat_stream")
            except (ImportError, AttributeError):
                continue
