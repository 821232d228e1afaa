"""Muted instrumentation scopes: spans a library makes by itself kept out of Braintrust.

Strands and ADK are exercised end to end in their own virtualenvs
(test_strands.py and test_adk.py in tests/braintrust_otel/instrumentation/); this
checks the processor's part with a tracer standing in for such a library, in this
process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import braintrust
from braintrust_otel import muting
from braintrust_otel.instrumentation import _llm
from tests.conftest import StoreHelper


@pytest.fixture
def strands_muted() -> Iterator[None]:
    muting.mute("strands")
    yield
    muting.unmute("strands")


def test_muted_spans_are_left_out_and_their_children_reparented(
        store: StoreHelper, strands_muted: None) -> None:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    others = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(others))
    library = provider.get_tracer("strands.telemetry.tracer")
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="request") as root, \
            library.start_as_current_span("invoke_agent a"), \
            library.start_as_current_span("chat", attributes={"gen_ai.operation.name": "chat"}):
        # A muted model-call span does not stand for the call: the provider's row must.
        assert not _llm.active()
        with braintrust.start_span(name="lookup"):
            pass
    braintrust.flush()
    rows = store.by_name()
    assert sorted(rows) == ["lookup", "request"]
    assert rows["lookup"]["span_parents"] == [root.span_id]
    assert rows["lookup"]["root_span_id"] == rows["request"]["root_span_id"]
    # Other processors on the provider still get every span, as they were.
    seen = {s.name: s for s in others.get_finished_spans()}
    others.shutdown()  # it stays on the provider: it records nothing more
    assert {"invoke_agent a", "chat", "lookup"} <= set(seen)
    lookup_parent = seen["lookup"].parent
    assert lookup_parent is not None and lookup_parent.span_id == seen["chat"].context.span_id


def test_unmuted_spans_are_kept(store: StoreHelper) -> None:
    muting.unmute("strands")  # other tests turn the flag off in this process
    library = trace.get_tracer_provider().get_tracer("strands.telemetry.tracer")
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="request"), \
            library.start_as_current_span("chat", attributes={"gen_ai.operation.name": "chat"}):
        assert _llm.active()
    braintrust.flush()
    assert sorted(store.by_name()) == ["chat", "request"]


def test_flag_off_mutes_and_instrumenting_unmutes() -> None:
    from braintrust_otel.instrumentation.strands import StrandsInstrumentor

    try:
        flags: dict[str, Any] = dict.fromkeys(_flags(), False)
        braintrust.auto_instrument(**flags, strands=False)
        assert muting.is_muted("strands.telemetry.tracer")
        StrandsInstrumentor().instrument(skip_dep_check=True)
        assert not muting.is_muted("strands.telemetry.tracer")
        StrandsInstrumentor().uninstrument()
        assert muting.is_muted("strands.telemetry.tracer")
    finally:
        muting.unmute("strands")


def _flags() -> list[str]:
    from braintrust_otel.instrumentation import OFFICIAL_FLAGS

    return [f for f in OFFICIAL_FLAGS if f != "strands"]


def test_child_starting_after_its_muted_parent_ended_is_reparented(
        store: StoreHelper, strands_muted: None) -> None:
    # A task the library spawns may start its span after the library's span ended:
    # its row must still name a parent that exists (the kept ancestor).
    library = trace.get_tracer_provider().get_tracer("strands.telemetry.tracer")
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="request") as root:
        with library.start_as_current_span("invoke_agent a") as agent, \
                library.start_as_current_span("cycle") as cycle:
            pass
        late_ctx = trace.set_span_in_context(cycle)
        tracer = trace.get_tracer_provider().get_tracer("app")
        with tracer.start_as_current_span("late child", context=late_ctx):
            pass
        with tracer.start_as_current_span("late agent child",
                                          context=trace.set_span_in_context(agent)):
            pass
    braintrust.flush()
    rows = store.by_name()
    assert "cycle" not in rows and "invoke_agent a" not in rows
    assert rows["late child"]["span_parents"] == [root.span_id]
    assert rows["late agent child"]["span_parents"] == [root.span_id]


def test_muting_keeps_chosen_span_ids_of_the_kept_ancestor(
        store: StoreHelper, strands_muted: None) -> None:
    # The kept ancestor's row carries a span id the user chose: a child of a muted
    # span must name that id, not the OTel id the ancestor's row never shows.
    library = trace.get_tracer_provider().get_tracer("strands.telemetry.tracer")
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="request", span_id="my-request",
                           root_span_id="my-trace") as root, \
            library.start_as_current_span("invoke_agent a"), \
            library.start_as_current_span("execute_tool t"):
        with braintrust.start_span(name="lookup") as lookup, braintrust.start_span(name="inner"):
            pass
        with logger.start_span(name="chosen", span_id="my-chosen", id="row-1"):
            pass
    braintrust.flush()
    rows = store.by_name()
    assert sorted(rows) == ["chosen", "inner", "lookup", "request"]
    assert root.span_id == "my-request"
    assert rows["request"]["span_id"] == "my-request"
    assert {r["root_span_id"] for r in rows.values()} == {"my-trace"}
    assert rows["lookup"]["span_parents"] == ["my-request"]
    assert rows["inner"]["span_parents"] == [lookup.span_id] == [rows["lookup"]["span_id"]]
    assert lookup.root_span_id == "my-trace"  # what its row says, so its export() too
    assert rows["chosen"]["span_id"] == "my-chosen"
    assert rows["chosen"]["id"] == "row-1"
    assert rows["chosen"]["span_parents"] == ["my-request"]
    # No row names a parent that is not among the rows.
    span_ids = {r["span_id"] for r in rows.values()}
    assert all(set(r["span_parents"] or ()) <= span_ids for r in rows.values())


def test_ended_muted_spans_are_remembered_within_a_bound(strands_muted: None) -> None:
    # Children that start late are rare; a long-running process must not keep every
    # muted span it ever saw.
    from braintrust_otel.processor import _ENDED_MUTED_KEPT, BraintrustSpanProcessor

    exported = InMemorySpanExporter()
    processor = BraintrustSpanProcessor(exported, default_parent="project_name:p")
    provider = TracerProvider()
    provider.add_span_processor(processor)
    library, app = provider.get_tracer("strands.telemetry.tracer"), provider.get_tracer("app")
    with app.start_as_current_span("request") as root:
        for n in range(_ENDED_MUTED_KEPT + 10):
            with library.start_as_current_span(f"cycle {n}") as last:
                pass
    assert len(processor._ended_muted) == _ENDED_MUTED_KEPT
    with app.start_as_current_span("late", context=trace.set_span_in_context(last)):
        pass
    processor.force_flush()
    [late] = [s for s in exported.get_finished_spans() if s.name == "late"]
    assert late.parent is not None and late.parent.span_id == root.get_span_context().span_id
    provider.shutdown()
