"""Making spans: start_span (and the one implementation behind every start_span),
current_span, link."""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from braintrust_otel import attributes as A
from braintrust_otel import diagnostics
from braintrust_otel.ids import span_id_hex, trace_id_hex
from braintrust_otel.merge import deep_merge
from braintrust_otel.processor import parent_in_context
from braintrust_otel.serialize import dumps, loads
from braintrust_otel.span_attributes import attributes_of

from . import _state
from ._checks import (
    _EVENT_FIELDS,
    _check_mapping,
    _event,
    _seconds_to_ns,
    check_name,
    check_text,
    check_type,
    type_name,
)
from ._noop import NOOP_SPAN, NoopSpan
from ._slugs import decode_slug, permalink
from ._span_object import _SPAN_KEY, Attrs, Span

if TYPE_CHECKING:
    from ._span_target import SpanTarget as Logger

__all__ = ["current_span", "link", "start_span"]


def _caller(depth: int) -> tuple[str, str, int]:
    try:
        frame = sys._getframe(depth)
        code = frame.f_code
        return code.co_filename, code.co_name, frame.f_lineno
    except ValueError:
        return "", "", 0


@functools.cache
def _type_json(type: str) -> str:
    return dumps({"type": type})


@functools.lru_cache(maxsize=4096)
def _caller_json(file: str, function: str, line: int) -> str:
    # One cached attribute instead of three code.* ones: attribute validation
    # in the OTel SDK is the largest cost of a span.
    return dumps({"caller_functionname": function, "caller_filename": file,
                  "caller_lineno": line})


