"""set_text_attributes leaves a span's attributes exactly as the SDK's set_attributes would."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import SpanLimits, TracerProvider

from braintrust_otel.serialize import json_text
from braintrust_otel.span_attributes import set_text_attributes
from tests.conftest import StoreHelper

START: dict[str, Any] = {"braintrust.parent": "project_name:p",
                         "braintrust.span_attributes": '{"type":"llm"}', "other": 1}
LOGGED = {"braintrust.input_json": json_text({"q": "héllo"}), "braintrust.output_json": "plain",
          "braintrust.span_attributes": '{"type":"tool"}'}  # set again: moves to the end


def _twins(limits: SpanLimits | None = None) -> tuple[Any, Any]:
    tracer = TracerProvider(span_limits=limits).get_tracer("braintrust")
    return (tracer.start_span("a", attributes=START), tracer.start_span("b", attributes=START))


def _both(attrs: dict[str, Any], limits: SpanLimits | None = None) -> tuple[Any, Any]:
    ours, sdk = _twins(limits)
    set_text_attributes(ours, attrs)
    sdk.set_attributes(attrs)
    return ours, sdk


def test_text_values_are_set_as_the_sdk_sets_them() -> None:
    ours, sdk = _both(LOGGED)
    assert list(ours.attributes.items()) == list(sdk.attributes.items())
    assert list(ours.attributes)[-1] == "braintrust.span_attributes"
    assert type(ours.attributes["braintrust.input_json"]).__name__ == "JsonText"
    assert ours._attributes.dropped == sdk._attributes.dropped == 0


def test_text_values_skip_the_sdk_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    # The direct path does not go through the SDK's per-value cleaning at all.
    ours, _ = _twins()

    def refuse(*args: Any) -> None:
        raise AssertionError("went through BoundedAttributes._set_items")

    monkeypatch.setattr(BoundedAttributes, "_set_items", refuse)
    set_text_attributes(ours, LOGGED)
    assert ours.attributes["braintrust.output_json"] == "plain"


@pytest.mark.parametrize("limits", [
    SpanLimits(max_span_attribute_length=5),  # values cut
    SpanLimits(max_span_attributes=4),  # the oldest dropped to make room
])
def test_limits_give_the_sdk_result(limits: SpanLimits) -> None:
    ours, sdk = _both(LOGGED, limits)
    assert list(ours.attributes.items()) == list(sdk.attributes.items())
    assert ours._attributes.dropped == sdk._attributes.dropped


def test_values_other_than_text_go_through_the_sdk() -> None:
    attrs = {"braintrust.tags": ["a", "b"], "n": 3, "braintrust.input_json": "1"}
    ours, sdk = _both(attrs)
    assert list(ours.attributes.items()) == list(sdk.attributes.items())
    assert ours.attributes["braintrust.tags"] == ("a", "b")


def test_an_ended_span_is_left_alone_with_the_sdk_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    ours, _ = _twins()
    ours.end()
    before = dict(ours.attributes)
    with caplog.at_level(logging.WARNING):
        set_text_attributes(ours, LOGGED)
    assert dict(ours.attributes) == before
    assert "ended span" in caplog.text


def test_a_span_class_with_its_own_set_attributes_is_asked() -> None:
    calls: list[Any] = []

    class Spy:
        _attributes = BoundedAttributes(immutable=False)

        def set_attributes(self, attrs: Any) -> None:
            calls.append(dict(attrs))

    set_text_attributes(Spy(), LOGGED)
    assert calls == [LOGGED]


def test_a_facade_span_sets_its_logged_fields_without_the_sdk_checks(
        store: StoreHelper, monkeypatch: pytest.MonkeyPatch) -> None:
    import braintrust

    logger = braintrust.init_logger(project="p")
    span = logger.start_span(name="s")
    span.log(input={"q": 1}, output="a", metadata={"m": 1})
    calls: list[Any] = []
    original = BoundedAttributes._set_items

    def counting(self: BoundedAttributes, attrs: Any) -> None:
        calls.append(dict(attrs))
        original(self, attrs)

    monkeypatch.setattr(BoundedAttributes, "_set_items", counting)
    span.end()
    monkeypatch.undo()
    assert calls == []
    row = store.by_name()["s"]
    assert (row["input"], row["output"], row["metadata"]) == ({"q": 1}, "a", {"m": 1})



def test_a_failing_direct_path_falls_back_to_set_attributes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # As with an SDK whose private layout moved: the public call sets the values
    # instead of an error leaving the span unended.
    from braintrust_otel import span_attributes

    def moved(span: Any, attrs: Any) -> bool:
        raise AttributeError("'BoundedAttributes' object has no attribute '_immutable'")

    monkeypatch.setattr(span_attributes, "_set_directly", moved)
    ours, sdk = _both(LOGGED)
    assert list(ours.attributes.items()) == list(sdk.attributes.items())
