"""Spans logged piece by piece, the way a framework's events arrive.

Integrations that rebuild a run from a stream of events (the Claude Agent
SDK's messages, Pipecat's frames) learn a span's input, output, metadata and
metrics at different moments. ``Row`` keeps what was logged so far and puts
each Braintrust field on the span whole, so the last value of a field is the
one exported; like the official SDK's ``span.log``, metadata and metrics
merge key by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from opentelemetry import trace

from .. import attributes as A
from .. import diagnostics
from ..masking import mask
from ..serialize import dumps
from ._llm import capture_content

__all__ = ["UNSET", "Row"]

#: "Not given" for input and output (None is a value a caller may not mean to log).
UNSET: Any = object()


class Row:
    """One span and the Braintrust fields logged on it so far.

    Args:
        tracer: The integration's tracer.
        name: The span name.
        span_type: The Braintrust span type (``task``, ``llm``, ``tool``...).
        parent: The parent span; None: the current span, if any.
        start_ns: The start time (ns since the epoch); None: now.
        input, metadata: Logged at once, as with :meth:`log`.
    """

    def __init__(self, tracer: trace.Tracer, name: str, span_type: str,
                 parent: Optional[trace.Span], start_ns: Optional[int] = None,
                 input: Any = UNSET, metadata: Optional[Mapping[str, Any]] = None) -> None:
        self._capture = capture_content()
        self._metadata: dict[str, Any] = {}
        self._metrics: dict[str, float] = {}
        self._scores: dict[str, float] = {}
        self._ended = False
        #: What the caller matched this span by (not logged); see the Claude Agent SDK's tools.
        self.input: Any = None
        context = trace.set_span_in_context(parent) if parent is not None else None
        self.span = tracer.start_span(name, context=context, start_time=start_ns,
                                      attributes={A.SPAN_ATTRIBUTES: dumps({"type": span_type})})
        self.log(input=input, metadata=metadata)

    def log(self, input: Any = UNSET, output: Any = UNSET,
            metadata: Optional[Mapping[str, Any]] = None,
            metrics: Optional[Mapping[str, float]] = None, error: Optional[str] = None,
            expected: Any = UNSET, scores: Optional[Mapping[str, float]] = None) -> None:
        """Logs fields on the span (content only when capture is on); never raises.

        ``scores`` merge key by key too.
        """
        if self._ended:
            return
        try:
            attrs: dict[str, Any] = {}
            if input is not UNSET and input is not None and self._capture:
                attrs[A.INPUT] = dumps(mask("input", input))
            if output is not UNSET and output is not None and self._capture:
                attrs[A.OUTPUT] = dumps(mask("output", output))
            if metadata:
                self._metadata.update(metadata)
                attrs[A.METADATA] = dumps(mask("metadata", self._metadata))
            if metrics:
                self._metrics.update(metrics)
                attrs[A.METRICS] = dumps(self._metrics)
            if error is not None:
                attrs[A.ERROR] = dumps(mask("error", error))
            if expected is not UNSET and expected is not None and self._capture:
                attrs[A.EXPECTED] = dumps(mask("expected", expected))
            if scores:
                self._scores.update(scores)
                attrs[A.SCORES] = dumps(self._scores)
            self.span.set_attributes(attrs)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not record a span", exc)

    def end(self, end_ns: Optional[int] = None) -> None:
        """Ends the span (once)."""
        if not self._ended:
            self._ended = True
            self.span.end(end_time=end_ns)
