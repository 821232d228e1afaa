"""OTLP/HTTP trace requests (protobuf or JSON) -> spans the mapping understands (pure)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

from google.protobuf.json_format import ParseDict  # type: ignore[import-untyped,unused-ignore]
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode

from braintrust_otel.serialize import decode, repair_row

__all__ = ["parse_request", "spans"]

_KINDS = {1: SpanKind.INTERNAL, 2: SpanKind.SERVER, 3: SpanKind.CLIENT, 4: SpanKind.PRODUCER,
          5: SpanKind.CONSUMER}
_STATUS = {0: StatusCode.UNSET, 1: StatusCode.OK, 2: StatusCode.ERROR}
# A surrogate escape in JSON text: a lone one decodes to a string protobuf refuses.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def parse_request(body: bytes, content_type: str) -> ExportTraceServiceRequest:
    """Decodes an OTLP trace export request.

    Raises:
        ValueError: When the body is not a valid request of that content type.
    """
    request = ExportTraceServiceRequest()
    try:
        if "json" in content_type:
            data = decode(body)
            if _SURROGATE_ESCAPE.search(body):
                # One bad string must not refuse the whole request: it is
                # stored with U+FFFD in place of what UTF-8 cannot hold.
                data = repair_row(data)[0]
            _hex_ids_to_base64(data)
            ParseDict(data, request, ignore_unknown_fields=True)
        else:
            request.ParseFromString(body)
    except Exception as exc:
        raise ValueError(f"not a valid OTLP trace request: {exc}") from None
    return request


_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def _hex_ids_to_base64(data: Any) -> None:
    # OTLP/JSON writes ids as hex; protobuf's JSON form expects base64 bytes.
    for resource_spans in data.get("resourceSpans") or []:
        for scope_spans in resource_spans.get("scopeSpans") or []:
            for span in scope_spans.get("spans") or []:
                for item in [span, *(span.get("links") or [])]:
                    for field in _ID_FIELDS:
                        value = item.get(field)
                        if isinstance(value, str) and value and all(
                                c in "0123456789abcdefABCDEF" for c in value):
                            item[field] = base64.b64encode(bytes.fromhex(value)).decode()


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return tuple(_value(x) for x in v.array_value.values)
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in v.kvlist_value.values}
    if kind == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, kind)


def _attrs(items: Any) -> dict[str, Any]:
    out = {}
    for kv in items:
        value = _value(kv.value)
        # Attribute values must be primitives or sequences of them.
        out[kv.key] = value if not isinstance(value, dict) else str(value)
    return out


def spans(request: ExportTraceServiceRequest) -> Iterator[ReadableSpan]:
    """The request's spans as SDK ``ReadableSpan``s."""
    for resource_spans in request.resource_spans:
        # Built once, from the request: ReadableSpan would otherwise run the
        # SDK's resource detectors for every span.
        resource = Resource(_attrs(resource_spans.resource.attributes))
        for scope_spans in resource_spans.scope_spans:
            scope = InstrumentationScope(scope_spans.scope.name or "otlp",
                                         scope_spans.scope.version or None)
            for s in scope_spans.spans:
                trace_id = int.from_bytes(s.trace_id, "big")
                context = SpanContext(trace_id, int.from_bytes(s.span_id, "big"), is_remote=True)
                parent = (SpanContext(trace_id, int.from_bytes(s.parent_span_id, "big"),
                                      is_remote=True) if s.parent_span_id else None)
                yield ReadableSpan(
                    name=s.name, context=context, parent=parent,
                    attributes=_attrs(s.attributes),
                    events=tuple(Event(e.name, _attrs(e.attributes), e.time_unix_nano)
                                 for e in s.events),
                    kind=_KINDS.get(s.kind, SpanKind.INTERNAL),
                    status=Status(_STATUS.get(s.status.code, StatusCode.UNSET),
                                  s.status.message or None),
                    start_time=s.start_time_unix_nano, end_time=s.end_time_unix_nano,
                    instrumentation_scope=scope, resource=resource)
