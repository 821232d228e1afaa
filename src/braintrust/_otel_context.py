"""Moving a Braintrust trace between processes with plain OTel context.

The helpers :mod:`braintrust.otel` re-exports: a context from an export slug,
the ``braintrust.parent`` baggage, and a slug from received trace-context
headers (also what ``start_span(parent=<headers>)`` goes through).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from braintrust_otel import attributes as A
from braintrust_otel.parent import parse_parent

from ._slugs import EXPERIMENT, PROJECT_LOGS, SpanRef, decode_slug, encode_slug

_log = logging.getLogger("braintrust")

#: The row id a slug made from headers carries: the span it names is not a
#: Braintrust row, so the id only marks the slug as naming a span.
_HEADER_ROW_ID = "otel"


def _check_str(value: Any, arg: str, where: str) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{where}: {arg} must be a str, got {type(value).__name__}")


def _remote_context(ref: SpanRef, base: Context | None = None) -> Context:
    ctx = base if base is not None else Context()
    if ref.span_id and ref.root_span_id:
        remote = SpanContext(
            trace_id=int(ref.root_span_id.replace("-", ""), 16),
            span_id=int(ref.span_id.replace("-", "")[-16:], 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
        ctx = trace.set_span_in_context(NonRecordingSpan(remote), ctx)
    return ctx


def context_from_span_export(export_str: str) -> Context:
    """An OTel context whose current span is the span ``span.export()`` named.

    OTel spans started in it (``context.attach(ctx)`` or ``context=ctx``) are
    children of that span, in the same trace, and land in the same project
    or experiment: the Braintrust parent travels as ``braintrust.parent`` in
    the context's baggage.

    Args:
        export_str: A slug from ``span.export()`` (this SDK or the official one).

    Returns:
        The context.

    Raises:
        TypeError: ``export_str`` is not a str.
        ValueError: It is not an export slug.
    """
    if not isinstance(export_str, str):
        raise TypeError("context_from_span_export(): export_str must be a str, "
                        f"got {type(export_str).__name__}")
    ref = decode_slug(export_str)
    ctx = _remote_context(ref)
    parent = ref.parent
    if parent:
        ctx = baggage.set_baggage(A.PARENT, parent, context=ctx)
    return ctx


def add_parent_to_baggage(parent: str, ctx: Context | None = None) -> object:
    """Makes ``parent`` the ``braintrust.parent`` baggage of the current context.

    ``opentelemetry.propagate.inject`` then sends it in the ``baggage`` header.

    Args:
        parent: ``project_name:<name>``, ``project_id:<id>`` or ``experiment_id:<id>``.
        ctx: The context to start from; the current one by default.

    Returns:
        The token of the attached context (for ``opentelemetry.context.detach``).
    """
    _check_str(parent, "parent", "add_parent_to_baggage()")
    return otel_context.attach(baggage.set_baggage(A.PARENT, parent, context=ctx))


def add_span_parent_to_baggage(span: Any, ctx: Context | None = None) -> object | None:
    """Copies a span's ``braintrust.parent`` attribute into the current baggage.

    Spans started under a :class:`BraintrustSpanProcessor` carry that
    attribute. A facade span (``braintrust.start_span``) works too.

    Args:
        span: An OTel span (or a ``braintrust`` span).
        ctx: The context to start from; the current one by default.

    Returns:
        The token of the attached context, or None (with a warning) when the
        span has no Braintrust parent.
    """
    parent = getattr(span, "parent", None) if not hasattr(span, "attributes") else None
    attrs = getattr(span, "attributes", None) or {}
    if not isinstance(parent, str):
        parent = attrs.get(A.PARENT) if hasattr(attrs, "get") else None
    if not isinstance(parent, str) or not parent:
        _log.warning("add_span_parent_to_baggage: the span has no braintrust.parent "
                     "attribute (is a BraintrustSpanProcessor on its provider?)")
        return None
    return add_parent_to_baggage(parent, ctx=ctx)


def parent_from_headers(headers: Mapping[str, str], propagator: Any = None) -> str | None:
    """A ``parent=`` for ``start_span`` from received trace-context headers.

    The headers are read with ``propagator`` (by default the global one:
    W3C ``traceparent`` and ``baggage``); the baggage must carry
    ``braintrust.parent`` (see :func:`add_span_parent_to_baggage`), which
    says which project or experiment the trace belongs to.

    Args:
        headers: The request's headers.
        propagator: A ``TextMapPropagator`` (B3, say) instead of the global one.

    Returns:
        A span export slug naming the remote span, or None (logged) when the
        headers carry no valid span or no ``braintrust.parent``.
    """
    if not isinstance(headers, Mapping):
        raise TypeError(f"parent_from_headers(): headers must be a dict, "
                        f"got {type(headers).__name__}")
    return slug_from_headers(headers, propagator=propagator, where="parent_from_headers")


def slug_from_headers(headers: Mapping[str, str], fallback: str | None = None,
                      propagator: Any = None, where: str = "headers") -> str | None:
    """The export slug of the remote span trace-context headers name, or None (logged).

    Its Braintrust parent is the ``braintrust.parent`` of the headers'
    baggage, else ``fallback``.
    """
    if propagator is not None:
        ctx = propagator.extract(headers)
    else:
        from opentelemetry.propagate import extract

        ctx = extract(headers)
    span_ctx = trace.get_current_span(ctx).get_span_context()
    if not span_ctx.is_valid:
        _log.error("%s: the headers carry no valid span context", where)
        return None
    parent = baggage.get_baggage(A.PARENT, context=ctx) or fallback
    if not isinstance(parent, str) or not parent:
        _log.warning("%s: no braintrust.parent in the baggage; set it with "
                     "add_span_parent_to_baggage() (or span.inject()) before sending", where)
        return None
    try:
        kind, value = parse_parent(parent)
    except ValueError as exc:
        _log.error("%s: %s", where, exc)
        return None
    if kind == "experiment_id":
        ref = SpanRef(EXPERIMENT, object_id=value)
    elif kind == "project_id":
        ref = SpanRef(PROJECT_LOGS, object_id=value)
    elif kind == "project_name":
        ref = SpanRef(PROJECT_LOGS, compute_object_metadata_args={"project_name": value})
    else:
        _log.error("%s: unsupported braintrust.parent %r", where, parent)
        return None
    return encode_slug(ref._replace(
        row_id=_HEADER_ROW_ID,
        span_id=format(span_ctx.span_id, "016x"),
        root_span_id=format(span_ctx.trace_id, "032x"),
    ))
