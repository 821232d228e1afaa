"""Span: the facade over one OTel span and the fields logged to it."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Union

from opentelemetry import context as otel_context
from opentelemetry import trace

from braintrust_otel import attributes as A
from braintrust_otel import diagnostics
from braintrust_otel.ids import row_id, span_id_hex, trace_id_hex
from braintrust_otel.mapping import braintrust as braintrust_mapping
from braintrust_otel.masking import mask, mask_metadata, mask_numbers, mask_tags, record_exception
from braintrust_otel.serialize import dumps, json_text
from braintrust_otel.span_attributes import set_text_attributes

from . import _state
from ._checks import (
    _MISSING,
    _check_mapping,
    _event,
    _merge_json,
    _seconds_to_ns,
    bools_as_numbers,
    check_log_fields,
    check_name,
    check_type,
)
from ._slugs import EXPERIMENT, PROJECT_LOGS, SpanRef, encode_slug

__all__ = ["Span"]

#: The OTel context key under which the current facade Span is kept.
_SPAN_KEY = otel_context.create_key("braintrust-span")

#: The key OTel keeps the current span under, found through its public API once:
#: making a span current then copies the context once instead of twice. None
#: (the two public calls) if setting a span ever stores more than that one key.
_probe = trace.set_span_in_context(trace.INVALID_SPAN, otel_context.Context())
_OTEL_SPAN_KEY: str | None = next(iter(_probe)) if len(_probe) == 1 else None
del _probe

Attrs = dict[str, Union[str, bool, int, float, Sequence[str]]]


class Span:
    """A span of a Braintrust trace: one OTel span plus the fields logged to it.

    Create spans with :func:`start_span`, ``logger.start_span``,
    ``span.start_span`` or :func:`traced`, never directly. Use a span as a
    context manager to make it current for its body; otherwise call
    :meth:`end`. Logged values are masked and encoded at once (later changes
    to your objects do not show) and set on the OTel span when it ends.
    """

    __slots__ = ("_adopted", "_attrs", "_end_time", "_ended", "_ids", "_otel", "_parent",
                 "_propagated", "_row_id", "_set_current", "_tokens")

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
        #: ``(span_id, root_span_id)`` chosen by the caller in place of the OTel ids.
        self._ids: tuple[str, str] | None = None

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
        """The span id of this span's row: the OTel span id as 16 hex digits, or the
        one given to ``start_span(span_id=)``."""
        if self._ids is not None:
            return self._ids[0]
        return span_id_hex(self._otel.get_span_context().span_id)

    @property
    def root_span_id(self) -> str:
        """The id of the trace's root: the OTel trace id as 32 hex digits, or the one
        given to ``start_span(root_span_id=)``."""
        if self._ids is not None:
            return self._ids[1]
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
        ``metadata`` (deeply). A field given as None is left as it was (as the
        official SDK does), so ``@traced`` returning None keeps an output the
        function logged itself.

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
        tag_tuple = check_log_fields("Span.log()", scores, metrics, metadata, tags, id)
        try:
            attrs = self._attrs
            if input is not _MISSING and input is not None:
                attrs[A.INPUT] = json_text(mask("input", input))
            if output is not _MISSING and output is not None:
                attrs[A.OUTPUT] = json_text(mask("output", output))
            if expected is not _MISSING and expected is not None:
                attrs[A.EXPECTED] = json_text(mask("expected", expected))
            if error is not _MISSING and error is not None:
                attrs[A.ERROR] = json_text(mask("error", error))
            if metadata is not None:
                attrs[A.METADATA] = _merge_json(self._previous(A.METADATA),
                                                mask_metadata(metadata), deep=True)
            if scores is not None and (
                    scores := mask_numbers("scores", bools_as_numbers(scores))) is not None:
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
        internal: Mapping[str, Any] | None = None,
        *,
        propagated_event: Mapping[str, Any] | None = None,
        event: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> Span:
        """Starts a child span of this one. Arguments are as for :func:`start_span`
        (``propagated_event`` by keyword only, as in the official SDK's list)."""
        from ._start import _start

        return _start(
            name, type, span_attributes, start_time, set_current, parent, _event(event, fields),
            parent_span=self, where="Span.start_span()", depth=3,
            propagated_event=propagated_event, internal=internal,
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
                # Values encoded here: set without the SDK's per-value checks.
                set_text_attributes(self._otel, self._attrs)
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
        from ._start import link

        return link(self.export(), org_name=org_name, app_url=app_url)

    def log_feedback(self, **event: Any) -> None:
        """Adds feedback to this span's row: as ``Logger.log_feedback`` without the id.

        Args:
            **event: ``scores``, ``expected``, ``tags``, ``comment``, ``metadata``, ``source``.
        """
        from ._span_target import SpanTarget

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
        if _OTEL_SPAN_KEY is not None:
            # What set_span_in_context then set_value make, in one copy of the context.
            ctx = otel_context.Context({**otel_context.get_current(),
                                        _OTEL_SPAN_KEY: self._otel, _SPAN_KEY: self})
        else:
            ctx = otel_context.set_value(_SPAN_KEY, self, trace.set_span_in_context(self._otel))
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
