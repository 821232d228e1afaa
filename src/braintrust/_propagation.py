"""W3C trace-context headers for a span, and back (the official SDK's helpers).

A span's ``traceparent`` carries its ids; the ``baggage`` header carries
``braintrust.parent``, so the receiving service logs into the same project
or experiment. Only the W3C formats are written and read here, whatever
global propagator the application configured.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional

from opentelemetry import baggage, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from braintrust_otel import attributes as A

if TYPE_CHECKING:
    from ._span import Span

__all__ = ["extract_trace_context", "inject_trace_context", "slug_from_context"]

_log = logging.getLogger("braintrust")
_W3C = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
_HEADERS = ("traceparent", "tracestate", "baggage")


def inject_span(span: Span, carrier: Optional[dict[str, str]] = None) -> dict[str, str]:
    """Writes ``traceparent`` and a ``baggage`` with the span's Braintrust parent."""
    from ._span import NoopSpan

    out: dict[str, str] = carrier if carrier is not None else {}
    if isinstance(span, NoopSpan) or not span.otel_span.get_span_context().is_valid:
        return out
    ctx = trace.set_span_in_context(span.otel_span)
    if span.parent:
        ctx = baggage.set_baggage(A.PARENT, span.parent, context=ctx)
    _W3C.inject(out, context=ctx)
    return out


def inject_trace_context(carrier: Optional[dict[str, str]] = None,
                         span: Optional[Span] = None) -> dict[str, str]:
    """Writes the W3C headers of ``span`` (the current span by default) into ``carrier``.

    Propagation never raises: on a failure the carrier is returned as it was.

    Args:
        carrier: The outgoing headers to add to; a new dict by default.
        span: The span to continue elsewhere.

    Returns:
        The carrier.
    """
    from ._span import current_span

    out: dict[str, str] = carrier if carrier is not None else {}
    try:
        return inject_span(span if span is not None else current_span(), out)
    except Exception as exc:
        _log.warning("braintrust: could not inject trace context: %s", exc)
        return out


def extract_trace_context(headers: Mapping[str, str]) -> Optional[dict[str, str]]:
    """The W3C trace context of incoming headers, to pass as ``start_span(parent=...)``.

    Header names match case-insensitively. Treat the result as opaque.

    Args:
        headers: The request's headers.

    Returns:
        ``{"traceparent", ["baggage"], ["tracestate"]}``, or None when there
        is no valid ``traceparent`` (the span then starts a new trace).
    """
    if not headers:
        return None
    found: dict[str, str] = {}
    for key, value in headers.items():
        lowered = str(key).lower()
        if lowered in _HEADERS and isinstance(value, str) and lowered not in found:
            found[lowered] = value
    if "traceparent" not in found:
        return None
    ctx = TraceContextTextMapPropagator().extract({"traceparent": found["traceparent"]})
    if not trace.get_current_span(ctx).get_span_context().is_valid:
        return None
    return found


def slug_from_context(context: Mapping[str, Any], fallback: Optional[str]) -> Optional[str]:
    """The export slug for a trace context from :func:`extract_trace_context` (or headers).

    Args:
        context: The trace context.
        fallback: The Braintrust parent when the baggage names none (the
            current experiment or logger).
    """
    from ._otel_context import slug_from_headers

    headers = {k.lower(): v for k, v in context.items() if isinstance(v, str)}
    return slug_from_headers(headers, fallback=fallback, propagator=_W3C, where="start_span()")
