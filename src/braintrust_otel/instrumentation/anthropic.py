"""Tracing for the ``anthropic`` client: messages (sync, async, streaming, tool use)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Callable

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .. import diagnostics
from .._version import VERSION
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, active, dump, get, traced_async_stream, traced_stream
from ._wrap import Call, async_wrapper, plain_params, start_call, sync_wrapper

__all__ = ["AnthropicInstrumentor", "wrap_anthropic"]

_instruments = ("anthropic >= 0.20",)
PROVIDER = "anthropic"


def _request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    # As the official SDK logs it: the messages, then the system prompt as a
    # last "system" message; everything else but the content is metadata.
    messages = list(kwargs.get("messages") or [])
    system = kwargs.get("system")
    if system is not None and type(system).__name__ not in ("NotGiven", "Omit"):
        messages.append({"role": "system", "content": system})
    return kwargs.get("model"), messages, plain_params(kwargs, ("messages", "system"))


def _usage(usage: Any) -> dict[str, Any]:
    fresh = get(usage, "input_tokens") or 0
    read = get(usage, "cache_read_input_tokens")
    created = get(usage, "cache_creation_input_tokens")
    out = get(usage, "output_tokens") or 0
    # Anthropic counts cached input apart; Braintrust's prompt_tokens is all input.
    prompt = fresh + (read or 0) + (created or 0)
    metrics = {"prompt_tokens": prompt, "completion_tokens": out, "tokens": prompt + out}
    if read is not None:
        metrics["prompt_cached_tokens"] = read
    if created is not None:
        metrics["prompt_cache_creation_tokens"] = created
    return metrics


def _output(message: Any, blocks: list[Any]) -> dict[str, Any]:
    """The message as the official SDK logs it: Anthropic's shape, not OpenAI choices."""
    return {"role": get(message, "role") or "assistant", "content": [dump(b) for b in blocks],
            "model": get(message, "model"), "stop_reason": get(message, "stop_reason")}


def _finish(call: LLMCall, message: Any) -> None:
    call.first_token()  # a whole response: its first token came with it
    stop = get(message, "stop_reason")
    call.finish(output=_output(message, list(get(message, "content") or [])),
                usage=_usage(get(message, "usage")), response_model=get(message, "model"),
                response_id=get(message, "id"), finish_reasons=[stop])


def _stream_done(call: LLMCall, events: list[Any]) -> None:
    blocks: dict[int, dict[str, Any]] = {}
    usage: dict[str, Any] = {}
    message: dict[str, Any] = {"role": "assistant"}
    for event in events:
        kind = get(event, "type")
        if kind == "message_start":
            start = get(event, "message")
            message.update(model=get(start, "model"), id=get(start, "id"),
                           role=get(start, "role") or "assistant")
            usage.update(dump(get(start, "usage")) or {})
        elif kind == "content_block_start":
            blocks[get(event, "index") or 0] = dict(dump(get(event, "content_block")) or {})
        elif kind == "content_block_delta":
            block = blocks.setdefault(get(event, "index") or 0, {"type": "text", "text": ""})
            delta = get(event, "delta")
            kind = get(delta, "type")
            if kind == "text_delta":
                block["text"] = (block.get("text") or "") + str(get(delta, "text"))
            elif kind == "thinking_delta":
                block["thinking"] = (block.get("thinking") or "") + str(get(delta, "thinking"))
            elif kind == "input_json_delta":
                block["_json"] = block.get("_json", "") + str(get(delta, "partial_json"))
        elif kind == "message_delta":
            message["stop_reason"] = get(event, "delta", "stop_reason") or message.get(
                "stop_reason")
            usage.update({k: v for k, v in (dump(get(event, "usage")) or {}).items()
                          if v is not None})
    for block in blocks.values():
        if "_json" in block:
            text = block.pop("_json")
            try:
                block["input"] = json.loads(text) if text else {}
            except ValueError:
                block["input"] = text
    stop = message.get("stop_reason")
    call.finish(output=_output(message, [blocks[i] for i in sorted(blocks)]),
                usage=_usage(usage), response_model=message.get("model"),
                response_id=message.get("id"), finish_reasons=[stop])


def _is_token(event: Any) -> bool:
    return get(event, "type") in ("content_block_start", "content_block_delta")


def _quiet_client(resource: Any) -> None:
    # anthropic >= 2 makes a span of its own per request; a client made before
    # this instrumentor was on missed the ANTHROPIC_OPEN_TELEMETRY default, so
    # turn its tracer off here (unless the user asked for those spans).
    if _OWN_SPANS_OFF:
        client = getattr(resource, "_client", None)
        if client is not None and getattr(client, "_lazy_tracer", None) is not None:
            client._lazy_tracer = None


def _name(kwargs: Mapping[str, Any]) -> str:
    return "anthropic.messages.stream" if kwargs.get("stream") is True else \
        "anthropic.messages.create"


