"""Tracing for the ``anthropic`` client: messages (sync, async, streaming, tool use)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from ._lazy import LazyInstrumentor
from ._llm import LLMCall, dump, get
from ._wrap import Call, async_wrapper, plain_params, sync_wrapper

__all__ = ["AnthropicInstrumentor", "wrap_anthropic"]

_instruments = ("anthropic >= 0.20",)
PROVIDER = "anthropic"


def _request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    messages = list(kwargs.get("messages") or [])
    system = kwargs.get("system")
    if isinstance(system, list):
        system = "".join(str(get(b, "text") or "") for b in system)
    if isinstance(system, str) and system:
        messages = [{"role": "system", "content": system}, *messages]
    return kwargs.get("model"), messages, plain_params(kwargs, ("messages", "system"))


def _usage(usage: Any) -> dict[str, Any]:
    fresh = get(usage, "input_tokens") or 0
    read = get(usage, "cache_read_input_tokens") or 0
    created = get(usage, "cache_creation_input_tokens") or 0
    out = get(usage, "output_tokens") or 0
    # Anthropic counts cached input apart; Braintrust's prompt_tokens is all input.
    prompt = fresh + read + created
    return {"prompt_tokens": prompt, "completion_tokens": out, "tokens": prompt + out,
            "prompt_cached_tokens": read, "prompt_cache_creation_tokens": created}


def _as_choice(blocks: list[Any], stop: Any) -> list[dict[str, Any]]:
    texts, calls, other = [], [], []
    for block in blocks:
        kind = get(block, "type")
        if kind == "text":
            texts.append(str(get(block, "text") or ""))
        elif kind == "tool_use":
            calls.append({"id": get(block, "id"), "type": "function",
                          "function": {"name": get(block, "name"),
                                       "arguments": json.dumps(get(block, "input"))}})
        else:
            other.append(dump(block))
    message: dict[str, Any] = {"role": "assistant",
                               "content": "".join(texts) if texts or not calls else None}
    if calls:
        message["tool_calls"] = calls
    if other:
        message["content_blocks"] = other
    return [{"index": 0, "message": message, "finish_reason": stop}]


def _finish(call: LLMCall, message: Any) -> None:
    stop = get(message, "stop_reason")
    call.finish(output=_as_choice(list(get(message, "content") or []), stop),
                usage=_usage(get(message, "usage")), response_model=get(message, "model"),
                response_id=get(message, "id"), finish_reasons=[stop])


def _stream_done(call: LLMCall, events: list[Any]) -> None:
    blocks: dict[int, dict[str, Any]] = {}
    usage: dict[str, Any] = {}
    model = rid = stop = None
    for event in events:
        kind = get(event, "type")
        if kind == "message_start":
            message = get(event, "message")
            model, rid = get(message, "model"), get(message, "id")
            usage.update(dump(get(message, "usage")) or {})
        elif kind == "content_block_start":
            blocks[get(event, "index") or 0] = dict(dump(get(event, "content_block")) or {})
        elif kind == "content_block_delta":
            block = blocks.setdefault(get(event, "index") or 0, {"type": "text", "text": ""})
            delta = get(event, "delta")
            if get(delta, "type") == "text_delta":
                block["text"] = (block.get("text") or "") + str(get(delta, "text"))
            elif get(delta, "type") == "input_json_delta":
                block["_json"] = block.get("_json", "") + str(get(delta, "partial_json"))
        elif kind == "message_delta":
            stop = get(event, "delta", "stop_reason") or stop
            usage.update({k: v for k, v in (dump(get(event, "usage")) or {}).items()
                          if v is not None})
    for block in blocks.values():
        if "_json" in block:
            text = block.pop("_json")
            try:
                block["input"] = json.loads(text) if text else {}
            except ValueError:
                block["input"] = text
    call.finish(output=_as_choice([blocks[i] for i in sorted(blocks)], stop),
                usage=_usage(usage), response_model=model, response_id=rid,
                finish_reasons=[stop])


MESSAGES = Call("anthropic.messages.create", PROVIDER, "chat", _request, _finish, _stream_done,
                lambda e: get(e, "type") == "content_block_delta",
                lambda v: type(v).__name__ in ("Stream", "AsyncStream"))

_MODULE = "anthropic.resources.messages"


class AnthropicInstrumentor(LazyInstrumentor):
    """Traces every ``anthropic`` client in the process as Braintrust LLM spans."""

    library = "anthropic"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        # anthropic >= 2 makes spans of its own (without content by default);
        # with this instrumentor on, clients created from now on leave it to us,
        # so each call is one LLM span, unless the environment says otherwise.
        os.environ.setdefault("ANTHROPIC_OPEN_TELEMETRY", "false")
        tracer = trace.get_tracer(__name__, "0.1.0", kwargs.get("tracer_provider"))
        wrapt.wrap_function_wrapper(_MODULE, "Messages.create", sync_wrapper(tracer, MESSAGES))
        wrapt.wrap_function_wrapper(_MODULE, "AsyncMessages.create",
                                    async_wrapper(tracer, MESSAGES))

    def _unpatch(self, **kwargs: Any) -> None:
        import anthropic.resources.messages as mod

        unwrap(mod.Messages, "create")
        unwrap(mod.AsyncMessages, "create")


def wrap_anthropic(client: Any) -> Any:
    """Traces one ``anthropic.Anthropic`` / ``AsyncAnthropic`` client (and returns it)."""
    tracer = trace.get_tracer(__name__, "0.1.0")
    wrap = async_wrapper if type(client).__name__.startswith("Async") else sync_wrapper
    wrapt.wrap_function_wrapper(client.messages, "create", wrap(tracer, MESSAGES))
    return client
