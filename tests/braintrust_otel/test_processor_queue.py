"""What the processor queues: its parent check reads a span's attributes however the
span keeps them (the SDK's own dict, or any other mapping)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext

from braintrust_otel import attributes as A
from braintrust_otel.exporter import BraintrustSpanExporter
from braintrust_otel.processor import BraintrustSpanProcessor


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
    class Shrinking(deque[ReadableSpan]):
        def __len__(self) -> int:
            return super().__len__() + 2 if super().__len__() else 0

    spans = [_hand_made({A.PARENT: "project_name:p", A.INPUT: str(i)}) for i in range(5)]
    processor._queue = Shrinking(spans)
    processor._batch = 4
    assert processor.force_flush()
    sink = processor.exporter.sink  # type: ignore[attr-defined]
    assert [row["input"] for row in sink.rows] == [0, 1, 2, 3, 4]
    assert not processor._queue
