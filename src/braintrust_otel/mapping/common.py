"""Row fields every span has, whatever convention wrote it."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from .. import attributes as A
from ..ids import row_id, span_id_hex, trace_id_hex

_UTC = datetime.timezone.utc


def iso_time(ns: int) -> str:
    """Formats nanoseconds since the epoch as ISO 8601 with microseconds, in UTC."""
    return datetime.datetime.fromtimestamp(ns / 1e9, tz=_UTC).isoformat()


def plain_attributes(span: ReadableSpan) -> Mapping[str, Any]:
    """The span's attributes as a plain dict, cheaply.

    ``ReadableSpan.attributes`` is a read-only proxy over ``BoundedAttributes``
    whose generic ``Mapping`` iteration costs more than the rest of the
    mapping; the SDK keeps a plain dict inside, which is read directly when
    present (it is never changed once the span has ended).
    """
    inner = getattr(getattr(span, "_attributes", None), "_dict", None)
    if isinstance(inner, dict):
        return inner
    return dict(span.attributes or {})


def base_row(span: ReadableSpan, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Identity, times and name of a span, in row layout."""
    ctx = span.context
    assert ctx is not None  # finished SDK spans always have one
    start = span.start_time or 0
    end = span.end_time or start
    parent = span.parent
    explicit_id = attrs.get(A.ROW_ID)
    row: dict[str, Any] = {
        "id": explicit_id if isinstance(explicit_id, str) else row_id(ctx.trace_id, ctx.span_id),
        "span_id": span_id_hex(ctx.span_id),
        "root_span_id": trace_id_hex(ctx.trace_id),
        "span_parents": [span_id_hex(parent.span_id)] if parent is not None else None,
        "created": iso_time(start),
        "metrics": {"start": start / 1e9, "end": end / 1e9},
        "span_attributes": {"name": span.name},
        "_parent": attrs.get(A.PARENT),
    }
    return row


def error_text(span: ReadableSpan) -> str | None:
    """The error a span recorded: the last exception event's traceback, or the status text."""
    if span.status.status_code is not StatusCode.ERROR:
        return None
    for event in reversed(span.events):
        if event.name != "exception":
            continue
        ev = event.attributes or {}
        stack = ev.get("exception.stacktrace")
        if isinstance(stack, str) and stack:
            return stack.rstrip("\n")
        kind, message = ev.get("exception.type"), ev.get("exception.message")
        if kind or message:
            return f"{kind}: {message}" if kind else str(message)
    return span.status.description or "error"