def _start(
    name: str | None,
    type: str | None,
    span_attributes: Mapping[str, Any] | None,
    start_time: float | None,
    set_current: bool | None,
    parent: str | Mapping[str, str] | None,
    event: Mapping[str, Any] | None,
    *,
    parent_span: Span | None = None,
    logger: Logger | None = None,
    where: str,
    depth: int,
    default_type: str | None = None,
    caller: tuple[str, str, int] | None = None,
    root: bool = False,
    propagated_event: Mapping[str, Any] | None = None,
    span_id: str | None = None,
    root_span_id: str | None = None,
    internal: Mapping[str, Any] | None = None,
) -> Span:
    check_name(name, where)
    instrumentation: Any = None
    if internal is not None:
        # The official SDK's options for its own integrations; the ids and the
        # instrumentation name are honoured, the row-writing switches cannot be
        # (a span here always becomes one row when it ends).
        _check_mapping(internal, "internal", where)
        span_id = internal.get("span_id", span_id)
        root_span_id = internal.get("root_span_id", root_span_id)
        instrumentation = internal.get("instrumentation")
        check_text(instrumentation, "internal['instrumentation']", where)
    check_text(span_id, "span_id", where)
    check_text(root_span_id, "root_span_id", where)
    if propagated_event is not None:
        _check_mapping(propagated_event, "propagated_event", where)
    check_type(type, where)
    if span_attributes is not None:
        _check_mapping(span_attributes, "span_attributes", where)
    if event is not None:
        _check_mapping(event, "event", where)
        unknown = set(event) - _EVENT_FIELDS
        if unknown:
            raise TypeError(f"{where}: unexpected field(s) {', '.join(sorted(unknown))}; "
                            f"fields are {', '.join(sorted(_EVENT_FIELDS))}")
    if parent is not None and not isinstance(parent, str):
        if not isinstance(parent, Mapping):
            raise TypeError(f"{where}: parent must be an export slug (str) or a trace "
                            f"context (dict), got {type_name(parent)}")
        from ._propagation import slug_from_context

        owner = logger or _state.current_experiment or _state.current_logger
        parent = slug_from_context(parent, owner.parent if owner is not None else None)
    start_ns = _seconds_to_ns(start_time, "start_time", where)

    if parent is None and parent_span is None and logger is None:
        # parent_context(): below a current span, above the current experiment/logger.
        scoped = _state.current_parent.get()
        if scoped is not None and not trace.get_current_span().get_span_context().is_valid:
            parent = scoped

    ctx: otel_context.Context | None = None
    bt_parent: str | None
    inherited: dict[str, Any] | None = None  # the parent span's propagated_event
    up_ids: tuple[str, str] | None = None  # the parent's chosen (span_id, root_span_id)
    if parent:
        ref = decode_slug(parent)
        bt_parent = ref.parent
        ctx = otel_context.Context()
        if ref.span_id and ref.root_span_id:
            remote = _remote_parent(ref.span_id, ref.root_span_id)
            if remote is None:  # ids that are not OTel's (chosen ones): kept as given
                up_ids = (ref.span_id, ref.root_span_id)
            else:
                ctx = trace.set_span_in_context(NonRecordingSpan(remote), ctx)
        is_root = not ref.span_id
    elif parent_span is not None:
        if isinstance(parent_span, NoopSpan):
            return NOOP_SPAN
        ctx = trace.set_span_in_context(parent_span._otel)
        bt_parent = parent_span._parent
        is_root = False
        inherited = parent_span._propagated
        up_ids = parent_span._ids
    else:
        # One read of the current context for both lookups.
        now = otel_context.get_current()
        current = trace.get_current_span(now)
        current_bt = now.get(_SPAN_KEY)
        if logger is not None:
            bt_parent = logger.parent
            inside = not root and current.get_span_context().is_valid and (
                not isinstance(current_bt, Span) or current_bt._parent == bt_parent
            )
            if not inside:
                ctx = otel_context.Context()  # a new trace in this logger
            is_root = not inside
            if inside and isinstance(current_bt, Span) and current_bt._otel is current:
                inherited = current_bt._propagated
                up_ids = current_bt._ids
        elif current.get_span_context().is_valid:
            if isinstance(current_bt, Span) and current_bt._otel is current:
                # The current span is the facade's: it knows its parent, so the
                # context, baggage and attribute lookups are not needed.
                bt_parent = current_bt._parent
                inherited = current_bt._propagated
                up_ids = current_bt._ids
            else:
                bt_parent = parent_in_context(now)
            is_root = False
        else:
            active = _state.current_experiment or _state.current_logger
            if active is None:
                return NOOP_SPAN
            bt_parent = active.parent
            is_root = True
            logger = active  # its root span type (an experiment's roots are evals)

    if name is None:
        if is_root:
            name = "root"
        else:
            file, function, line = _caller(depth)
            name = f"{function}:{file.rsplit('/', 1)[-1]}:{line}" if function else "subspan"
    # Only what the mapping cannot infer travels as attributes: each one costs
    # about a microsecond of OTel validation. An untyped root is a task; an
    # untyped child stays untyped, as in the official SDK.
    attrs: Attrs = {}
    sa_type = type or default_type
    # As in the official SDK, a logger's or experiment's start_span gives its
    # root type even to a span that nests in the current one; an untyped root
    # is a task by the mapping, so that type needs no attribute.
    if sa_type is None and logger is not None and (not is_root or logger.root_type != "task"):
        sa_type = logger.root_type
    if span_attributes:
        extra = dict(span_attributes)
        if sa_type is not None:
            extra.setdefault("type", sa_type)
        attrs[A.SPAN_ATTRIBUTES] = dumps(extra)
    elif sa_type is not None:
        attrs[A.SPAN_ATTRIBUTES] = _type_json(sa_type)
    origin: dict[str, Any] = {}
    if _state.span_environment is not None:
        origin["environment"] = _state.span_environment
    if instrumentation:
        origin["instrumentation"] = {"name": instrumentation}
    if origin:
        context: dict[str, Any] = loads(_caller_json(*caller)) if caller is not None else {}
        context["span_origin"] = origin
        attrs[A.CONTEXT] = dumps(context)
    elif caller is not None:
        attrs[A.CONTEXT] = _caller_json(*caller)
    if bt_parent is not None:
        attrs[A.PARENT] = bt_parent
    try:
        otel_span = _state.tracer().start_span(
            name, context=ctx, attributes=attrs, start_time=start_ns
        )
    except Exception as exc:
        diagnostics.report("start", "could not start a span", exc)
        return NOOP_SPAN
    span = Span(otel_span, bt_parent, set_current=True if set_current is None else set_current)
    if span_id or (is_root and root_span_id) or up_ids:
        _choose_ids(span, span_id, root_span_id if is_root else None, up_ids)
    elif not is_root:  # (a trace's first span has no parent to inherit a root from)
        _inherited_root(span)
    # As the official SDK: a span's own propagated_event replaces its parent's, and
    # wins over the event's fields where both set one.
    propagated = dict(propagated_event) if propagated_event is not None else inherited
    if propagated:
        span._propagated = propagated
        event = deep_merge(dict(event or {}), propagated)
    if event:
        span.log(**event)
    return span


