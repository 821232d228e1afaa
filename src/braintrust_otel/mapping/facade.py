"""The facade's own spans, mapped in one pass.

A span the ``braintrust`` facade made carries only ``braintrust.*``
attributes it wrote itself (see docs/design.md, "What a facade span costs").
For such a span most of the generic mapping does nothing: every attribute is
consumed by the ``braintrust`` mapper, so there are no leftovers and no other
convention applies, and the origin is always the facade's. This module makes
the row those steps would make (the same fields in the same order, so the
same JSON), doing only the work that has an effect: one dispatch per
attribute, no consumed set, no leftover scan, and, for sinks that take raw
JSON, the usual ``context`` (the facade's origin alone) as text made once.

:func:`facade_row` returns None for any span it does not cover (another
scope, an attribute of any other name, a time or id the generic base row
would repair), and :func:`~braintrust_otel.mapping.span_to_row` then maps it
the generic way. ``tests/braintrust_otel/mapping/test_facade.py`` maps a wide
set of facade spans both ways and compares the rows and their JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext, Status, StatusCode

from .. import attributes as A
from ..serialize import JsonText, RawJson, _orjson_dumps, loads
from . import common
from .common import MAX_TIME_NS, _created, error_text
from .generic import facade_context, facade_origin

Row = dict[str, Any]

# What each attribute the facade writes does to the row (as mapping.braintrust.apply).
_REPLACE, _MERGE, _TAGS, _CONTEXT, _ID, _PARENTS, _NOTHING = range(7)
_MERGED = ("metadata", "metrics", "scores", "span_attributes")
_ACTIONS: dict[str, tuple[int, str]] = {
    key: ((_MERGE if field in _MERGED else _REPLACE), field)
    for key, field in A.JSON_FIELDS.items()
}
_ACTIONS[A.TAGS] = (_TAGS, "tags")
_ACTIONS[A.CONTEXT] = (_CONTEXT, "context")
_ACTIONS[A.SPAN_ID] = (_ID, "span_id")
_ACTIONS[A.ROOT_SPAN_ID] = (_ID, "root_span_id")
_ACTIONS[A.SPAN_PARENTS] = (_PARENTS, "span_parents")
# braintrust.parent and braintrust.row_id are read for the base fields only.
_ACTIONS[A.PARENT] = (_NOTHING, "")
_ACTIONS[A.ROW_ID] = (_NOTHING, "")

#: The attribute names this module maps; a span with any other takes the generic path.
FACADE_KEYS = frozenset(_ACTIONS)

# The SDK's span classes (``_Span`` is what its tracer makes), whose fields
# facade_row reads directly.
_SDK_SPANS = frozenset(cls for cls in (ReadableSpan, sdk_trace.Span,
                                       getattr(sdk_trace, "_Span", None))
                       if isinstance(cls, type))

# The last scope found to be the facade's, its version and the raw context of
# that version (one tuple: a racing thread sees a matching set). No scope is
# the first sentinel.
_facade_scope: tuple[Any, Any, RawJson | None] = (object(), None, None)

_ROW_ID, _PARENT = A.ROW_ID, A.PARENT
_ERROR = StatusCode.ERROR
# The row id's variant digit for each hex digit of the trace id it replaces
# (the RFC 4122 variant bits over the digit's low two bits, as ids.row_id sets them).
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
# "000" to "999": the microseconds of ``created`` as two lookups, not a format spec.
_DIGITS3 = [f"{i:03d}" for i in range(1000)]
_new = object.__new__

#: What :func:`facade_record` keeps of a facade span, as a plain tuple (made and
#: read faster than a named one): the facade scope's ``(scope, version, raw
#: context)``, trace id, span id, parent span id (or None), start and end
#: (ns), name, the attribute dict, and the recorded error's text (or None).
FacadeRecord = tuple[tuple[Any, Any, Any], int, int, Optional[int], int, int, str,
                     Mapping[str, Any], Optional[str]]


def _decode(value: Any) -> Any:
    return loads(value) if isinstance(value, str) else value


def facade_row(span: ReadableSpan, attrs: Mapping[str, Any], raw: bool = False) -> Row | None:
    """The row of a span the facade made, or None when the generic mapping must make it.

    Args:
        span: A finished span.
        attrs: Its attributes (:func:`~braintrust_otel.span_attributes.attributes_of`).
        raw: As for :func:`~braintrust_otel.mapping.span_to_row`.

    Returns:
        The row the generic mapping would make, or None.
    """
    record = facade_record(span, attrs)
    return None if record is None else record_row(record, raw)


def facade_record(span: ReadableSpan, attrs: Mapping[str, Any]) -> FacadeRecord | None:
    """What :func:`record_row` needs of a span the facade made, or None for any other span.

    The processor queues this instead of the span when its exporter maps
    records (``BraintrustSpanExporter``): a queued span is about fourteen
    objects the garbage collector walks on every full collection while it
    waits, the record four (itself, the attribute dict and the two encoded
    values), and the span itself is freed as soon as it ends.

    Args:
        span: A finished span.
        attrs: Its attributes (:func:`~braintrust_otel.span_attributes.attributes_of`).

    Returns:
        A plain tuple (see ``FacadeRecord``), or None when the generic mapping
        must map the span.
    """
    # The SDK's own span classes keep each property's value in a field of the
    # same name with an underscore: read directly, the seven values cost one
    # attribute read each instead of one Python call each (a third of the
    # mapping's work). (Not through span.__dict__: on Python 3.11 that
    # makes a dict of the instance's fields on first use, per span.) Any
    # other class goes by its properties, and so does a span whose fields
    # ever move.
    try:
        if type(span) not in _SDK_SPANS:
            raise AttributeError
        scope = span._instrumentation_scope
        ctx = span._context
        start = span._start_time or 0
        end = span._end_time or start
        parent_ctx = span._parent
        name = span._name
        status = span._status
    except AttributeError:
        scope = span.instrumentation_scope
        ctx = span.context
        start = span.start_time or 0
        end = span.end_time or start
        parent_ctx = span.parent
        name = span.name
        status = span.status
    global _facade_scope
    known = _facade_scope
    if scope is not known[0]:
        # (The facade's scope is one object per tracer: the name is compared
        # once for each scope met, not once per row.)
        if scope is None or scope.name != A.FACADE_SCOPE:
            return None
        known = _facade_scope = (scope, scope.version, facade_context(scope.version))
    # An attribute of another name: the generic path. (Tested before any of
    # the row is made: found later, while the row is made, it would save
    # about 800 instructions per facade row but waste the row made so far, a
    # third of the generic path's cost, on every span a user's or another
    # processor's attribute sends there.)
    if not FACADE_KEYS.issuperset(attrs):
        return None
    if type(ctx) is SpanContext:
        # A tuple: (trace_id, span_id, ...), read by index instead of properties.
        trace_id, span_id = ctx[0], ctx[1]
    elif ctx is not None:
        trace_id, span_id = ctx.trace_id, ctx.span_id
    else:
        return None
    if (not span_id or not trace_id or type(start) is not int
            or type(end) is not int or not 0 <= start <= MAX_TIME_NS
            or not 0 <= end <= MAX_TIME_NS):
        return None  # the generic base row's repairs
    if parent_ctx is None:
        parent_id = None
    else:
        parent_id = parent_ctx[1] if type(parent_ctx) is SpanContext else parent_ctx.span_id
    # (Status.status_code is a property: its field is read for the SDK's class.)
    code = status._status_code if type(status) is Status else status.status_code
    # The recorded error reads the span's events: taken now (rare), as the
    # record does not keep the span.
    error = error_text(span) if code is _ERROR else None
    return (known, trace_id, span_id, parent_id, start, end, name, attrs, error)


def _heads(record: FacadeRecord) -> tuple[str, str, str, float, str]:
    # The row's id, span id, root span id, start in seconds and ``created``,
    # for record_row and record_json alike.
    _, trace_id, span_id, _, start, _, _, attrs, _ = record
    # (ids.span_id_hex and trace_id_hex, inline: this runs once per row.)
    span_hex = "%016x" % span_id  # noqa: UP031
    trace_hex = "%032x" % trace_id  # noqa: UP031
    explicit_id = attrs.get(_ROW_ID)
    if not (isinstance(explicit_id, str) and explicit_id):
        # ids.row_id's text, sliced from the hex ids made anyway instead of
        # 128-bit arithmetic and a third formatting (the version digit is 4;
        # the variant digit keeps the low two bits of the one it replaces).
        explicit_id = (f"{span_hex[:8]}-{span_hex[8:12]}-4{span_hex[13:]}-"
                       f"{_VARIANT[trace_hex[16]]}{trace_hex[17:20]}-{trace_hex[20:]}")
    # common._created, inline for a time in the second it formatted last
    # (nearly every span): the fraction is the float's exactly (the second
    # is its floor), so the text is the same; any other time asks _created.
    # (The digits come from a table: a format spec costs twice as much.)
    seconds = start / 1e9
    last, head = common._last_second
    frac = seconds - last
    micro = round(frac * 1e6) if 0.0 <= frac < 1.0 else 0
    created = (f"{head}.{_DIGITS3[micro // 1000]}{_DIGITS3[micro % 1000]}+00:00"
               if 0 < micro < 1_000_000 else _created(start))
    return explicit_id, span_hex, trace_hex, seconds, created


def record_row(record: FacadeRecord, raw: bool = False) -> Row:
    """The row of a :func:`facade_record`: what the generic mapping makes of its span.

    Args:
        record: A record from :func:`facade_record`.
        raw: As for :func:`~braintrust_otel.mapping.span_to_row`.

    Returns:
        The row, the same fields in the same order as the generic mapping's.
    """
    known, _, _, parent_id, _, end, name, attrs, error = record
    explicit_id, span_hex, trace_hex, seconds, created = _heads(record)
    parent = attrs.get(_PARENT)
    span_attributes: dict[str, Any] = {"name": name}
    row: Row = {
        "id": explicit_id,
        "span_id": span_hex,
        "root_span_id": trace_hex,
        "span_parents": None if parent_id is None else ["%016x" % parent_id],  # noqa: UP031
        "created": created,
        "metrics": {"start": seconds, "end": end / 1e9},
        "span_attributes": span_attributes,
        "_parent": parent if isinstance(parent, str) else None,
    }
    context: dict[str, Any] | None = None
    for key, value in attrs.items():
        action, field = _ACTIONS[key]
        if action == _REPLACE:
            if raw and type(value) is JsonText:
                # RawJson(value) without its Python __init__ (a frame per value):
                # its one slot is set here (tests/.../test_facade.py checks it is
                # the only one).
                made = _new(RawJson)
                made.text = value
                row[field] = made
            else:
                row[field] = _decode(value)
        elif action == _NOTHING:
            continue  # (braintrust.parent, on nearly every span: tested second)
        elif action == _MERGE:
            value = _decode(value)
            if isinstance(value, Mapping):
                current = row.get(field)
                if isinstance(current, dict):
                    current.update(value)
                else:
                    row[field] = dict(value)
        elif action == _TAGS:
            row["tags"] = [value] if isinstance(value, str) else list(value)
        elif action == _CONTEXT:
            value = _decode(value)
            if isinstance(value, Mapping):
                if context is None:
                    context = {}
                context.update(value)
        elif action == _ID:
            if isinstance(value, str) and value:
                row[field] = value
        elif action == _PARENTS:
            parents = _decode(value)
            if isinstance(parents, list) and all(isinstance(p, str) for p in parents):
                row["span_parents"] = parents or None
    if context:
        row["context"] = context  # where mapping.braintrust puts it: before an error
    # What mapping.generic adds: the default type, the recorded error, the origin.
    if "type" not in span_attributes and parent_id is None:
        span_attributes["type"] = "task"
    if error is not None and "error" not in row:
        row["error"] = error
    version = known[1]
    if context:
        given = context.get("span_origin")
        origin = facade_origin(version)
        context["span_origin"] = {**origin, **given} if isinstance(given, dict) else origin
    elif raw:
        row["context"] = known[2]
    else:
        row["context"] = {"span_origin": facade_origin(version)}
    return row


class EncodedRow:
    """A facade row already encoded for the embedded store: its JSON text and
    the columns the store indexes (see :func:`record_json`)."""

    __slots__ = ("created", "id", "is_root", "root_span_id", "span_id", "text")

    id: str
    root_span_id: str
    span_id: str
    is_root: int
    created: str
    text: str


def record_json(record: FacadeRecord, tail: str) -> EncodedRow | None:
    """The row :func:`record_row` makes of ``record``, written as JSON directly.

    For the embedded store (``LocalSink``): instead of building the row's
    dicts, encoding them with orjson (a ``default`` call per spliced value)
    and decoding the bytes, the text is joined from pieces that are JSON
    already: hex ids, ``created``, the facade's encoded values, the origin
    context, and the name, metrics and row id through orjson. Only the
    common shapes are covered (attributes the facade writes as whole values,
    no recorded error); for any other, None, and the caller makes the row.
    ``tests/braintrust_otel/mapping/test_facade.py`` checks the text is
    byte for byte what ``dumps`` makes of the row.

    Args:
        record: A record from :func:`facade_record`.
        tail: What the sink puts after the row's own fields: its object ids
            as ``,"key":value`` pairs, then the closing ``}``.

    Returns:
        The encoded row, or None.
    """
    known, _, _, parent_id, _, end, name, attrs, error = record
    if error is not None or _orjson_dumps is None:
        return None
    pieces: list[str] = []
    for key, value in attrs.items():
        action, field = _ACTIONS[key]
        if action == _REPLACE and type(value) is JsonText:
            # (A JsonText holds no lone surrogate: the text is valid UTF-8.)
            pieces += (',"', field, '":', value)
        elif action != _NOTHING:
            return None  # merged, tags, context, ids: the row's dicts
    explicit_id, span_hex, trace_hex, seconds, created = _heads(record)
    try:
        # A given row id and the name through orjson (they may need escaping);
        # a made row id is hex and dashes.
        given = attrs.get(_ROW_ID)
        id_json = (_orjson_dumps(explicit_id).decode() if isinstance(given, str) and given
                   else f'"{explicit_id}"')
        name_json = _orjson_dumps(name).decode()
        metrics_json = _orjson_dumps({"start": seconds, "end": end / 1e9}).decode()
    except TypeError:
        return None  # what orjson refuses (a lone surrogate): the row's way
    out = _new(EncodedRow)
    out.id, out.span_id, out.root_span_id, out.created = explicit_id, span_hex, trace_hex, created
    if parent_id is None:
        out.is_root = 1
        parents, kind = "null", ',"type":"task"}'
    else:
        out.is_root = 0
        parents, kind = '["%016x"]' % parent_id, "}"  # noqa: UP031
    out.text = "".join(('{"id":', id_json, ',"span_id":"', span_hex, '","root_span_id":"',
                        trace_hex, '","span_parents":', parents, ',"created":"', created,
                        '","metrics":', metrics_json, ',"span_attributes":{"name":',
                        name_json, kind, *pieces, ',"context":', known[2].text, tail))
    return out
