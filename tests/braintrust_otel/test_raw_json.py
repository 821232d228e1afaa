"""Logged values travel encoded from span.log to the sink: no decode and re-encode on the worker."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import braintrust
from braintrust import _state
from braintrust_otel.customize import SpanCustomizer, set_span_customizers
from braintrust_otel.exporter import BraintrustSpanExporter, map_span
from braintrust_otel.mapping import span_to_row
from braintrust_otel.merge import combine_rows
from braintrust_otel.serialize import JsonText, RawJson, dumps, json_text, plain_row
from tests.conftest import StoreHelper

MESSAGES = [{"role": "user", "content": "héllo"}, {"role": "assistant", "content": "hi"}]


class Collect:
    """A sink that keeps the rows it is given (plain rows: it does not accept RawJson)."""

    def __init__(self, raw: bool = False) -> None:
        self.rows: list[dict[str, Any]] = []
        if raw:
            self.accepts_raw_json = True

    def write(self, rows: Any) -> None:
        self.rows += rows

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def shutdown(self) -> None:
        pass


def _spans(store: StoreHelper, **log: Any) -> list[Any]:
    kept: list[Any] = []
    exporter = _state.exporter()
    real_export = exporter.export

    def export(spans: Any) -> Any:
        kept.extend(spans)
        return real_export(spans)

    exporter.export = export  # type: ignore[method-assign]
    # Spans, not the facade records the processor queues in their place.
    processor = _state.processor()
    processor._records = False
    try:
        logger = braintrust.init_logger(project="p")
        with logger.start_span(name="s") as span:
            span.log(**log)
        braintrust.flush()
    finally:
        del exporter.export
        processor._records = True
    return kept


def test_the_worker_never_decodes_what_the_facade_encoded(
        store: StoreHelper, monkeypatch: pytest.MonkeyPatch) -> None:
    (span,) = _spans(store, input=MESSAGES, output={"text": "hi"})
    decoded: list[str] = []
    real_loads = json.loads

    def counting(text: Any, *a: Any, **k: Any) -> Any:
        decoded.append(text)
        return real_loads(text, *a, **k)

    monkeypatch.setattr(json, "loads", counting)
    row = map_span(span, raw=True)
    text = dumps(row)
    monkeypatch.undo()
    assert decoded == []
    assert isinstance(row["input"], RawJson) and isinstance(row["output"], RawJson)
    assert json.loads(text)["input"] == MESSAGES
    assert json.loads(text)["output"] == {"text": "hi"}
    # The store got the same values, decoded.
    (stored,) = store.rows()
    assert stored["input"] == MESSAGES and stored["output"] == {"text": "hi"}


def test_only_text_dumps_wrote_is_passed_on_unread() -> None:
    provider = TracerProvider(span_limits=SpanLimits(max_attribute_length=8))
    sink = Collect(raw=True)
    provider.add_span_processor(SimpleSpanProcessor(BraintrustSpanExporter(sink)))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("user-json") as s:
        # Plain strings from user code are checked by decoding, as before.
        s.set_attribute("braintrust.output_json", '{"a": 1}')
    with tracer.start_as_current_span("truncated") as s:
        # A length limit cuts the marked text into a plain (invalid) str.
        s.set_attribute("braintrust.input_json", json_text({"long": "x" * 50}))
    with tracer.start_as_current_span("not-json") as s:
        s.set_attribute("braintrust.output_json", "{oops")
    provider.shutdown()
    by_name = {r["span_attributes"]["name"]: r for r in sink.rows}
    assert by_name["user-json"]["output"] == {"a": 1}
    assert by_name["truncated"]["input"] == '{"long":'
    assert by_name["not-json"]["output"] == "{oops"
    for row in sink.rows:
        json.loads(dumps(row))  # every row still encodes to valid JSON


def test_sinks_that_do_not_opt_in_get_plain_rows(store: StoreHelper) -> None:
    (span,) = _spans(store, input=MESSAGES)
    sink = Collect()
    BraintrustSpanExporter(sink).export([span])
    assert sink.rows[0]["input"] == MESSAGES
    assert type(sink.rows[0]["input"]) is list
    # The public mapping function gives plain rows too, unless asked.
    assert type(span_to_row(span)["input"]) is list
    assert type(span_to_row(span, raw=True)["input"]) is RawJson


def test_a_late_log_reaches_a_plain_sink_as_plain_values(store: StoreHelper) -> None:
    sink = Collect()
    _state.exporter().sink = sink
    logger = braintrust.init_logger(project="p")
    span = logger.start_span(name="s")
    span.end()
    span.log(output={"late": True})
    braintrust.flush()
    late = [r for r in sink.rows if r.get("_is_merge")]
    assert late and late[0]["output"] == {"late": True}
    assert all(type(v) is not RawJson for r in sink.rows for v in r.values())


def test_customizers_see_plain_values(store: StoreHelper) -> None:
    seen: list[Any] = []

    class Look(SpanCustomizer):
        def on_span_export(self, data: dict[str, Any]) -> dict[str, Any]:
            seen.append(data.get("input"))
            data["input"] = [m["role"] for m in data["input"]]
            return data

    set_span_customizers([Look()])
    try:
        logger = braintrust.init_logger(project="p")
        with logger.start_span(name="s") as span:
            span.log(input=MESSAGES)
        braintrust.flush()
    finally:
        set_span_customizers(None)
    assert seen == [MESSAGES]
    assert store.rows()[0]["input"] == ["user", "assistant"]


def test_a_merge_into_a_raw_value_still_merges_key_by_key() -> None:
    first = {"id": "r", "input": RawJson(json_text({"a": 1, "b": {"c": 2}}))}
    merge = {"id": "r", "_is_merge": True, "input": {"b": {"d": 3}}}
    (out,) = combine_rows([first, merge])
    assert out["input"] == {"a": 1, "b": {"c": 2, "d": 3}}


def test_raw_values_encode_like_the_values_they_hold() -> None:
    value = {"x": [1, 2.5, None, "é", {"k": True}]}
    row: dict[Any, Any] = {"id": "r", "input": RawJson(json_text(value)), "n": float("nan"),
                           3: "three"}
    assert json.loads(dumps(row)) == {"id": "r", "input": value, "n": "NaN", "3": "three"}
    assert json.loads(dumps({"only": RawJson("[1]")})) == {"only": [1]}
    # Below the top level a raw value is decoded like any other.
    assert json.loads(dumps({"deep": {"in": RawJson("[1]")}})) == {"deep": {"in": [1]}}
    assert plain_row(row)["input"] == value
    assert isinstance(json_text(value), JsonText)


def test_a_lone_surrogate_in_a_raw_value_is_repaired_in_the_store(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="s") as span:
        span.log(input={"text": "bad \ud800 char"})
    (row,) = store.rows()
    assert row["input"] == {"text": "bad \ufffd char"}
