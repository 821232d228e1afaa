"""Braintrust for plain OpenTelemetry code (the official SDK's ``braintrust.otel``).

Every span this package makes is already an OTel span, so these helpers are
thin: they configure the Braintrust processor of ``braintrust_otel`` with the
official SDK's arguments, and move a trace between processes:

- :class:`BraintrustSpanProcessor` / :func:`add_braintrust_span_processor`:
  send a ``TracerProvider``'s spans to Braintrust (the service when an API key
  is set, else the embedded store). When this provider is the global one, the
  ``braintrust`` facade uses the same processor for its own spans.
- :func:`context_from_span_export`: continue a trace from ``span.export()``
  with plain OTel spans.
- :func:`add_span_parent_to_baggage` / :func:`add_parent_to_baggage`, then
  ``opentelemetry.propagate.inject``: put the Braintrust parent into the W3C
  ``baggage`` header next to ``traceparent``.
- :func:`parent_from_headers`: turn received ``traceparent``/``baggage``
  headers into a ``parent=`` for ``start_span``.

``BRAINTRUST_OTEL_COMPAT`` of the official SDK needs no counterpart: facade and
OTel spans always share one context here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Optional

from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace import SpanProcessor as _SdkSpanProcessor
from opentelemetry.sdk.trace.export import SpanExportResult

from braintrust_otel import attributes as A
from braintrust_otel import diagnostics
from braintrust_otel.exporter import BraintrustSpanExporter
from braintrust_otel.parent import default_parent, parse_parent
from braintrust_otel.processor import BraintrustSpanProcessor as _CoreProcessor
from braintrust_otel.processor import is_ai_span
from braintrust_otel.provider import add_braintrust_span_processor as _attach
from braintrust_otel.settings import get_settings
from braintrust_otel.sinks import RowSink

from . import _state
from ._otel_context import (
    _check_str,
    add_parent_to_baggage,
    add_span_parent_to_baggage,
    context_from_span_export,
    parent_from_headers,
)
from ._otel_context import (
    slug_from_headers as slug_from_headers,
)

__all__ = [
    "AISpanProcessor",
    "BraintrustSpanProcessor",
    "OtelExporter",
    "add_braintrust_span_processor",
    "add_parent_to_baggage",
    "add_span_parent_to_baggage",
    "context_from_span_export",
    "is_root_span",
    "parent_from_headers",
]

_log = logging.getLogger("braintrust")

SpanFilter = Callable[[ReadableSpan], Optional[bool]]



def _key(api_key: str | None) -> str | None:
    key = api_key if api_key is not None else get_settings().api_key
    return key if key and key.strip() else None


def _sink(api_key: str | None, api_url: str | None,
          headers: Mapping[str, str] | None) -> RowSink | None:
    """The sink for explicit arguments, or None to let the exporter choose from the env."""
    return _state.sink_for(_key(api_key), api_key is not None, api_url, headers)


class BraintrustSpanProcessor(_CoreProcessor):
    """A span processor that sends every span of a ``TracerProvider`` to Braintrust.

    Spans go to the Braintrust service when an API key is given (or
    ``BRAINTRUST_API_KEY`` is set), else to the embedded local store. Spans
    are mapped to Braintrust rows here (GenAI, OpenInference, OpenLLMetry and
    Braintrust attributes) and delivered with retries and a disk spool; each
    span lands in the project or experiment its context names
    (``braintrust.parent``), else in ``parent``.

    Args:
        api_key: The Braintrust API key; ``BRAINTRUST_API_KEY`` by default.
        parent: Where spans with no Braintrust parent in their context go:
            ``project_name:<name>``, ``project_id:<id>`` or
            ``experiment_id:<id>``; ``BRAINTRUST_PARENT`` by default, then
            ``project_name:default-otel-project``.
        api_url: The Braintrust data API; ``BRAINTRUST_API_URL`` or the one
            login returns by default.
        filter_ai_spans: Keep only AI spans: a name or an attribute starting
            with ``gen_ai.``, ``braintrust.``, ``llm.``, ``ai.`` or ``traceloop.``.
        custom_filter: Called with each finished span: True keeps it, False
            drops it, None leaves the decision to ``filter_ai_spans``.
        headers: More HTTP headers for every request to the service.
        environment: Where the code runs (``{"type": ..., "name": ...}``),
            recorded on each row as ``context.span_origin.environment``.
        SpanProcessor: An OTel span processor class (``SimpleSpanProcessor``,
            ``BatchSpanProcessor``) to queue spans with instead of this
            processor's own queue, which waits for the exporter rather than
            dropping spans.

    Raises:
        TypeError: An argument of the wrong type.
        ValueError: ``parent`` of an unknown form.
    """

    def __init__(
        self,
        api_key: str | None = None,
        parent: str | None = None,
        api_url: str | None = None,
        filter_ai_spans: bool = False,
        custom_filter: SpanFilter | None = None,
        headers: dict[str, str] | None = None,
        environment: Mapping[str, str] | None = None,
        SpanProcessor: type | None = None,
    ) -> None:
        where = "BraintrustSpanProcessor()"
        for value, arg in ((api_key, "api_key"), (parent, "parent"), (api_url, "api_url")):
            _check_str(value, arg, where)
        if parent:
            try:
                parse_parent(parent)
            except ValueError as exc:
                raise ValueError(f"{where}: parent: {exc}") from None
        if custom_filter is not None and not callable(custom_filter):
            raise TypeError(f"{where}: custom_filter must be callable")
        if headers is not None and not isinstance(headers, Mapping):
            raise TypeError(f"{where}: headers must be a dict of str, "
                            f"got {type(headers).__name__}")
        if environment is not None and not isinstance(environment, Mapping):
            raise TypeError(f"{where}: environment must be a dict, "
                            f"got {type(environment).__name__}")
        if SpanProcessor is not None and not isinstance(SpanProcessor, type):
            raise TypeError(f"{where}: SpanProcessor must be a span processor class")
        exporter = BraintrustSpanExporter(_sink(api_key, api_url, headers))
        super().__init__(exporter, default_parent=parent or None,
                         filter_ai_spans=filter_ai_spans, custom_filter=custom_filter)
        self._environment = dict(environment) if environment else None
        self._inner: Any = SpanProcessor(exporter) if SpanProcessor is not None else None

    @property
    def exporter(self) -> Any:
        """The exporter spans are handed to (a ``BraintrustSpanExporter``)."""
        return self._bt_exporter

    @exporter.setter
    def exporter(self, exporter: Any) -> None:
        self._bt_exporter = exporter

    @property
    def processor(self) -> Any:
        """The span processor spans are queued with (this one, or the ``SpanProcessor`` given)."""
        return self._inner if self._inner is not None else self

    def on_start(self, span: SdkSpan, parent_context: Context | None = None) -> None:
        """Stamps the span's Braintrust parent (and environment) when it starts."""
        super().on_start(span, parent_context)
        if self._environment is not None:
            self._stamp_environment(span)
        if self._inner is not None:
            self._inner.on_start(span, parent_context)

    def _stamp_environment(self, span: SdkSpan) -> None:
        try:
            raw = (span.attributes or {}).get(A.CONTEXT)
            found = json.loads(raw) if isinstance(raw, str) and raw else {}
            ctx = found if isinstance(found, dict) else {}
            origin = ctx.setdefault("span_origin", {})
            if isinstance(origin, dict):
                origin.setdefault("environment", self._environment)
                scope = span.instrumentation_scope
                if scope is not None:
                    origin.setdefault("instrumentation", {"name": scope.name})
            span.set_attribute(A.CONTEXT, json.dumps(ctx))
        except Exception as exc:
            diagnostics.report("parent", "could not record the span's environment", exc)

    def on_end(self, span: ReadableSpan) -> None:
        """Queues a finished span for export, unless a filter drops it."""
        if self._inner is None:
            super().on_end(span)
            return
        if (self._filter_ai or self._custom_filter is not None) and not self._keep(span):
            return
        self._inner.on_end(span)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Exports every queued span and delivers what the exporter holds.

        Returns:
            True when everything was handed on in time.
        """
        if self._inner is None:
            return super().force_flush(timeout_millis)
        done = bool(self._inner.force_flush(timeout_millis))
        return self.exporter.force_flush(timeout_millis) and done

    def shutdown(self) -> None:
        """Exports what is queued, then stops."""
        if self._inner is None:
            super().shutdown()
            return
        self._inner.shutdown()


def add_braintrust_span_processor(
    tracer_provider: Any,
    api_key: str | None = None,
    parent: str | None = None,
    api_url: str | None = None,
    filter_ai_spans: bool = False,
    custom_filter: SpanFilter | None = None,
    headers: dict[str, str] | None = None,
    environment: Mapping[str, str] | None = None,
) -> None:
    """Adds a :class:`BraintrustSpanProcessor` to ``tracer_provider``.

    A provider gets one Braintrust processor: when it already has one (the
    ``braintrust`` facade adds one to the global provider on first use), that
    one stays and a warning says so, so no span is exported twice.

    Args:
        tracer_provider: An SDK ``TracerProvider``.
        api_key, parent, api_url, filter_ai_spans, custom_filter, headers, environment:
            As for :class:`BraintrustSpanProcessor`.
    """
    if not hasattr(tracer_provider, "add_span_processor"):
        raise TypeError("add_braintrust_span_processor(): tracer_provider must be an SDK "
                        f"TracerProvider, got {type(tracer_provider).__name__}")
    processor = BraintrustSpanProcessor(
        api_key=api_key, parent=parent, api_url=api_url, filter_ai_spans=filter_ai_spans,
        custom_filter=custom_filter, headers=headers, environment=environment,
    )
    attached = _attach(tracer_provider, processor)
    if attached is not processor:
        _log.warning("braintrust: this TracerProvider already has a Braintrust span "
                     "processor; it is kept and the new one is not added")
        processor.shutdown()


class AISpanProcessor(_SdkSpanProcessor):
    """Wraps a span processor and hands it only AI spans.

    A span is kept when ``custom_filter`` returns True, dropped when it
    returns False; otherwise kept when its name or an attribute starts with
    ``gen_ai.``, ``braintrust.``, ``llm.``, ``ai.`` or ``traceloop.``.

    Args:
        processor: The processor that receives the kept spans.
        custom_filter: Called with each finished span (True, False or None).
    """

    def __init__(self, processor: Any, custom_filter: SpanFilter | None = None) -> None:
        if not hasattr(processor, "on_end"):
            raise TypeError("AISpanProcessor(): processor must be a span processor")
        if custom_filter is not None and not callable(custom_filter):
            raise TypeError("AISpanProcessor(): custom_filter must be callable")
        self._processor = processor
        self._custom_filter = custom_filter

    def on_start(self, span: SdkSpan, parent_context: Context | None = None) -> None:
        """Passes the start on."""
        self._processor.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        """Passes the span on when it is kept."""
        if self._keep(span):
            self._processor.on_end(span)

    def _keep(self, span: ReadableSpan) -> bool:
        if self._custom_filter is not None:
            try:
                verdict = self._custom_filter(span)
            except Exception as exc:
                diagnostics.report("filter", "custom span filter raised; span kept", exc)
                return True
            if verdict is not None:
                return bool(verdict)
        return is_ai_span(span)

    def shutdown(self) -> None:
        """Shuts the wrapped processor down."""
        self._processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flushes the wrapped processor."""
        return bool(self._processor.force_flush(timeout_millis))


