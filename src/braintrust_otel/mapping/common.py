"""Row fields every span has, whatever convention wrote it."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from .. import attributes as A
from ..ids import row_id, span_id_hex, trace_id_hex

_UTC = datetime.timezone.utc


#: The latest time a row can carry: the end of year 9999, in nanoseconds.
MAX_TIME_NS = 253_402_300_799 * 10**9


def iso_time(ns: int) -> str:
    """Formats nanoseconds since the epoch as ISO 8601 with microseconds, in UTC.

    A time outside 1970 to 9999 (a span timed in the wrong unit) is clamped
    into that range, so a row always has a ``created``.
    """
    try:
        ns = min(max(int(ns), 0), MAX_TIME_NS)
    except (TypeError, ValueError, OverflowError):
        ns = 0
    return datetime.datetime.fromtimestamp(ns / 1e9, tz=_UTC).isoformat()


# The last whole second formatted by _created, as (seconds, "YYYY-MM-DDTHH:MM:SS").
_last_second: tuple[float, str] = (-1.0, "")


def _created(ns: int) -> str:
    """``datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat()`` for 0 <= ns <= MAX_TIME_NS.

    The same text, made without a datetime per span: spans of one second
    share the formatted date and time, and the microseconds are rounded
    exactly as ``fromtimestamp`` rounds them (the float's fraction times a
    million, half to even, carried into the seconds at 1,000,000).
    """
    global _last_second
    frac, whole = math.modf(ns / 1e9)
    micro = round(frac * 1e6)
    if micro >= 1_000_000:
        micro -= 1_000_000
        whole += 1.0
    last, head = _last_second
    if whole != last:
        head = datetime.datetime.fromtimestamp(whole, tz=_UTC).isoformat()[:-6]
        _last_second = (whole, head)  # one tuple: a racing thread sees a matching pair
    return f"{head}.{micro:06d}+00:00" if micro else head + "+00:00"


def _valid_ns(value: Any) -> bool:
    return isinstance(value, int) and 0 <= value <= MAX_TIME_NS


def _seconds(ns: Any) -> float | None:
    try:
        return float(ns / 1e9)
    except (TypeError, OverflowError):
        return None


def base_row(span: ReadableSpan, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Identity, times and name of a span, in row layout."""
    ctx = span.context
    start = span.start_time or 0
    end = span.end_time or start
    parent = attrs.get(A.PARENT)
    if (ctx is not None and ctx.span_id and ctx.trace_id and type(start) is int
            and type(end) is int and 0 <= start <= MAX_TIME_NS and 0 <= end <= MAX_TIME_NS):
        # Every span the SDK finished: no check below can fail.
        span_parent = span.parent
        explicit_id = attrs.get(A.ROW_ID)
        return {
            "id": explicit_id if isinstance(explicit_id, str) and explicit_id
            else row_id(ctx.trace_id, ctx.span_id),
            "span_id": span_id_hex(ctx.span_id),
            "root_span_id": trace_id_hex(ctx.trace_id),
            "span_parents": [span_id_hex(span_parent.span_id)] if span_parent is not None
            else None,
            "created": _created(start),
            "metrics": {"start": start / 1e9, "end": end / 1e9},
            "span_attributes": {"name": span.name},
            "_parent": parent if isinstance(parent, str) else None,
        }
    row = id_fields(span, attrs)
    # A time no datetime can hold still leaves a row: ``created`` comes from
    # the other end of the span if that one is sane, else is clamped.
    created = start if _valid_ns(start) or not _valid_ns(end) else end
    row["created"] = iso_time(created)
    row["metrics"] = {"start": _seconds(start), "end": _seconds(end)}
    row["span_attributes"] = {"name": span.name}
    row["_parent"] = parent if isinstance(parent, str) else None
    return row


def id_fields(span: ReadableSpan, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """A span's row id, span id, root span id and parents: what every row must have."""
    ctx = span.context
    trace_id = ctx.trace_id if ctx is not None else 0
    sid = ctx.span_id if ctx is not None else 0
    if not trace_id or not sid:
        # Not a valid span context (a hand-made ReadableSpan): ids that are
        # stable for this object, so the row can still be stored.
        trace_id = trace_id or (id(span) << 64 | 1)
        sid = sid or id(span)
    parent = span.parent
    return id_row(trace_id, sid, parent.span_id if parent is not None else None, attrs)


def id_row(trace_id: int, span_id: int, parent_id: int | None,
           attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The ids every row must have, from valid OTel ids (and ``braintrust.row_id``)."""
    explicit_id = attrs.get(A.ROW_ID)
    return {
        "id": explicit_id if isinstance(explicit_id, str) and explicit_id
        else row_id(trace_id, span_id),
        "span_id": span_id_hex(span_id),
        "root_span_id": trace_id_hex(trace_id),
        "span_parents": None if parent_id is None else [span_id_hex(parent_id)],
    }


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
