"""Span: the facade over one OTel span, and the module-level span functions."""

from __future__ import annotations

import functools
import math
import sys
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Union

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from braintrust_otel import attributes as A
from braintrust_otel import diagnostics
from braintrust_otel.ids import row_id, span_id_hex, trace_id_hex
from braintrust_otel.mapping import braintrust as braintrust_mapping
from braintrust_otel.masking import mask, mask_metadata, mask_numbers, mask_tags, record_exception
from braintrust_otel.merge import deep_merge
from braintrust_otel.processor import parent_in_context
from braintrust_otel.serialize import dumps, json_text, loads

from . import _state
from ._slugs import EXPERIMENT, PROJECT_LOGS, SpanRef, decode_slug, encode_slug, permalink

if TYPE_CHECKING:
    from ._logger import SpanTarget as Logger

__all__ = ["NOOP_SPAN", "NoopSpan", "Span", "current_span", "start_span"]

#: Span types Braintrust knows (``span_attributes.type``).
SPAN_TYPES = frozenset({
    "llm", "score", "function", "eval", "task", "tool", "automation", "facet",
    "preprocessor", "classifier", "review", "decision", "question", "log",
})

_SPAN_KEY = otel_context.create_key("braintrust-span")
#: What ``start_span`` logs at once (``event=`` or keywords): ``Span.log``'s fields.
_EVENT_FIELDS = frozenset({"input", "output", "expected", "error", "tags", "scores",
                           "metadata", "metrics", "id"})
_MISSING: Any = object()

Attrs = dict[str, Union[str, bool, int, float, Sequence[str]]]


# -- argument checks ----------------------------------------------------------

