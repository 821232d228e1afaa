"""LiveKit Agents: its own OTel spans, with one ``llm`` row per model call.

LiveKit Agents always traces itself to the global tracer provider (ours under
the distro): ``agent_session``, ``agent_turn``, the tools it executes (name,
arguments in, output out, and the application's spans inside), and for each
model call an ``llm_node`` span around an ``llm_request`` span (GenAI
conventions: the messages, the reply, tokens, time to first token) around an
``llm_request_run`` span per attempt, inside which the provider client sends
the request. The GenAI mapper reads these as they are; this instrumentor only
keeps the model call one row: it marks ``llm_node`` and ``llm_request_run``
(which carry the model too) as ``task`` rows, and marks the attempt as a
framework model call so the provider instrumentors (the OpenAI plugin's
client) add no second ``llm`` row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import wrapt
from opentelemetry import trace

from .. import attributes as A
from .. import diagnostics
from ._lazy import LazyInstrumentor
from ._llm import mark_model_call, unmark_model_call

__all__ = ["LiveKitAgentsInstrumentor"]

_instruments = ("livekit-agents >= 1.3.1",)
_STREAM_MODULE = "livekit.agents.llm.llm"
_TASK = '{"type":"task"}'
#: LiveKit's spans that wrap a model call without being it.
_WRAPPERS = frozenset({"llm_node", "llm_request_run"})


def _as_task(span: Any) -> None:
    """Marks one of LiveKit's wrapper spans as a task row (it names the model too)."""
    if getattr(span, "name", None) in _WRAPPERS and span.is_recording():
        span.set_attribute(A.SPAN_ATTRIBUTES, _TASK)


def _stream_init(wrapped: Any, instance: Any, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    try:
        # A stream is made by LLM.chat inside the ``llm_node`` span of a reply.
        _as_task(trace.get_current_span())
    except Exception as exc:
        diagnostics.report("instrumentation", "could not mark LiveKit's llm_node span", exc)
    return result


def _attempt_span(wrapped: Any, instance: Any, args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> Any:
    @contextlib.contextmanager
    def attempt() -> Iterator[Any]:
        with wrapped(*args, **kwargs) as span:
            try:
                _as_task(span)
            except Exception as exc:
                diagnostics.report("instrumentation", "could not mark a LiveKit attempt", exc)
            # The provider request runs in this task while the attempt is open.
            token = mark_model_call()
            try:
                yield span
            finally:
                unmark_model_call(token)

    return attempt()


class LiveKitAgentsInstrumentor(LazyInstrumentor):
    """Keeps each LiveKit model call one ``llm`` row (LiveKit's spans do the rest)."""

    library = "livekit.agents"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        import importlib

        stream = importlib.import_module(_STREAM_MODULE).LLMStream
        wrapt.wrap_function_wrapper(stream, "__init__", _stream_init)
        wrapt.wrap_function_wrapper(stream, "_attempt_span", _attempt_span)

    def _unpatch(self, **kwargs: Any) -> None:
        import importlib

        stream = importlib.import_module(_STREAM_MODULE).LLMStream
        for name in ("__init__", "_attempt_span"):
            attr = stream.__dict__.get(name)
            if isinstance(attr, wrapt.FunctionWrapper):
                setattr(stream, name, attr.__wrapped__)