MESSAGES = Call("anthropic.messages.create", PROVIDER, "chat", _request, _finish, _stream_done,
                _is_token, lambda v: type(v).__name__ in ("Stream", "AsyncStream"),
                name_for=_name, before=_quiet_client)
STREAM = Call("anthropic.messages.stream", PROVIDER, "chat", _request, _finish, _stream_done,
              _is_token, before=_quiet_client)

_MODULE = "anthropic.resources.messages"
_BETA_MODULE = "anthropic.resources.beta.messages.messages"
_OWN_SPANS_OFF = True


class _Manager(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """``messages.stream(...)``'s context manager: the span covers the stream it opens."""

    def __init__(self, wrapped: Any, call: LLMCall) -> None:
        super().__init__(wrapped)
        self._self_call = call

    def _traced(self, stream: Any, is_async: bool) -> Any:
        try:
            wrap = traced_async_stream if is_async else traced_stream
            stream._raw_stream = wrap(stream._raw_stream, self._self_call, _stream_done,
                                      _is_token)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace a message stream", exc)
            self._self_call.finish()
        return stream

    def __enter__(self) -> Any:
        tokens = self._self_call.activate()
        try:
            stream = self.__wrapped__.__enter__()
        except BaseException as exc:
            self._self_call.fail(exc)
            raise
        finally:
            self._self_call.deactivate(tokens)
        return self._traced(stream, is_async=False)

    def __exit__(self, *exc: Any) -> Any:
        return self.__wrapped__.__exit__(*exc)

    async def __aenter__(self) -> Any:
        tokens = self._self_call.activate()
        try:
            stream = await self.__wrapped__.__aenter__()
        except BaseException as exc:
            self._self_call.fail(exc)
            raise
        finally:
            self._self_call.deactivate(tokens)
        return self._traced(stream, is_async=True)

    async def __aexit__(self, *exc: Any) -> Any:
        return await self.__wrapped__.__aexit__(*exc)


def stream_wrapper(tracer: trace.Tracer) -> Callable[..., Any]:
    """A wrapt wrapper for ``Messages.stream`` / ``AsyncMessages.stream`` (both sync calls)."""

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        manager = wrapped(*args, **kwargs)
        if active():
            return manager
        call = start_call(tracer, STREAM, kwargs, instance)
        return manager if call is None else _Manager(manager, call)

    return wrapper


class AnthropicInstrumentor(LazyInstrumentor):
    """Traces every ``anthropic`` client in the process as Braintrust LLM spans."""

    library = "anthropic"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        # anthropic >= 2 makes spans of its own (without content by default);
        # with this instrumentor on, clients created from now on leave it to us,
        # so each call is one LLM span, unless the environment says otherwise.
        global _OWN_SPANS_OFF
        # anthropic's own variable: a default written for it, not our configuration.
        _OWN_SPANS_OFF = os.environ.setdefault("ANTHROPIC_OPEN_TELEMETRY", "false") == "false"
        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        for module in (_MODULE, _BETA_MODULE):
            wrapt.wrap_function_wrapper(module, "Messages.create", sync_wrapper(tracer, MESSAGES))
            wrapt.wrap_function_wrapper(module, "AsyncMessages.create",
                                        async_wrapper(tracer, MESSAGES))
            wrapt.wrap_function_wrapper(module, "Messages.stream", stream_wrapper(tracer))
            wrapt.wrap_function_wrapper(module, "AsyncMessages.stream", stream_wrapper(tracer))

    def _unpatch(self, **kwargs: Any) -> None:
        import anthropic.resources.beta.messages.messages as beta
        import anthropic.resources.messages as mod

        for cls in (mod.Messages, mod.AsyncMessages, beta.Messages, beta.AsyncMessages):
            unwrap(cls, "create")
            unwrap(cls, "stream")


def wrap_anthropic(client: Any) -> Any:
    """Traces one ``anthropic.Anthropic`` / ``AsyncAnthropic`` client (and returns it)."""
    if getattr(client, "_braintrust_traced", False):
        return client  # wrapping twice would stack wrappers on every call
    tracer = trace.get_tracer(__name__, VERSION)
    wrap = async_wrapper if type(client).__name__.startswith("Async") else sync_wrapper
    # The beta messages API records the same span as the stable one.
    beta = getattr(getattr(client, "beta", None), "messages", None)
    for messages in (client.messages, beta):
        if messages is not None:
            wrapt.wrap_function_wrapper(messages, "create", wrap(tracer, MESSAGES))
            wrapt.wrap_function_wrapper(messages, "stream", stream_wrapper(tracer))
    try:
        client._braintrust_traced = True
    except AttributeError:
        pass  # a client with __slots__: wrapped again next time, one span all the same
    return client
