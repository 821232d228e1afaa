"""What the processor queues: its parent check reads a span's attributes however the
span keeps them (the SDK's own dict, or any other mapping), and a facade span waits
as a record of what its row needs, not as the span."""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, Status, StatusCode

from braintrust_otel import attributes as A
from braintrust_otel import diagnostics
from braintrust_otel import processor as processor_module
from braintrust_otel.exporter import BraintrustSpanExporter, map_span
from braintrust_otel.mapping import span_to_row
from braintrust_otel.mapping.facade import facade_record, record_json
from braintrust_otel.parent import DEFAULT_PARENT
from braintrust_otel.processor import BraintrustSpanProcessor
from braintrust_otel.serialize import dumps, json_text
from braintrust_otel.sinks.local import LocalSink


class _Keep:
    """A sink that keeps the rows it is given."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def write(self, rows: Any) -> None:
        self.rows += rows

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def shutdown(self) -> None:
        pass


@pytest.fixture
def processor(monkeypatch: pytest.MonkeyPatch) -> Iterator[BraintrustSpanProcessor]:
    monkeypatch.delenv("BRAINTRUST_PARENT", raising=False)
    # The facade's processor with no logger: its own spans with no parent are not recorded.
    made = BraintrustSpanProcessor(BraintrustSpanExporter(_Keep()), default_parent=lambda: None,
                                   schedule_delay=3600)
    yield made
    made.shutdown()


def _hand_made(attrs: dict[str, Any], scope: str = A.FACADE_SCOPE) -> ReadableSpan:
    # Attributes in a plain dict, as a hand-made or re-parented span keeps them.
    return ReadableSpan(name="s", context=SpanContext(trace_id=5, span_id=6, is_remote=False),
                        attributes=attrs, start_time=10**18, end_time=10**18 + 1,
                        instrumentation_scope=InstrumentationScope(scope, "1"))


def test_own_spans_without_a_parent_are_left_out_whatever_holds_their_attributes(
        processor: BraintrustSpanProcessor) -> None:
    processor.on_end(_hand_made({}))
    processor.on_end(_hand_made({A.INPUT: "1"}))
    assert processor.queued == 0
    processor.on_end(_hand_made({A.PARENT: "project_name:p"}))
    processor.on_end(_hand_made({}, scope="some.lib"))  # not ours: the default parent
    assert processor.queued == 2


def test_sdk_spans_are_stamped_and_queued_through_their_own_attribute_dict(
        processor: BraintrustSpanProcessor) -> None:
    provider = TracerProvider()
    provider.add_span_processor(processor)
    own = provider.get_tracer(A.FACADE_SCOPE)
    with own.start_as_current_span("unparented"):
        pass
    assert processor.queued == 0
    with own.start_as_current_span("parented", attributes={A.PARENT: "project_name:p"}):
        pass
    with provider.get_tracer("some.lib").start_as_current_span("foreign"):
        pass
    assert processor.queued == 2
    assert processor.force_flush()
    sink = processor.exporter.sink  # type: ignore[attr-defined]
    assert sorted(r["span_attributes"]["name"] for r in sink.rows) == ["foreign", "parented"]
    assert {r["_parent"] for r in sink.rows} == {"project_name:p",
                                                 "project_name:default-otel-project"}


def test_a_drain_keeps_every_span_when_the_queue_ends_early(
        processor: BraintrustSpanProcessor) -> None:
    # The queue's length is read before the spans are taken: a span removed
    # meanwhile (the producer's give-up in _wait_for_room) ends the queue
    # early, and the spans taken before that still go out, in order.
    class Shrinking(deque[Any]):
        def __len__(self) -> int:
            return super().__len__() + 2 if super().__len__() else 0

    spans = [_hand_made({A.PARENT: "project_name:p", A.INPUT: str(i)}) for i in range(5)]
    processor._queue = Shrinking(spans)
    processor._batch = 4
    assert processor.force_flush()
    sink = processor.exporter.sink  # type: ignore[attr-defined]
    assert [row["input"] for row in sink.rows] == [0, 1, 2, 3, 4]
    assert not processor._queue


def test_a_facade_span_waits_as_a_record_and_is_freed_as_it_ends(
        processor: BraintrustSpanProcessor) -> None:
    # The queue keeps a facade span as a record (a tuple of what its row
    # needs), not the span: the span's objects are not walked by every
    # garbage collection while the worker is behind, and the row is the one
    # the span would make, error text included.
    provider = TracerProvider()
    provider.add_span_processor(processor)
    own = provider.get_tracer(A.FACADE_SCOPE, "1.2")
    expected, freed = [], []
    for failed in (False, True):
        span = own.start_span("llm", attributes={A.PARENT: "project_name:p"})
        span.set_attribute(A.INPUT, json_text([{"role": "user", "content": "hi"}]))
        if failed:
            span.record_exception(ValueError("boom"))
            span.set_status(Status(StatusCode.ERROR, "boom"))
        span.end()
        assert isinstance(span, ReadableSpan)
        expected.append(span_to_row(span, raw=True))
        freed.append(weakref.ref(span))
        del span
    assert [ref() for ref in freed] == [None, None]
    assert processor.queued == 2
    assert all(type(item) is tuple for item in processor._queue)
    assert processor.force_flush()
    rows = processor.exporter.sink.rows  # type: ignore[attr-defined]
    assert [dumps(row) for row in rows] == [dumps(row) for row in expected]
    assert "ValueError: boom" in rows[1]["error"]
    # Spans of any other scope wait as themselves.
    with provider.get_tracer("some.lib").start_as_current_span("foreign"):
        pass
    assert [type(item) for item in processor._queue] == [ReadableSpan]


def test_another_exporter_is_handed_spans_not_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRAINTRUST_PARENT", raising=False)
    memory = InMemorySpanExporter()
    made = BraintrustSpanProcessor(memory, default_parent="project_name:p", schedule_delay=3600)
    provider = TracerProvider()
    provider.add_span_processor(made)
    with provider.get_tracer(A.FACADE_SCOPE).start_as_current_span("s",
                                                                   attributes={A.INPUT: "1"}):
        pass
    assert made.force_flush()
    (span,) = memory.get_finished_spans()
    assert isinstance(span, ReadableSpan) and span.name == "s"
    made.shutdown()


def test_a_subclass_that_overrides_export_is_handed_spans(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Its export() may read the spans: records only when it opts in itself.
    monkeypatch.delenv("BRAINTRUST_PARENT", raising=False)
    seen: list[type] = []

    class Looking(BraintrustSpanExporter):
        def export(self, spans: Any) -> Any:
            seen.extend(type(span) for span in spans)
            return super().export(spans)

    class OptedIn(Looking):
        maps_facade_records = True

    class Plain(BraintrustSpanExporter):
        pass

    for exporter_class, queued in ((Looking, ReadableSpan), (OptedIn, tuple), (Plain, tuple)):
        made = BraintrustSpanProcessor(exporter_class(_Keep()), default_parent="project_name:p",
                                       schedule_delay=3600)
        provider = TracerProvider()
        provider.add_span_processor(made)
        with provider.get_tracer(A.FACADE_SCOPE).start_as_current_span("s"):
            pass
        assert [type(item) for item in made._queue] == [queued], exporter_class
        assert made.force_flush()
        assert made.exporter.sink.rows[0]["span_attributes"]["name"] == "s"  # type: ignore[attr-defined]
        made.shutdown()
    assert seen == [ReadableSpan, tuple]


def test_a_record_that_cannot_be_made_queues_the_span(
        processor: BraintrustSpanProcessor, monkeypatch: pytest.MonkeyPatch) -> None:
    # on_end runs inside the application's span.end(), which the SDK does not
    # guard: a failure making the record must not reach the application.
    def broken(span: Any, attrs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(processor_module, "facade_record", broken)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    before = diagnostics.counts().get("mapping", 0)
    with provider.get_tracer(A.FACADE_SCOPE).start_as_current_span(
            "s", attributes={A.PARENT: "project_name:p"}):
        pass
    assert diagnostics.counts().get("mapping", 0) == before + 1
    assert [type(item) for item in processor._queue] == [ReadableSpan]
    assert processor.force_flush()
    assert processor.exporter.sink.rows[0]["span_attributes"]["name"] == "s"  # type: ignore[attr-defined]


def test_a_record_the_mapping_fails_on_still_makes_a_row() -> None:
    # Tags the facade would never write (an int): the record's row fails,
    # and the minimal row keeps the ids, the times, the name and why.
    record = facade_record(_hand_made({A.PARENT: "project_name:p", A.TAGS: 5}),
                           {A.PARENT: "project_name:p", A.TAGS: 5})
    assert record is not None
    before = diagnostics.counts().get("mapping", 0)
    row = map_span(record, raw=True)
    assert diagnostics.counts().get("mapping", 0) == before + 1
    assert row["span_id"] == f"{6:016x}" and row["root_span_id"] == f"{5:032x}"
    assert row["span_attributes"] == {"name": "s"} and row["_parent"] == "project_name:p"
    assert row["metrics"] == {"start": 1e9, "end": (10**18 + 1) / 1e9}
    assert row["created"] == "2001-09-09T01:46:40+00:00"
    assert row["error"].startswith("braintrust-otel could not map this span: TypeError")


def test_a_record_left_to_its_row_is_filed_under_its_target_once(tmp_path: Path) -> None:
    # Merged metadata: record_json leaves the record to its row. The target is
    # found once (an invalid parent is reported once) and the row is stored
    # in the default project with the metadata.
    sink = LocalSink(str(tmp_path / "s.sqlite"), notice=False)
    attrs = {A.PARENT: "nonsense", A.METADATA: json_text({"k": 1})}
    record = facade_record(_hand_made(attrs), attrs)
    assert record is not None and record_json(record, "}") is None
    before = diagnostics.counts().get("bad_parent", 0)
    sink.write([record])
    assert diagnostics.counts().get("bad_parent", 0) == before + 1
    object_type, object_id, ids = sink.target(DEFAULT_PARENT)
    [stored] = list(sink.store.rows(object_type, object_id))
    assert stored.data["metadata"] == {"k": 1}
    assert stored.data["project_id"] == ids["project_id"] and "_parent" not in stored.data
    sink.shutdown()
