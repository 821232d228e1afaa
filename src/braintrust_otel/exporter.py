"""BraintrustSpanExporter: finished spans -> rows -> a sink."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from . import diagnostics
from .customize import customize_row, get_span_customizers
from .mapping import FacadeRecord, fallback_row, record_fallback_row, record_row, span_to_row
from .settings import get_settings
from .sinks import RowSink

__all__ = ["BraintrustSpanExporter", "default_sink", "map_span"]


def default_sink() -> RowSink:
    """The sink chosen by the environment: the Braintrust API when
    ``BRAINTRUST_API_KEY`` is set, else the embedded local store.

    Returns:
        An :class:`~braintrust_otel.sinks.http.HttpSink` or a
        :class:`~braintrust_otel.sinks.local.LocalSink`.
    """
    if get_settings().api_key:
        from .api import ApiConnection
        from .sinks.http import HttpSink

        return HttpSink(ApiConnection())
    from .sinks.local import LocalSink

    return LocalSink()


class BraintrustSpanExporter(SpanExporter):
    """An OTel ``SpanExporter`` that maps spans to Braintrust rows and writes them to a sink.

    It takes spans from any instrumentation. A span that cannot be mapped is
    still written, as a minimal row carrying the mapping error, and counted.

    Args:
        sink: Where rows go; by default chosen by :func:`default_sink`. The
            no-argument form is what ``OTEL_TRACES_EXPORTER=braintrust`` uses.
    """

    #: ``export`` also takes facade records (:func:`~braintrust_otel.mapping.facade.facade_record`)
    #: in place of spans: ``BraintrustSpanProcessor`` then queues those. A
    #: subclass that overrides ``export`` gets spans unless it sets this too.
    maps_facade_records = True

    def __init__(self, sink: RowSink | None = None) -> None:
        self._sink = sink

    @property
    def sink(self) -> RowSink:
        """The sink rows go to (created on first use)."""
        if self._sink is None:
            self._sink = default_sink()
        return self._sink

    @sink.setter
    def sink(self, sink: RowSink) -> None:
        self._sink = sink

    @property
    def rows_per_write(self) -> int | None:
        """The most spans the sink takes per export call when they are queued
        (its ``rows_per_write``), or None; asking does not create the sink."""
        found = getattr(self._sink, "rows_per_write", None)
        return found if isinstance(found, int) and found > 0 else None

    def export(self, spans: Sequence[ReadableSpan | FacadeRecord]) -> SpanExportResult:
        """Maps ``spans`` (or facade records queued in their place) to rows and
        writes them to the sink."""
        try:
            sink = self.sink
            # Sinks that encode rows through serialize.dumps take the facade's
            # JSON as it is; others get plain values (see RowSink).
            raw = bool(getattr(sink, "accepts_raw_json", False))
            # A sink that makes facade records' rows itself (the embedded
            # store writes their JSON directly) gets them as they are.
            customized = bool(get_span_customizers())
            keep = raw and not customized \
                and getattr(sink, "accepts_facade_records", False) is True
            try:
                # Every span in one pass, no per-span wrapper (a call per row).
                rows: list[Any] = [(span if keep else record_row(span, raw))
                                   if isinstance(span, tuple)
                                   else span_to_row(span, raw) for span in spans]
            except Exception:
                # One span the mapping fails on: map each on its own (map_span
                # reports it and keeps a minimal row), the others as before.
                rows = [span if keep and isinstance(span, tuple) else map_span(span, raw)
                        for span in spans]
            if customized:
                rows = [customize_row(row) for row in rows]  # (never raises)
            sink.write(rows)
        except Exception as exc:
            diagnostics.report("dropped", f"sink rejected {len(spans)} rows", exc, n=len(spans))
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Asks the sink to deliver what it holds."""
        return self.sink.flush(timeout_millis / 1000)

    def shutdown(self) -> None:
        """Shuts the sink down."""
        if self._sink is not None:
            self._sink.shutdown()


def map_span(span: ReadableSpan | FacadeRecord, raw: bool = False) -> dict[str, Any]:
    """Maps a span to a row and never raises.

    A span the mapping fails on becomes a minimal row (ids, times, name and
    the error), counted as ``mapping``.

    Args:
        span: A finished span, or a facade record queued in its place.
        raw: See :func:`~braintrust_otel.mapping.span_to_row`.

    Returns:
        The row; it always has ``id``, ``span_id`` and ``root_span_id``.
    """
    try:
        if isinstance(span, tuple):
            return record_row(span, raw)
        return span_to_row(span, raw)
    except Exception as exc:
        diagnostics.report("mapping", "could not map a span; stored it bare", exc)
        if isinstance(span, tuple):
            return record_fallback_row(span, exc)
        return fallback_row(span, exc)
