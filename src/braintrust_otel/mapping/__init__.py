"""Pure functions that turn finished OTel spans into Braintrust log rows.

Each convention has its own module; :func:`span_to_row` runs them in order,
each filling only what the ones before it left empty, so ``braintrust.*``
attributes always win over what a convention infers.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from . import braintrust, common, genai, generic, openinference, openllmetry
from .common import plain_attributes

__all__ = ["span_to_row"]

Row = dict[str, Any]


def span_to_row(span: ReadableSpan) -> Row:
    """Maps one finished span to one Braintrust log row.

    Args:
        span: A finished span from any instrumentation.

    Returns:
        A row dict in Braintrust's log layout. The key ``_parent`` holds the
        ``braintrust.parent`` string naming the object the row belongs to;
        sinks resolve it to object ids.
    """
    attrs = plain_attributes(span)
    row = common.base_row(span, attrs)
    consumed = braintrust.apply(row, attrs)
    if len(attrs) > len(consumed):
        genai.apply(row, span, attrs, consumed)
        openinference.apply(row, span, attrs, consumed)
        openllmetry.apply(row, span, attrs, consumed)
    generic.apply(row, span, attrs, consumed)
    return row
