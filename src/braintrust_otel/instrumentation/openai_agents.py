"""Tracing for the OpenAI Agents SDK: its traces and spans as OTel spans.

The Agents SDK has its own tracing with pluggable processors; this
instrumentor adds one that mirrors every Agents trace and span as an OTel
span (agents and tasks as ``task``, function tools as ``tool``, generations
as ``llm``), nested in whatever span was current when the run started. The
model calls themselves are traced by the OpenAI instrumentor, nested under
the Agents response span.
"""

from __future__ import annotations

import threading
from typing import Any, Optional

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from .. import attributes as A
from .. import diagnostics
from .._version import VERSION
from ..masking import mask
from ..serialize import dumps
from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["OpenAIAgentsInstrumentor", "TracingProcessor"]

_instruments = ("openai-agents >= 0.1",)

_TYPES = {"agent": "task", "function": "tool", "generation": "llm", "response": "task",
          "handoff": "function", "guardrail": "function", "custom": "task",
          "mcp_tools": "function", "transcription": "llm", "speech": "llm"}


def _name(data: dict[str, Any]) -> str:
    kind = data.get("type")
    if kind == "handoff":
        return f"handoff to {data.get('to_agent')}"
    return str(data.get("name") or kind or "span")


class _Processor:
    """An Agents ``TracingProcessor`` that mirrors traces and spans as OTel spans."""

    def __init__(self, tracer: trace.Tracer, root_span: Optional[trace.Span] = None,
                 root_parent: Optional[str] = None) -> None:
        self.tracer = tracer
        self.enabled = True
        # Where a trace started outside any span goes: under root_span, and/or
        # to the object named by root_parent (a braintrust.parent string).
        self.root_span = root_span
        self.root_parent = root_parent
        self._lock = threading.Lock()
        self._spans: dict[str, tuple[trace.Span, Optional[object]]] = {}

    def _start(self, key: str, name: str, parent_key: Optional[str]) -> None:
        parent = self._spans.get(parent_key) if parent_key else None
        ctx = trace.set_span_in_context(parent[0]) if parent else None
        attrs: dict[str, Any] = {}
        if parent_key is None and not trace.get_current_span().get_span_context().is_valid:
            if self.root_span is not None:
                ctx = trace.set_span_in_context(self.root_span)
            if self.root_parent:
                attrs[A.PARENT] = self.root_parent
        span = self.tracer.start_span(name, context=ctx, attributes=attrs)
        # Current while the Agents span is, so model calls made in it nest.
        token = otel_context.attach(trace.set_span_in_context(span))
        with self._lock:
            self._spans[key] = (span, token)

    def _end(self, key: str, attrs: dict[str, Any], error: Any = None) -> None:
        with self._lock:
            found = self._spans.pop(key, None)
        if found is None:
            return
        span, token = found
        try:
            otel_context.detach(token)  # type: ignore[arg-type]
        except Exception:
            pass  # ended in another context than it started: nothing to restore
        span.set_attributes(attrs)
        if error:
            error = mask("error", error)
            message = error.get("message") if isinstance(error, dict) else error
            span.set_status(Status(StatusCode.ERROR, message if isinstance(message, str)
                                   else dumps(message)))
            span.set_attribute(A.ERROR, dumps(error))
        span.end()

    def on_trace_start(self, t: Any) -> None:
        if self.enabled:
            try:
                self._start(t.trace_id, t.name, None)
            except Exception as exc:
                diagnostics.report("instrumentation", "could not mirror an Agents trace", exc)

    def on_trace_end(self, t: Any) -> None:
        try:
            metadata = getattr(t, "metadata", None)
            attrs = {A.SPAN_ATTRIBUTES: '{"type":"task"}'}
            if metadata:
                attrs[A.METADATA] = dumps(mask("metadata", metadata))
            self._end(t.trace_id, attrs)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not mirror an Agents trace", exc)

    def on_span_start(self, s: Any) -> None:
        if self.enabled:
            try:
                data = s.span_data.export()
                self._start(s.span_id, _name(data), s.parent_id or s.trace_id)
            except Exception as exc:
                diagnostics.report("instrumentation", "could not mirror an Agents span", exc)

    def on_span_end(self, s: Any) -> None:
        try:
            data = dict(s.span_data.export())
            kind = str(data.pop("type", "custom"))
            attrs: dict[str, Any] = {A.SPAN_ATTRIBUTES: dumps({"type": _TYPES.get(kind, "task")})}
            capture = capture_content()
            for field, attr in (("input", A.INPUT), ("output", A.OUTPUT)):
                if field in data:
                    value = data.pop(field)
                    if capture and value is not None:
                        attrs[attr] = dumps(mask(field, value))
            usage = data.pop("usage", None)
            if kind == "generation" and isinstance(usage, dict):
                prompt, out = usage.get("input_tokens"), usage.get("output_tokens")
                attrs[A.METRICS] = dumps({"prompt_tokens": prompt, "completion_tokens": out,
                                          "tokens": (prompt or 0) + (out or 0)})
            elif usage is not None:
                data["usage"] = usage
            data.pop("name", None)
            if data:
                attrs[A.METADATA] = dumps(mask("metadata", data))
            self._end(s.span_id, attrs, getattr(s, "error", None))
        except Exception as exc:
            diagnostics.report("instrumentation", "could not mirror an Agents span", exc)

    def shutdown(self) -> None:
        pass

    def force_flush(self) -> None:
        pass


class TracingProcessor(_Processor):
    """An OpenAI Agents ``TracingProcessor`` mirroring Agents traces as OTel spans.

    For ``agents.add_trace_processor(...)`` by hand; the instrumentor adds one itself.

    Args:
        tracer: The tracer to use (this module's by default).
        root_span: The span a trace started outside any span nests under.
        root_parent: The ``braintrust.parent`` such a trace goes to.
    """

    def __init__(self, tracer: Optional[trace.Tracer] = None,
                 root_span: Optional[trace.Span] = None,
                 root_parent: Optional[str] = None) -> None:
        super().__init__(tracer or trace.get_tracer(__name__, VERSION), root_span, root_parent)


def _registered(processor: _Processor) -> bool:
    # set_trace_processors() replaces the list, so a processor added once may be gone.
    try:
        from agents.tracing import get_trace_provider

        return processor in get_trace_provider()._multi_processor._processors  # type: ignore[attr-defined]
    except Exception:
        return True  # cannot tell: do not risk adding it twice


class OpenAIAgentsInstrumentor(LazyInstrumentor):
    """Mirrors OpenAI Agents SDK traces as OTel spans (with Braintrust fields)."""

    library = "agents"
    instruments = _instruments
    _processor: Optional[_Processor] = None

    def _patch(self, **kwargs: Any) -> None:
        from agents.tracing import add_trace_processor

        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        processor = OpenAIAgentsInstrumentor._processor
        if processor is None:
            processor = OpenAIAgentsInstrumentor._processor = _Processor(tracer)
        if not _registered(processor):
            add_trace_processor(processor)  # type: ignore[arg-type]
        processor.enabled = True

    def _unpatch(self, **kwargs: Any) -> None:
        # The Agents SDK cannot remove a processor; ours just stops mirroring.
        if OpenAIAgentsInstrumentor._processor is not None:
            OpenAIAgentsInstrumentor._processor.enabled = False
