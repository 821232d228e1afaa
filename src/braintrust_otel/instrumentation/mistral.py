"""Tracing for the ``mistralai`` client: chat, agents, FIM (sync, async, streaming),
embeddings, OCR, audio (transcriptions and their stream, speech), and the beta
conversations API (start, append, restart, and their streams).

Rows match the official SDK's: ``mistral.chat.complete`` / ``mistral.chat.stream``
(and ``agents``, ``fim``) LLM spans with the messages in, the choices out, token
counts and time to first token; ``mistral.embeddings.create`` with a summary of
the vectors; ``mistral.ocr.process`` with the document in and the pages out;
each tool call the model asks for as a ``tool: name`` child span; and
``mistral.beta.conversations.*`` task spans with the inputs in and the entries out;
``mistral.audio.transcriptions.complete`` / ``.stream`` with the audio file in as an
attachment and the text out, ``mistral.audio.speech.complete`` with the text in and the
generated audio out as an attachment.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace

from .._version import VERSION
from ._chat import merge_chunks, parse_arguments, record_tool_calls
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, dump, get
from ._mistral_common import _params, _set, _usage
from ._mistral_media import (
    _ocr_finish,
    _ocr_request,
    _speech_finish,
    _speech_request,
    _speech_stream_done,
    _transcription_finish,
    _transcription_request,
    _transcription_stream_done,
)
from ._wrap import Call, ClientTarget, Target, unwrap_targets, wrap_client, wrap_targets

__all__ = ["MistralInstrumentor", "wrap_mistral"]

_instruments = ("mistralai >= 1.12.4",)
PROVIDER = "mistral"
def _chat_request(stream: bool) -> Any:
    def request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
        messages = [dump(m) for m in kwargs.get("messages") or []]
        return kwargs.get("model") or kwargs.get("agent_id"), messages, _params(kwargs, stream)
    return request


def _fim_request(stream: bool) -> Any:
    def request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
        value: dict[str, Any] = {"prompt": kwargs.get("prompt")}
        if isinstance(kwargs.get("suffix"), str):
            value["suffix"] = kwargs["suffix"]
        return kwargs.get("model"), value, _params(kwargs, stream)
    return request


def _response_metadata(id: Any, model: Any, obj: Any, created: Any) -> dict[str, Any]:
    return {k: v for k, v in (("id", id), ("model", model), ("object", obj),
                              ("created", created)) if v is not None}


def _finish(call: LLMCall, response: Any) -> None:
    choices = [dump(c) for c in get(response, "choices") or []]
    record_tool_calls(call, choices)
    model = get(response, "model")
    call.finish(output=choices, usage=_usage(get(response, "usage")), response_model=model,
                response_id=get(response, "id"),
                finish_reasons=[c.get("finish_reason") for c in choices],
                metadata=_response_metadata(get(response, "id"), model,
                                            get(response, "object"), get(response, "created")))


def _stream_done(call: LLMCall, events: list[Any]) -> None:
    chunks = [get(e, "data") or e for e in events]
    choices, usage, model, rid = merge_chunks(chunks)
    record_tool_calls(call, choices)
    first = chunks[0] if chunks else None
    call.finish(output=choices, usage=_usage(usage), response_model=model, response_id=rid,
                finish_reasons=[c["finish_reason"] for c in choices],
                metadata=_response_metadata(rid, model, get(first, "object"),
                                            get(first, "created")))


def _is_token(event: Any) -> bool:
    return any(get(c, "delta", "content") or get(c, "delta", "tool_calls")
               for c in get(event, "data", "choices") or [])


def _is_stream(value: Any) -> bool:
    return type(value).__name__ in ("EventStream", "EventStreamAsync")


def _embeddings_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    return kwargs.get("model"), kwargs.get("inputs"), _params(kwargs, None)


def _embeddings_finish(call: LLMCall, response: Any) -> None:
    items = get(response, "data") or []
    first = items[0] if items else None
    vector = get(first, "embedding")
    output: dict[str, Any] = {"embeddings_count": len(items),
                              "embedding_length": len(vector) if isinstance(vector, list)
                              else None}
    if get(first, "index") is not None:
        output["first_index"] = get(first, "index")
    call.finish(output=output, usage=_usage(get(response, "usage")),
                response_model=get(response, "model"), response_id=get(response, "id"),
                metadata=_response_metadata(get(response, "id"), get(response, "model"),
                                            get(response, "object"), None))


def _conversation_request(stream: bool) -> Any:
    def request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
        inputs = kwargs.get("inputs")
        value = [dump(i) for i in inputs] if isinstance(inputs, list) else dump(inputs)
        return kwargs.get("model"), value, _params(kwargs, stream)
    return request


def _conversation_tools(call: LLMCall, outputs: list[Any]) -> None:
    """Tools the provider ran during the turn, each as a child span with its result."""
    for index, entry in enumerate(outputs):
        kind = get(entry, "type")
        if kind not in ("tool.execution", "tool_execution"):
            continue
        info = get(entry, "info")
        meta = {k: v for k, v in (("tool_call_id", get(entry, "id")), ("tool_type", kind),
                                  ("tool_index", index), ("agent_id", get(entry, "agent_id")),
                                  ("model", get(entry, "model"))) if v is not None}
        call.tool_call(str(get(entry, "name") or kind), parse_arguments(get(entry, "arguments")),
                       meta, output=info if info is not None else get(entry, "output"))


def _conversation_done(call: LLMCall, conversation_id: Any, outputs: list[Any],
                       usage: Any) -> None:
    _conversation_tools(call, outputs)
    meta: dict[str, Any] = {"object": "conversation.response"}
    if conversation_id is not None:
        meta["conversation_id"] = conversation_id
    model = next((o.get("model") for o in outputs if isinstance(o, Mapping) and o.get("model")),
                 None)
    if model is not None:
        meta["model"] = model
    call.finish(output=outputs, usage=_usage(usage), response_model=model, metadata=meta)


def _conversation_finish(call: LLMCall, response: Any) -> None:
    _conversation_done(call, get(response, "conversation_id"),
                       [dump(o) for o in get(response, "outputs") or []], get(response, "usage"))


def _append_text(entry: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, str) and value:
        entry[key] = (entry.get(key) or "") + value


def _conversation_stream_done(call: LLMCall, events: list[Any]) -> None:
    conversation_id = usage = None
    outputs: dict[int, dict[str, Any]] = {}
    for event in events:
        kind, data = get(event, "event"), get(event, "data")
        index = get(data, "output_index")
        index = index if isinstance(index, int) and index >= 0 else 0

        def entry(kind: str, index: int = index, **start: Any) -> dict[str, Any]:
            return outputs.setdefault(index, {"object": "entry", "type": kind, **start})

        def copy(out: dict[str, Any], *keys: str, data: Any = data) -> None:
            out.update({k: dump(v) for k in keys if _set(v := get(data, k))})

        if kind == "conversation.response.started":
            conversation_id = get(data, "conversation_id") or conversation_id
        elif kind == "conversation.response.done":
            usage = get(data, "usage") or usage
        elif kind == "message.output.delta":
            out = entry("message.output", role="assistant", content="")
            copy(out, "id", "model", "agent_id", "role")
            content = dump(get(data, "content"))
            if isinstance(content, str):
                _append_text(out, "content", content)
            elif content is not None:  # structured chunks: keep them whole, in order
                text = out["content"]
                parts = text if isinstance(text, list) else (
                    [{"type": "text", "text": text}] if text else [])
                out["content"] = parts + (content if isinstance(content, list) else [content])
        elif kind == "function.call.delta":
            out = entry("function.call", name="", arguments="")
            copy(out, "id", "model", "agent_id", "tool_call_id", "confirmation_status")
            _append_text(out, "name", get(data, "name"))
            arguments = dump(get(data, "arguments"))
            if isinstance(arguments, Mapping):
                out["arguments"] = {**(out["arguments"] if isinstance(out["arguments"], dict)
                                       else {}), **arguments}
            else:
                _append_text(out, "arguments", arguments)
        elif kind in ("tool.execution.started", "tool.execution.delta", "tool.execution.done"):
            out = entry("tool.execution", arguments="")
            copy(out, "id", "model", "agent_id", "name")
            _append_text(out, "arguments", get(data, "arguments"))
            if kind == "tool.execution.done":
                copy(out, "info")
        elif kind in ("agent.handoff.started", "agent.handoff.done"):
            copy(entry("agent.handoff"), "id", "previous_agent_id", "previous_agent_name",
                 "next_agent_id", "next_agent_name")
    _conversation_done(call, conversation_id, [outputs[i] for i in sorted(outputs)], usage)


_CONVERSATION_OUTPUT = {"message.output.delta", "function.call.delta", "tool.execution.started",
                        "tool.execution.delta", "tool.execution.done", "agent.handoff.started",
                        "agent.handoff.done"}


def _conversation(name: str, stream: bool) -> Call:
    # A conversation turn can run tools and hand off between agents: a task, as in
    # the official rows.
    return Call(name, PROVIDER, "invoke_agent", _conversation_request(stream),
                _conversation_finish, _conversation_stream_done,
                lambda e: get(e, "event") in _CONVERSATION_OUTPUT, _is_stream, span_type="task")


def _completion(name: str, request: Any) -> Call:
    return Call(name, PROVIDER, "chat", request, _finish, _stream_done, _is_token, _is_stream)


_SPECS = {
    ("chat", "complete"): _completion("mistral.chat.complete", _chat_request(False)),
    ("chat", "stream"): _completion("mistral.chat.stream", _chat_request(True)),
    ("agents", "complete"): _completion("mistral.agents.complete", _chat_request(False)),
    ("agents", "stream"): _completion("mistral.agents.stream", _chat_request(True)),
    ("fim", "complete"): _completion("mistral.fim.complete", _fim_request(False)),
    ("fim", "stream"): _completion("mistral.fim.stream", _fim_request(True)),
    ("embeddings", "create"): Call("mistral.embeddings.create", PROVIDER, "embeddings",
                                   _embeddings_request, _embeddings_finish),
    ("ocr", "process"): Call("mistral.ocr.process", PROVIDER, "ocr", _ocr_request,
                             _ocr_finish),
}
_SPECS[("transcriptions", "complete")] = Call(
    "mistral.audio.transcriptions.complete", PROVIDER, "transcription",
    _transcription_request(False), _transcription_finish)
_SPECS[("transcriptions", "stream")] = Call(
    "mistral.audio.transcriptions.stream", PROVIDER, "transcription",
    _transcription_request(True), lambda call, result: call.finish(),
    _transcription_stream_done,
    lambda event: get(event, "event") == "transcription.text.delta", _is_stream)
_SPECS[("speech", "complete")] = Call(
    "mistral.audio.speech.complete", PROVIDER, "speech", _speech_request, _speech_finish,
    _speech_stream_done, lambda event: get(event, "event") == "speech.audio.delta", _is_stream)
for _method in ("start", "append", "restart"):
    _SPECS[("conversations", _method)] = _conversation(
        f"mistral.beta.conversations.{_method}", False)
    _SPECS[("conversations", f"{_method}_stream")] = _conversation(
        f"mistral.beta.conversations.{_method}_stream", True)


def _package() -> str:
    """Where the client's resource modules live: ``mistralai.client`` (2+) or ``mistralai`` (1.x).

    mistralai 2+ is a namespace package; 1.x is a regular package whose
    ``mistralai/client.py`` is a legacy stub. Found without importing either.
    """
    try:
        spec = importlib.util.find_spec("mistralai")
    except (ImportError, ValueError):
        spec = None
    regular = spec is not None and spec.origin not in (None, "namespace")
    return "mistralai" if regular else "mistralai.client"


def _targets() -> list[Target]:
    targets: list[Target] = []
    package = _package()
    for (resource, method), spec in _SPECS.items():
        module, cls = f"{package}.{resource}", resource.capitalize()
        targets.append((module, cls, method, spec, False))
        targets.append((module, cls, f"{method}_async", spec, True))
    return targets


#: Where each resource hangs on a ``Mistral`` client (``_SPECS`` is keyed by its last part).
_CLIENT_PATHS = (("chat",), ("agents",), ("fim",), ("embeddings",), ("ocr",),
                 ("audio", "transcriptions"), ("audio", "speech"), ("beta", "conversations"))


def wrap_mistral(client: Any) -> Any:
    """Traces one ``mistralai`` client's calls (and returns it); other clients are untouched.

    The same specs as :class:`MistralInstrumentor`, wrapped on this client's
    resource objects instead of their classes. Wrapping a client twice, or
    one whose classes are instrumented too, still makes one span per call
    (an inner wrapper passes through while a traced call is running).

    Args:
        client: A ``Mistral`` client.

    Returns:
        The same client.
    """
    targets: list[ClientTarget] = []
    for path in _CLIENT_PATHS:
        for (name, method), spec in _SPECS.items():
            if name == path[-1]:
                targets += [(path, method, spec, "sync"), (path, f"{method}_async", spec, "async")]
    return wrap_client(trace.get_tracer(__name__, VERSION), client, targets)


class MistralInstrumentor(LazyInstrumentor):
    """Traces every ``mistralai`` client in the process as Braintrust LLM spans."""

    # mistralai 2+ is a namespace package, which wrapt's import hooks never see:
    # they watch its regular subpackage instead (see _package).
    library = "mistralai.client"
    instruments = _instruments

    def _library(self) -> str:
        return _package()

    def _patch(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        wrap_targets(tracer, _targets())
        if _package() == "mistralai":
            _quiet_own_spans()

    def _unpatch(self, **kwargs: Any) -> None:
        unwrap_targets(_targets())
        if _package() == "mistralai":
            from opentelemetry.instrumentation.utils import unwrap

            unwrap(importlib.import_module(_OWN_TRACING), "get_or_create_otel_tracer")


#: mistralai 1.x's request hook, which spans every HTTP request itself.
_OWN_TRACING = "mistralai._hooks.tracing"


def _quiet_own_spans() -> None:
    """Turns mistralai 1.x's own request spans off.

    1.x spans every request (``chat_completion_v1_chat_completions_post``, ...)
    as soon as any tracer provider is global, which ours is; the official SDK
    sets none, so its rows have only the call's llm span. The hook asks for
    its tracer before each request, so answering "disabled" stops it.
    """
    import wrapt

    try:
        module = importlib.import_module(_OWN_TRACING)
    except ImportError:
        return
    if not hasattr(module, "get_or_create_otel_tracer"):
        return

    def disabled(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        _, tracer = wrapped(*args, **kwargs)
        return False, tracer

    wrapt.wrap_function_wrapper(module, "get_or_create_otel_tracer", disabled)