class OtelExporter(OTLPSpanExporter):
    """An OTLP/HTTP exporter aimed at Braintrust's ``/otel/v1/traces``.

    For pipelines that want a stock OTLP exporter (or a collector) rather
    than :class:`BraintrustSpanProcessor`; ``braintrust serve`` accepts it
    too. The server maps the spans.

    Args:
        url: The OTLP endpoint; ``{BRAINTRUST_API_URL}/otel/v1/traces`` by default.
        api_key: The API key; ``BRAINTRUST_API_KEY`` by default. Needed to export.
        parent: Where spans without ``braintrust.parent`` land (the
            ``x-bt-parent`` header); ``BRAINTRUST_PARENT``, then
            ``project_name:default-otel-project``.
        headers: More headers for every request.
        **kwargs: Passed to ``OTLPSpanExporter``.
    """

    def __init__(self, url: str | None = None, api_key: str | None = None,
                 parent: str | None = None, headers: dict[str, str] | None = None,
                 **kwargs: Any) -> None:
        for value, arg in ((url, "url"), (api_key, "api_key"), (parent, "parent")):
            _check_str(value, arg, "OtelExporter()")
        base = get_settings().api_url or "https://api.braintrust.dev"
        endpoint = url or f"{base.rstrip('/')}/otel/v1/traces"
        key = _key(api_key)
        self.parent = parent or default_parent()
        sent: dict[str, str] = {}
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        sent.update(headers or {})
        sent["x-bt-parent"] = self.parent
        self._has_key = key is not None
        super().__init__(endpoint=endpoint, headers=sent, **kwargs)

    def export(self, spans: Any) -> SpanExportResult:
        """Sends the spans; without an API key nothing is sent and the loss is reported."""
        if not self._has_key:
            diagnostics.report("dropped", "OtelExporter has no API key (pass api_key= or set "
                               "BRAINTRUST_API_KEY); spans not sent", n=len(spans))
            return SpanExportResult.FAILURE
        return super().export(spans)


def is_root_span(span: Any) -> bool:
    """True when the span has no parent span."""
    return getattr(span, "parent", None) is None