def safe_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)`` for an error message: it never raises and stays short."""
    try:
        text = repr(value)
    except Exception:
        # A broken __repr__, or an int too long to print.
        text = f"<{type_name(value)} object>"
    return text if len(text) <= limit else text[:limit] + "..."


def safe_str(value: Any) -> str:
    """``str(value)`` that never raises (for exceptions and names from user code)."""
    try:
        return str(value)
    except Exception:
        return f"<{type_name(value)} object>"


def check_text(value: Any, arg: str, where: str) -> None:
    """Checks an optional name-like argument: a str that UTF-8 can encode.

    Raises:
        TypeError: When ``value`` is neither None nor a str.
        ValueError: When it holds lone surrogates (``"\\ud800"``), which no
            store or request can hold.
    """
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{where}: {arg} must be a str, got {type_name(value)}")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ValueError(f"{where}: {arg} holds characters UTF-8 cannot encode (lone "
                             f"surrogates): {safe_repr(value)}") from None


def check_type(type: str | None, where: str) -> None:
    if type is not None and (not isinstance(type, str) or type not in SPAN_TYPES):
        if not isinstance(type, str):
            raise TypeError(f"{where}: type must be a str, got {type_name(type)}")
        raise ValueError(
            f"{where}: type must be one of {', '.join(sorted(SPAN_TYPES))}; "
            f"got {safe_repr(type)}"
        )


def check_name(name: Any, where: str) -> None:
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{where}: name must be a str, got {type(name).__name__}")


def _check_mapping(value: Any, arg: str, where: str) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"{where}: {arg} must be a dict, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{where}: {arg} keys must be str, got {safe_repr(key)}")


def _check_numbers(value: Any, arg: str, where: str, unit: bool) -> None:
    _check_mapping(value, arg, where)
    for key, number in value.items():
        if number is None and unit:
            continue
        if not isinstance(number, (int, float)):
            raise TypeError(
                f"{where}: {arg}[{safe_repr(key)}] must be a number, "
                f"got {type(number).__name__}"
            )
        if unit and not 0 <= number <= 1:
            raise ValueError(f"{where}: {arg}[{safe_repr(key)}] must be between 0 and 1, "
                             f"got {safe_repr(number)}")


def _check_tags(tags: Any, where: str) -> tuple[str, ...]:
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise TypeError(f"{where}: tags must be a list of str, got {type(tags).__name__}")
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"{where}: tags must be a list of str, got an item "
                            f"{safe_repr(tag)}")
    return tuple(tags)


#: The latest time a span can carry: the end of year 9999, in seconds.
_MAX_SECONDS = 253_402_300_799


def _seconds_to_ns(value: float | None, arg: str, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{where}: {arg} must be seconds since the epoch (a number), "
                        f"got {type_name(value)}")
    if not (isinstance(value, int) or math.isfinite(value)) or not 0 <= value <= _MAX_SECONDS:
        hint = ""
        if (isinstance(value, int) or math.isfinite(value)) and value > _MAX_SECONDS:
            hint = " (this looks like milliseconds or nanoseconds: divide by 1000 or 1e9)"
        raise ValueError(f"{where}: {arg} must be seconds since the epoch, like time.time(), "
                         f"between 0 and {_MAX_SECONDS}; got {safe_repr(value)}{hint}")
    return int(value * 1e9) if isinstance(value, float) else value * 1_000_000_000


def _merge_json(previous: Any, value: Mapping[str, Any], deep: bool) -> str:
    if not isinstance(previous, str):
        return dumps(value)
    # Decoding the earlier write gives a private copy to merge into.
    merged = loads(previous)
    if not isinstance(merged, dict):
        return dumps(value)
    if deep:
        deep_merge(merged, loads(dumps(value)))
    else:
        merged.update(loads(dumps(value)))
    return dumps(merged)


def _event(event: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> Mapping[str, Any] | None:
    # Fields to log at start come as ``event=`` (a dict) or, as in the official
    # SDK, as keyword arguments; keywords win.
    if not fields:
        return event
    if event is None:
        return fields
    _check_mapping(event, "event", "start_span()")
    return {**event, **fields}


# -- spans ----------------------------------------------------------------------

class Span:
    """A span of a Braintrust trace: one OTel span plus the fields logged to it.

    Create spans with :func:`start_span`, ``logger.start_span``,
    ``span.start_span`` or :func:`traced`, never directly. Use a span as a
    context manager to make it current for its body; otherwise call
    :meth:`end`. Logged values are masked and encoded at once (later changes
    to your objects do not show) and set on the OTel span when it ends.
    """

    __slots__ = ("_adopted", "_attrs", "_end_time", "_ended", "_otel", "_parent", "_propagated",
                 "_row_id", "_set_current", "_tokens")

    def __init__(
        self,
        otel_span: trace.Span,
        parent: str | None,
        set_current: bool = True,
        adopted: bool = False,
    ):
        self._otel = otel_span
        self._parent = parent
        # A span from other instrumentation: fields go onto it at once, since
        # whoever started it ends it.
        self._adopted = adopted
        self._row_id: str | None = None
        self._attrs: Attrs = {}
        self._ended = False
        self._end_time: float | None = None
        self._set_current = set_current
        #: Fields merged into this span's event and its descendants' (``propagated_event``).
        self._propagated: dict[str, Any] | None = None
        self._tokens: list[object] = []

    # identity

    @property
    def id(self) -> str:
        """The row id of this span."""
        if self._row_id is not None:
            return self._row_id
        ctx = self._otel.get_span_context()
        return row_id(ctx.trace_id, ctx.span_id)

    @property
    def span_id(self) -> str:
        """The OTel span id, as 16 hex digits."""
        return span_id_hex(self._otel.get_span_context().span_id)

    @property
    def root_span_id(self) -> str:
        """The OTel trace id, as 32 hex digits (the id of the trace's root)."""
        return trace_id_hex(self._otel.get_span_context().trace_id)

    @property
    def otel_span(self) -> trace.Span:
        """The underlying OpenTelemetry span."""
        return self._otel

    @property
    def parent(self) -> str | None:
        """The ``braintrust.parent`` string of the object this span logs to."""
        return self._parent

    # logging

    def log(
        self,
        *,
        input: Any = _MISSING,
        output: Any = _MISSING,
        expected: Any = _MISSING,
        error: Any = _MISSING,
        tags: Sequence[str] | None = None,
        scores: Mapping[str, float | None] | None = None,
        metadata: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        id: str | None = None,
    ) -> None:
        """Records fields on the span.

        Later calls replace ``input``, ``output``, ``expected``, ``error`` and
        ``tags``, and merge ``scores``, ``metrics`` (key by key) and
        ``metadata`` (deeply).

        Args:
            input: The arguments or prompt of this step.
            output: Its result.
            expected: The ground truth, for evaluations.
            error: An error to record (any JSON-able value, usually a string).
            tags: A list of strings.
            scores: Score names to numbers between 0 and 1 (or None).
            metadata: Any JSON-able key/value data.
            metrics: Metric names to numbers (for example ``tokens``).
            id: The row id to record this span under.

        Raises:
            TypeError, ValueError: When an argument has the wrong shape; the
                message names the argument.
        """
        where = "Span.log()"
        if scores is not None:
            _check_numbers(scores, "scores", where, unit=True)
        if metrics is not None:
            _check_numbers(metrics, "metrics", where, unit=False)
        if metadata is not None:
            _check_mapping(metadata, "metadata", where)
        tag_tuple = _check_tags(tags, where) if tags is not None else None
        if id is not None and not isinstance(id, str):
            raise TypeError(f"{where}: id must be a str, got {type(id).__name__}")
        try:
            attrs = self._attrs
            if input is not _MISSING:
                attrs[A.INPUT] = json_text(mask("input", input))
            if output is not _MISSING:
                attrs[A.OUTPUT] = json_text(mask("output", output))
            if expected is not _MISSING:
                attrs[A.EXPECTED] = json_text(mask("expected", expected))
            if error is not _MISSING:
                attrs[A.ERROR] = json_text(mask("error", error))
            if metadata is not None:
                attrs[A.METADATA] = _merge_json(self._previous(A.METADATA),
                                                mask_metadata(metadata), deep=True)
            if scores is not None and (scores := mask_numbers("scores", scores)) is not None:
                attrs[A.SCORES] = _merge_json(self._previous(A.SCORES), scores, deep=False)
            if metrics is not None and (metrics := mask_numbers("metrics", metrics)) is not None:
                attrs[A.METRICS] = _merge_json(self._previous(A.METRICS), metrics, deep=False)
            if tag_tuple is not None:
                attrs[A.TAGS] = tuple(mask_tags(tag_tuple))
            if id is not None:
                attrs[A.ROW_ID] = self._row_id = id
            if self._ended:
                self._log_after_end(attrs)
            elif self._adopted:
                self._otel.set_attributes(attrs)
        except Exception as exc:
            diagnostics.report("log", "could not record a span field", exc)

    def _log_field(self, key: str, value: Any) -> None:
        # A row field Span.log does not take (an eval case's origin and
        # classifications), set the same way: masked as its field, encoded now.
        try:
            self._attrs[key] = dumps(mask(A.JSON_FIELDS[key], value))
            if self._ended:
                self._log_after_end(self._attrs)
            elif self._adopted:
                self._otel.set_attributes(self._attrs)
        except Exception as exc:
            diagnostics.report("log", "could not record a span field", exc)

    def _previous(self, key: str) -> Any:
        # The value to merge into: pending, else already on the OTel span (set
        # at start, or by another wrapper of the same foreign span).
        if key in self._attrs:
            return self._attrs[key]
        if self._ended:
            return None
        return (getattr(self._otel, "attributes", None) or {}).get(key)

    def _log_after_end(self, attrs: Attrs) -> None:
        # The OTel span is closed, so late fields travel as a merge row on the
        # short path to the sink, after the span's own row. ``attrs`` is the
        # dict this log() call wrote into: if end() ran on another thread
        # meanwhile, it may already be detached, and its fields must still go
        # out (sending fields the span already had is a harmless merge).
        self._attrs = {}
        row: dict[str, Any] = {"id": self.id, "_is_merge": True, "_parent": self._parent}
        if self._otel.get_span_context().is_valid:
            # (update_span by row id alone has no span ids to restate.)
            row["span_id"], row["root_span_id"] = self.span_id, self.root_span_id
        braintrust_mapping.apply(row, attrs)
        _state.write_rows([row])

    def _otel_name(self) -> str:
        return str(getattr(self._otel, "name", "span"))

    def set_attributes(
        self,
        name: str | None = None,
        type: str | None = None,
        span_attributes: Mapping[str, Any] | None = None,
    ) -> None:
        """Changes the span's name, type or other ``span_attributes``.

        Args:
            name: The new name.
            type: The new span type (one of the Braintrust span types).
            span_attributes: Other span attributes to merge in.
        """
        where = "Span.set_attributes()"
        check_name(name, where)
        check_type(type, where)
        if span_attributes is not None:
            _check_mapping(span_attributes, "span_attributes", where)
        try:
            if name is not None:
                self._otel.update_name(name)
            extra: dict[str, Any] = dict(span_attributes or {})
            if type is not None:
                extra["type"] = type
            if extra:
                self._attrs[A.SPAN_ATTRIBUTES] = _merge_json(
                    self._previous(A.SPAN_ATTRIBUTES), extra, deep=False
                )
                if self._adopted:
                    self._otel.set_attributes(self._attrs)
        except Exception as exc:
            diagnostics.report("log", "could not set span attributes", exc)

    def record_error(self, exc: BaseException) -> None:
        """Records an exception as the span's error (OTel exception event and status).

        With a masking function set, the message and traceback are masked first.
        """
        try:
            record_exception(self._otel, exc)
        except Exception as err:
            diagnostics.report("log", "could not record an exception", err)

    # children

    def start_span(
        self,
        name: str | None = None,
        type: str | None = None,
        span_attributes: Mapping[str, Any] | None = None,
        start_time: float | None = None,
        set_current: bool | None = None,
        parent: str | None = None,
        event: Mapping[str, Any] | None = None,
        propagated_event: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> Span:
        """Starts a child span of this one. Arguments are as for :func:`start_span`."""
        return _start(
            name, type, span_attributes, start_time, set_current, parent, _event(event, fields),
            parent_span=self, where="Span.start_span()", depth=3,
            propagated_event=propagated_event,
        )

    # ending

    def end(self, end_time: float | None = None) -> float:
        """Ends the span; calling it again does nothing.

        Args:
            end_time: Seconds since the epoch; now by default.

        Returns:
            The end time, in seconds since the epoch.
        """
        if self._ended:
            return self._end_time or time.time()
        end_ns = _seconds_to_ns(end_time, "end_time", "Span.end()")
        self._ended = True
        try:
            if self._attrs:
                self._otel.set_attributes(self._attrs)
                self._attrs = {}
            self._otel.end(end_time=end_ns)
        except Exception as exc:
            diagnostics.report("end", "could not end a span", exc)
        self._end_time = end_ns / 1e9 if end_ns is not None else time.time()
        if self._parent in _state.sync_parents:
            _state.deliver()
        return self._end_time

    close = end

    def flush(self) -> None:
        """Delivers every finished span of this process (see :func:`braintrust.flush`)."""
        _state.deliver()

    # references

    def export(self) -> str:
        """Returns a slug other processes can pass as ``parent=`` to continue this trace.

        Returns:
            A version-4 span export slug, readable by either Braintrust SDK.
        """
        kind, _, value = (self._parent or "").partition(":")
        object_type = EXPERIMENT if kind == "experiment_id" else PROJECT_LOGS
        object_id = value if kind in ("project_id", "experiment_id") else None
        args = {"project_name": value, "project_id": None} if kind == "project_name" else None
        if kind == "project_name":
            object_id = _state.resolve_project_id(value)
            if object_id is not None:
                args = None
        return encode_slug(SpanRef(
            object_type=object_type, object_id=object_id, compute_object_metadata_args=args,
            row_id=self.id, span_id=self.span_id, root_span_id=self.root_span_id,
        ))

    def permalink(self, org_name: str | None = None, app_url: str | None = None) -> str:
        """Returns a link to this span in the UI (``braintrust serve`` when local)."""
        return link(self.export(), org_name=org_name, app_url=app_url)

    def log_feedback(self, **event: Any) -> None:
        """Adds feedback to this span's row: as ``Logger.log_feedback`` without the id.

        Args:
            **event: ``scores``, ``expected``, ``tags``, ``comment``, ``metadata``, ``source``.
        """
        if isinstance(self, NoopSpan):
            return
        from ._logger import SpanTarget

        if self._parent is None:
            raise ValueError("Span.log_feedback(): this span belongs to no Braintrust object")
        SpanTarget(self._parent).log_feedback(self.id, **event)

    def link(self) -> str:
        """Returns a link to this span in the UI (the official SDK's name for :meth:`permalink`)."""
        return self.permalink()

    @property
    def name(self) -> str:
        """The span's name."""
        return self._otel_name()

    def inject(self, carrier: dict[str, str] | None = None) -> dict[str, str]:
        """Writes W3C ``traceparent`` and ``baggage`` headers naming this span.

        Another service continues the trace with
        ``start_span(parent=extract_trace_context(headers))``.

        Args:
            carrier: The outgoing headers to add to; a new dict by default.

        Returns:
            The carrier.
        """
        from ._propagation import inject_span

        return inject_span(self, carrier)

    # context management

    def set_current(self) -> None:
        """Makes this span the current one (for :func:`current_span`, children
        and OTel instrumentation) until :meth:`unset_current`.

        Prefer ``with span:``, which does both. Does nothing for a span made
        with ``set_current=False``.
        """
        if self._set_current:
            self._activate()

    def unset_current(self) -> None:
        """Undoes the last :meth:`set_current` of this span."""
        if self._set_current:
            self._deactivate()

    def _activate(self) -> None:
        ctx = trace.set_span_in_context(self._otel)
        ctx = otel_context.set_value(_SPAN_KEY, self, ctx)
        self._tokens.append(otel_context.attach(ctx))

    def _deactivate(self) -> None:
        if self._tokens:
            token = self._tokens.pop()
            try:
                otel_context.detach(token)  # type: ignore[arg-type]
            except Exception:
                pass

    def __enter__(self) -> Span:
        if self._set_current:
            self._activate()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is not None:
                self.record_error(exc)
            self.end()
        finally:
            self._deactivate()

    def __repr__(self) -> str:
        return f"<braintrust.Span {self._otel_name()!r} span_id={self.span_id}>"


class NoopSpan(Span):
    """A span that records nothing; returned when there is nowhere to log.

    Every method works and does nothing, so code can log unconditionally.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(trace.INVALID_SPAN, None, set_current=False)

    def log(self, **event: Any) -> None:
        """Does nothing."""

    def _log_field(self, key: str, value: Any) -> None:
        pass

    def start_span(self, *args: Any, **kwargs: Any) -> Span:
        """Returns the no-op span."""
        return self

    def set_attributes(self, *args: Any, **kwargs: Any) -> None:
        """Does nothing."""

    def set_current(self) -> None:
        """Does nothing."""

    def unset_current(self) -> None:
        """Does nothing."""

    def end(self, end_time: float | None = None) -> float:
        """Does nothing; returns the current time."""
        return end_time if end_time is not None else time.time()

    def export(self) -> str:
        """Returns an empty string: there is no span to continue."""
        return ""

    def log_feedback(self, *args: Any, **kwargs: Any) -> None:
        """Does nothing."""

    def link(self) -> str:
        """Returns a placeholder link."""
        return "https://www.braintrust.dev/noop-span"

    @property
    def name(self) -> str:
        """An empty name."""
        return ""

    def permalink(self, org_name: str | None = None, app_url: str | None = None) -> str:
        """Returns a placeholder link."""
        return "https://www.braintrust.dev/noop-span"

    @property
    def id(self) -> str:
        """An empty id."""
        return ""

    def __repr__(self) -> str:
        return "<braintrust.NoopSpan>"


NOOP_SPAN = NoopSpan()


# -- creation -------------------------------------------------------------------

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
) -> Span:
    check_name(name, where)
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
    if parent:
        ref = decode_slug(parent)
        bt_parent = ref.parent
        if ref.span_id and ref.root_span_id:
            remote = SpanContext(
                trace_id=int(ref.root_span_id.replace("-", ""), 16),
                span_id=int(ref.span_id.replace("-", "")[-16:], 16),
                is_remote=True,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )
            ctx = trace.set_span_in_context(NonRecordingSpan(remote), otel_context.Context())
        else:
            ctx = otel_context.Context()
        is_root = not ref.span_id
    elif parent_span is not None:
        if isinstance(parent_span, NoopSpan):
            return NOOP_SPAN
        ctx = trace.set_span_in_context(parent_span._otel)
        bt_parent = parent_span._parent
        is_root = False
        inherited = parent_span._propagated
    else:
        current = trace.get_current_span()
        current_bt = otel_context.get_value(_SPAN_KEY)
        if logger is not None:
            bt_parent = logger.parent
            inside = not root and current.get_span_context().is_valid and (
                not isinstance(current_bt, Span) or current_bt._parent == bt_parent
            )
            if not inside:
                ctx = otel_context.Context()  # a new trace in this logger
            is_root = not inside
            if inside and isinstance(current_bt, Span):
                inherited = current_bt._propagated
        elif current.get_span_context().is_valid:
            bt_parent = parent_in_context()
            if isinstance(current_bt, Span) and current_bt._otel is current:
                bt_parent = current_bt._parent
                inherited = current_bt._propagated
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
    if _state.span_environment is not None:
        context: dict[str, Any] = loads(_caller_json(*caller)) if caller is not None else {}
        context["span_origin"] = {"environment": _state.span_environment}
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
    # As the official SDK: a span's own propagated_event replaces its parent's, and
    # wins over the event's fields where both set one.
    propagated = dict(propagated_event) if propagated_event is not None else inherited
    if propagated:
        span._propagated = propagated
        event = deep_merge(dict(event or {}), propagated)
    if event:
        span.log(**event)
    return span


def type_name(value: Any) -> str:
    return type(value).__name__


def start_span(
    name: str | None = None,
    type: str | None = None,
    span_attributes: Mapping[str, Any] | None = None,
    start_time: float | None = None,
    set_current: bool | None = None,
    parent: str | Mapping[str, str] | None = None,
    event: Mapping[str, Any] | None = None,
    propagated_event: Mapping[str, Any] | None = None,
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
        event: Fields to log at once (as for :meth:`Span.log`).
        propagated_event: Fields logged on this span and on every span started
            below it in this process (each child's own ``propagated_event``
            replaces it for that child's subtree); they win over ``event``'s.
        **fields: The same fields as keywords (``input=``, ``output=``,
            ``metadata=``, ...), as the official SDK takes them.

    Returns:
        A :class:`Span`, usable as a context manager.
    """
    return _start(name, type, span_attributes, start_time, set_current, parent,
                  _event(event, fields), where="start_span()", depth=3,
                  propagated_event=propagated_event)


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
