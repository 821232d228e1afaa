"""Pure functions that turn finished OTel spans into Braintrust log rows.

Each convention has its own module; :func:`span_to_row` runs them in order,
each filling only what the ones before it left empty, so ``braintrust.*``
attributes always win over what a convention infers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from .. import attributes as A
from ..span_attributes import attributes_of
from . import braintrust, common, genai, generic, openinference, openllmetry
from .facade import FacadeRecord, facade_row, record_row

__all__ = ["FacadeRecord", "fallback_row", "generic_row", "record_fallback_row", "record_row",
           "span_to_row"]

Row = dict[str, Any]


def span_to_row(span: ReadableSpan, raw: bool = False) -> Row:
    """Maps one finished span to one Braintrust log row.

    Args:
        span: A finished span from any instrumentation.
        raw: Leave values the facade encoded as
            :class:`~braintrust_otel.serialize.RawJson` (only for sinks that
            accept them); by default every value is plain JSON data.

    Returns:
        A row dict in Braintrust's log layout. The key ``_parent`` holds the
        ``braintrust.parent`` string naming the object the row belongs to;
        sinks resolve it to object ids.
    """
    # (attributes_of, inline for the SDK's spans: this runs once per row.)
    try:
        attrs: Mapping[str, Any] = span._attributes._dict  # type: ignore[union-attr]
    except AttributeError:
        attrs = attributes_of(span)
    else:
        if not isinstance(attrs, dict):
            attrs = attributes_of(span)
    # The facade's own spans in one pass (the same row; see mapping/facade.py).
    fast = facade_row(span, attrs, raw)
    if fast is not None:
        return fast
    return generic_row(span, attrs, raw)


def generic_row(span: ReadableSpan, attrs: Mapping[str, Any], raw: bool = False) -> Row:
    """Maps a span attribute by attribute, through every convention's mapper.

    :func:`span_to_row` uses it for every span the facade's one-pass mapping
    does not cover; tests compare the two on facade spans.

    Args:
        span: A finished span.
        attrs: Its attributes (:func:`~braintrust_otel.span_attributes.attributes_of`).
        raw: As for :func:`span_to_row`.

    Returns:
        The row.
    """
    row = common.base_row(span, attrs)
    consumed = braintrust.apply(row, attrs, raw)
    if len(attrs) > len(consumed):
        genai.apply(row, span, attrs, consumed)
        openinference.apply(row, span, attrs, consumed)
        openllmetry.apply(row, span, attrs, consumed)
    generic.apply(row, span, attrs, consumed, raw)
    return row


def fallback_row(span: ReadableSpan, error: BaseException) -> Row:
    """The row of a span :func:`span_to_row` failed on: ids, times, name and the error.

    It never raises and always has the ids (``id``, ``span_id``,
    ``root_span_id``), so the span still shows in its trace.

    Args:
        span: The span.
        error: What the mapping raised.

    Returns:
        A minimal row.
    """
    try:
        attrs = attributes_of(span)
    except Exception:
        attrs = {}
    try:
        row = common.base_row(span, attrs)
    except Exception:
        row = common.id_fields(span, {})
        row["span_attributes"] = {"name": _text(getattr(span, "name", None))}
    row["error"] = (f"braintrust-otel could not map this span: {type(error).__name__}: "
                    f"{_text(error)}")
    return row


def record_fallback_row(record: FacadeRecord, error: BaseException) -> Row:
    """:func:`fallback_row` for a facade record :func:`~.facade.record_row` failed on.

    Args:
        record: The record (see :func:`~.facade.facade_record`).
        error: What the mapping raised.

    Returns:
        A minimal row: ids, times, name and the error.
    """
    _, trace_id, span_id, parent_id, start, end, name, attrs, _ = record
    row = common.id_row(trace_id, span_id, parent_id, attrs)
    parent = attrs.get(A.PARENT)
    row.update({
        "created": common._created(start),
        "metrics": {"start": start / 1e9, "end": end / 1e9},
        "span_attributes": {"name": _text(name)},
        "_parent": parent if isinstance(parent, str) else None,
        "error": f"braintrust-otel could not map this span: {type(error).__name__}: "
                 f"{_text(error)}",
    })
    return row


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception:
        return f"<unprintable {type(value).__name__}>"
