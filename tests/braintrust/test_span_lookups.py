"""What starting a facade span looks up again, and that skipping the repeats keeps the rows.

The facade already knows a facade parent's ``braintrust.parent`` and chosen ids,
and the SDK has already found out whether a span has a parent at all; the
lookups that used to repeat this work (context, baggage, the parent's
attributes) are counted here, with the rows they would have decided.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from opentelemetry import baggage, context, trace

import braintrust
from braintrust import _start
from braintrust_otel import attributes as A
from braintrust_otel import processor as processor_module
from tests.conftest import StoreHelper


def _count_parent_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    calls: list[str | None] = []
    real = processor_module.parent_in_context

    def counted(ctx: Any = None) -> str | None:
        found = real(ctx)
        calls.append(found)
        return found

    monkeypatch.setattr(_start, "parent_in_context", counted)
    return calls


def test_a_facade_child_takes_its_parent_from_the_facade_span(
        store: StoreHelper, monkeypatch: pytest.MonkeyPatch) -> None:
    logger = braintrust.init_logger(project="p")
    calls = _count_parent_lookups(monkeypatch)
    # Baggage naming another project: the facade span's own parent still wins, as before.
    token = context.attach(baggage.set_baggage(A.PARENT, "project_name:other"))
    try:
        with logger.start_span(name="outer") as outer, \
                braintrust.start_span(name="inner") as inner:
            inner.log(output=1)
    finally:
        context.detach(token)
    assert calls == []  # no context/baggage/attribute lookup for a facade parent
    rows = store.by_name()
    assert rows["inner"]["span_parents"] == [rows["outer"]["span_id"]]
    assert rows["inner"]["root_span_id"] == rows["outer"]["root_span_id"]
    assert inner.parent == outer.parent


def test_a_facade_child_of_a_foreign_span_still_reads_the_context(
        store: StoreHelper, monkeypatch: pytest.MonkeyPatch) -> None:
    braintrust.init_logger(project="p")
    calls = _count_parent_lookups(monkeypatch)
    tracer = trace.get_tracer("someone-else")
    token = context.attach(baggage.set_baggage(A.PARENT, "project_name:other"))
    try:
        with tracer.start_as_current_span("foreign") as foreign, \
                braintrust.start_span(name="inner") as inner:
            inner.log(output=1)
    finally:
        context.detach(token)
    assert calls == ["project_name:other"]
    rows = store.by_name("other")
    assert rows["inner"]["span_parents"] == [
        format(foreign.get_span_context().span_id, "016x")]


def test_a_traces_first_span_looks_up_no_parent_for_chosen_ids(
        store: StoreHelper, monkeypatch: pytest.MonkeyPatch) -> None:
    logger = braintrust.init_logger(project="p")
    lookups: list[str] = []
    real = trace.get_current_span

    def counted(ctx: Any = None) -> trace.Span:
        lookups.append(sys._getframe(1).f_code.co_name)
        return real(ctx)

    monkeypatch.setattr(trace, "get_current_span", counted)
    with logger.start_span(name="root", root_span_id="chosen-root") as root, \
            root.start_span(name="child"):
        pass
    # The processor's chosen-id check reads the parent only where there is one.
    assert lookups.count(processor_module.inherit_chosen_ids.__name__) == 1
    rows = store.by_name()
    assert rows["root"]["root_span_id"] == "chosen-root"
    assert rows["child"]["root_span_id"] == "chosen-root"
    assert rows["child"]["span_parents"] == [rows["root"]["span_id"]]


def test_making_a_span_current_copies_the_context_once(
        store: StoreHelper, monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.context import Context

    from braintrust._span_object import _SPAN_KEY

    logger = braintrust.init_logger(project="p")
    span = logger.start_span(name="s")
    token = context.attach(context.set_value("user-key", 1))
    before = context.get_current()
    copies: list[int] = []
    real_copy = Context.copy

    def counted(self: Context) -> dict[str, object]:
        copies.append(1)
        return real_copy(self)

    monkeypatch.setattr(Context, "copy", counted)
    with span:
        made = context.get_current()
        copies_inside = len(copies)
        # The same context the two public calls make, keys in the same order.
        expected = context.set_value(_SPAN_KEY, span, trace.set_span_in_context(span.otel_span,
                                                                                before))
        assert trace.get_current_span() is span.otel_span
        assert braintrust.current_span() is span
    context.detach(token)
    assert copies_inside == 0  # one dict built, not set_span_in_context's and set_value's
    assert list(made.items()) == list(expected.items())
    assert made.get("user-key") == 1
