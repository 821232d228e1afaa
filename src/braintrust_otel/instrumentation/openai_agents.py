"""Tracing for the OpenAI Agents SDK: its traces and spans as OTel spans.

The Agents SDK has its own tracing with pluggable processors; this
instrumentor adds one that mirrors every Agents trace and span as an OTel
span, nested in whatever span was current when the run started. Names, types
and fields come from ``_agents_mapping`` (as the official SDK logs them); the
trace's span also gets the run's first model request as input and its last
reply as output. The model calls themselves are traced by the OpenAI
instrumentor when it is on, nested under the Agents response span.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Optional

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from .. import attributes as A
from .. import diagnostics
from .._version import VERSION
from ..masking import mask
from ..serialize import dumps
from ._agents_mapping import span_fields, start_name
from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["OpenAIAgentsInstrumentor", "TracingProcessor"]

_instruments = ("openai-agents >= 0.1",)

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
        self._spans: dict[str, tuple[trace.Span, Optional[object], float]] = {}
        # Per trace: the first model request and the last reply, logged on the trace's span.
        self._io: dict[str, dict[str, Any]] = {}

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
            self._spans[key] = (span, token, time.perf_counter())

    def _elapsed(self, key: str) -> Optional[float]:
        found = self._spans.get(key)
        return time.perf_counter() - found[2] if found else None

    def _end(self, key: str, attrs: dict[str, Any], error: Any = None) -> None:
        with self._lock:
            found = self._spans.pop(key, None)
        if found is None:
            return
        span, token, _ = found
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
            exported = t.export() or {}
            io = self._io.pop(t.trace_id, {})
            attrs = {A.SPAN_ATTRIBUTES: '{"type":"task"}'}
            # The group id always, as the official SDK logs a trace (null when unset).
            metadata = {"group_id": exported.get("group_id"),
                        **(getattr(t, "metadata", None) or {})}
            attrs[A.METADATA] = dumps(mask("metadata", metadata))
            if capture_content():
                for key, attr in (("input", A.INPUT), ("output", A.OUTPUT)):
                    if key in io:
                        attrs[attr] = dumps(mask(key, io[key]))
            self._end(t.trace_id, attrs)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not mirror an Agents trace", exc)

    def on_span_start(self, s: Any) -> None:
        if self.enabled:
            try:
                data = s.span_data.export()
                self._start(s.span_id, start_name(data), s.parent_id or s.trace_id)
            except Exception as exc:
                diagnostics.report("instrumentation", "could not mirror an Agents span", exc)

    def on_span_end(self, s: Any) -> None:
        try:
            fields = span_fields(s.span_data)
            attrs: dict[str, Any] = {A.SPAN_ATTRIBUTES: dumps({"type": fields.type})}
            capture = capture_content()
            for key, attr in (("input", A.INPUT), ("output", A.OUTPUT)):
                value = getattr(fields, key)
                if capture and value is not None:
                    attrs[attr] = dumps(mask(key, value))
            metrics = dict(fields.metrics)
            if s.span_data.type == "response":
                elapsed = self._elapsed(s.span_id)
                if elapsed is not None:
                    metrics["time_to_first_token"] = elapsed
                io = self._io.setdefault(s.trace_id, {})
                if fields.has_input:
                    io.setdefault("input", fields.input)
                if fields.has_output:
                    io["output"] = fields.output
            if metrics:
                attrs[A.METRICS] = dumps(metrics)
            if fields.metadata:
                attrs[A.METADATA] = dumps(mask("metadata", fields.metadata))
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