def _remote_parent(span_id: str, root_span_id: str) -> SpanContext | None:
    # A parent from an export slug: OTel ids (hex, or the official SDK's UUIDs), else
    # None for ids someone chose (``start_span(span_id="...")``), which OTel cannot hold.
    try:
        return SpanContext(
            trace_id=int(root_span_id.replace("-", ""), 16),
            span_id=int(span_id.replace("-", "")[-16:], 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
    except ValueError:
        return None


def _inherited_root(span: Span) -> None:
    """Below a span that is not the facade's, in a trace whose root id was chosen, the
    processor gave this span's row that root (inherit_chosen_ids): the span says so too
    (``root_span_id``, ``export()``), and its children follow it as a chosen-id span's."""
    try:
        root = attributes_of(span._otel).get(A.ROOT_SPAN_ID)
        if isinstance(root, str):
            span._ids = (span_id_hex(span._otel.get_span_context().span_id), root)
    except Exception as exc:
        diagnostics.report("start", "could not read the trace's chosen root", exc)


def _choose_ids(span: Span, span_id: str | None, root_span_id: str | None,
                up_ids: tuple[str, str] | None) -> None:
    """Gives a span's row the ids the caller chose, in place of the OTel ones.

    OTel makes its own ids (integers, from the provider's id generator), so chosen
    ids travel as attributes the mapping puts on the row instead; the span's
    children, in this process, inherit the chosen root and name the chosen span
    id as their parent. ``root_span_id`` is only given for a trace's first span
    (below a parent the trace's root wins, as in the official SDK).
    """
    try:
        ctx = span._otel.get_span_context()
        sid = span_id or span_id_hex(ctx.span_id)
        # Below a span that is not the facade's (an instrumentation's, or one of a
        # muted library's), the processor has already given this span the trace's
        # chosen root (inherit_chosen_ids): keep it.
        inherited = attributes_of(span._otel).get(A.ROOT_SPAN_ID)
        root = root_span_id or (up_ids[1] if up_ids else None) \
            or (inherited if isinstance(inherited, str) else trace_id_hex(ctx.trace_id))
        attrs: Attrs = {A.SPAN_ID: sid, A.ROOT_SPAN_ID: root}
        if up_ids:
            attrs[A.SPAN_PARENTS] = dumps([up_ids[0]])
        span._otel.set_attributes(attrs)
        span._ids = (sid, root)
    except Exception as exc:
        diagnostics.report("start", "could not record the chosen span ids", exc)


def start_span(
    name: str | None = None,
    type: str | None = None,
    span_attributes: Mapping[str, Any] | None = None,
    start_time: float | None = None,
    set_current: bool | None = None,
    parent: str | Mapping[str, str] | None = None,
    propagated_event: Mapping[str, Any] | None = None,
    state: Any = None,
    internal: Mapping[str, Any] | None = None,
    *,
    event: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Span:
    """Starts a span.

    It is a child of the current span (a Braintrust span or any OTel span), or
    of the span named by ``parent``; with neither, it starts a trace in the
    current logger. With no logger and no active span it returns a no-op span.

    Args:
        name: The span's name; ``root`` for a trace's first span, else the
            caller's function and line.
        type: One of the Braintrust span types (``llm``, ``task``, ``function``,
            ``tool``, ``score``, ``eval``, ...).
        span_attributes: More span attributes to record.
        start_time: Seconds since the epoch; now by default.
        set_current: Whether ``with`` makes the span current (default True).
        parent: A slug from ``span.export()`` (this or the official SDK), or
            a trace context from :func:`extract_trace_context`, to continue a
            trace from another process.
        propagated_event: Fields logged on this span and on every span started
            below it in this process (each child's own ``propagated_event``
            replaces it for that child's subtree); they win over ``event``'s.
        state: The official SDK's internal state; there is one state per process
            here, so it is accepted and ignored (``logger.logging_state`` fits).
        internal: The official SDK's options for its integrations:
            ``instrumentation`` (recorded as ``context.span_origin.instrumentation.name``),
            ``span_id`` and ``root_span_id`` (as ``Logger.start_span``'s);
            ``skip_initial_span_write`` and ``initial_span_write_as_merge`` are
            accepted and have no effect (a span here is one row, written at its end).
        event: Fields to log at once (as for :meth:`Span.log`), as a dict.
        **fields: The fields to log as keywords (``input=``, ``output=``,
            ``metadata=``, ...), as the official SDK takes them.

    Returns:
        A :class:`Span`, usable as a context manager.
    """
    return _start(name, type, span_attributes, start_time, set_current, parent,
                  _event(event, fields), where="start_span()", depth=3,
                  propagated_event=propagated_event, internal=internal)


def link(slug: str, org_name: str | None = None, app_url: str | None = None) -> str:
    """Returns a link to the span a slug from ``span.export()`` names.

    Args:
        slug: The exported span.
        org_name: The organization in the link; the logged-in one, else
            ``BRAINTRUST_ORG_NAME``, else ``local``.
        app_url: The app's base URL; the logged-in one, else
            ``BRAINTRUST_APP_URL``, else the local server's.

    Returns:
        The URL.
    """
    org, url = _state.link_defaults()
    return permalink(slug, org_name=org_name or org, app_url_=app_url or url)


def current_span() -> Span:
    """Returns the current span, or a no-op span when none is active.

    An OTel span from other instrumentation that is current is wrapped, so
    ``current_span().log(...)`` records Braintrust fields on it.
    """
    otel_span = trace.get_current_span()
    found = otel_context.get_value(_SPAN_KEY)
    if isinstance(found, Span) and found._otel is otel_span:
        return found
    if otel_span.is_recording():
        return Span(otel_span, parent_in_context(), set_current=False, adopted=True)
    return NOOP_SPAN
