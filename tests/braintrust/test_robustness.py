"""Masking, unserialisable values and bad arguments: tracing never breaks the app."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
import uuid
from typing import Any

import pytest

import braintrust
from braintrust_otel import diagnostics
from braintrust_otel.serialize import dumps, loads, sanitize
from tests.conftest import StoreHelper


def test_masking_applies_to_every_field_before_the_span(store: StoreHelper) -> None:
    def mask(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ("***" if k == "password" else v) for k, v in value.items()}
        if isinstance(value, str):
            return value.replace("secret", "[redacted]")
        return value

    braintrust.set_masking_function(mask)
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s") as span:
        span.log(input={"password": "hunter2", "user": "ann"}, output="a secret answer",
                 expected="secret", metadata={"password": "x"}, error="secret error")
        attrs = dict(span.otel_span.attributes or {})  # type: ignore[attr-defined]
    [row] = store.rows()
    assert row["input"] == {"password": "***", "user": "ann"}
    assert row["output"] == "a [redacted] answer"
    assert row["expected"] == "[redacted]"
    assert row["metadata"] == {"password": "***"}
    assert row["error"] == "[redacted] error"
    # Nothing unmasked ever reached the OTel span, which foreign exporters read.
    assert not any("hunter2" in str(v) for v in attrs.values())


def test_masking_failure_leaves_a_marker_not_the_value(
    store: StoreHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(value: Any) -> Any:
        raise RuntimeError("mask bug")

    braintrust.set_masking_function(broken)
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s") as span:
        span.log(input="sensitive", output={"also": "sensitive"})
    [row] = store.rows()
    assert row["input"] == "ERROR: Failed to mask field 'input' - RuntimeError"
    assert row["output"] == "ERROR: Failed to mask field 'output' - RuntimeError"
    assert "sensitive" not in str(row)
    assert diagnostics.counts()["masking"] == 2
    assert "masking function failed" in capsys.readouterr().err


def test_masking_turned_off_with_none(store: StoreHelper) -> None:
    braintrust.set_masking_function(lambda v: "masked")
    braintrust.set_masking_function(None)
    logger = braintrust.init_logger(project="p")
    logger.log(input="plain")
    assert store.rows()[0]["input"] == "plain"


def test_masking_function_must_be_callable() -> None:
    with pytest.raises(TypeError, match="masking_function must be callable"):
        braintrust.set_masking_function("nope")  # type: ignore[arg-type]


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque thing>"


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_unserialisable_values_are_converted(store: StoreHelper) -> None:
    cycle: dict[str, Any] = {"name": "loop"}
    cycle["self"] = cycle
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s") as span:
        span.log(
            input={
                "set": {3, 1, 2},
                "bytes": b"\x00\x01",
                "when": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
                "color": Color.RED,
                "point": Point(1, 2),
                "uuid": uuid.UUID(int=1),
                "opaque": Opaque(),
                "bad_repr": BadRepr(),
                "tuple_key": {(1, 2): "v"},
            },
            output=cycle,
            metadata={"nan": math.nan, "inf": math.inf},
        )
    [row] = store.rows()
    got = row["input"]
    assert got["set"] == [1, 2, 3]
    assert got["bytes"] == "<2 bytes>"
    assert got["when"] == "2024-01-02T03:04:05+00:00"
    assert got["color"] == "red"
    assert got["point"] == {"x": 1, "y": 2}
    assert got["uuid"] == "00000000-0000-0000-0000-000000000001"
    assert got["opaque"] == "<Opaque thing>"
    assert got["bad_repr"] == "<unrepresentable BadRepr>"
    assert got["tuple_key"] == {"(1, 2)": "v"}
    assert row["output"] == {"name": "loop", "self": "<circular reference>"}
    assert row["metadata"] == {"nan": "NaN", "inf": "Infinity"}


def test_sanitize_and_dumps_never_raise() -> None:
    deep: list[Any] = []
    node = deep
    for _ in range(100_000):  # deeper than the C encoder's recursion limit
        node.append([])
        node = node[0]
    assert "max depth" in dumps(deep)
    assert loads(dumps({"a": [1, 2.5, None, True]})) == {"a": [1, 2.5, None, True]}
    assert sanitize(float("-inf")) == "-Infinity"
    assert loads("not json") == "not json"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: braintrust.start_span(type="banana"), ValueError, "type must be one of"),
        (lambda: braintrust.start_span(name=3), TypeError, "name must be a str"),  # type: ignore[arg-type]
        (lambda: braintrust.start_span(span_attributes=[1]), TypeError, "span_attributes"),  # type: ignore[arg-type]
        (lambda: braintrust.start_span(start_time="now"), TypeError, "start_time"),  # type: ignore[arg-type]
        (lambda: braintrust.start_span(parent=123), TypeError, "parent"),  # type: ignore[arg-type]
        (lambda: braintrust.init_logger(project=5), TypeError, "project must be a str"),  # type: ignore[arg-type]
        (lambda: braintrust.init_logger(project_id=b"x"), TypeError, "project_id"),  # type: ignore[arg-type]
        (lambda: braintrust.init_logger(project=""), ValueError, "empty"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(
    store: StoreHelper, call: Any, error: type[Exception], message: str
) -> None:
    braintrust.init_logger(project="p")
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"scores": {"acc": 1.5}}, ValueError, r"scores\['acc'\] must be between 0 and 1"),
        ({"scores": {"acc": "high"}}, TypeError, r"scores\['acc'\] must be a number"),
        ({"scores": [0.5]}, TypeError, "scores must be a dict"),
        ({"metadata": "text"}, TypeError, "metadata must be a dict"),
        ({"metadata": {1: "x"}}, TypeError, "metadata keys must be str"),
        ({"metrics": {"tokens": "many"}}, TypeError, r"metrics\['tokens'\]"),
        ({"tags": "one"}, TypeError, "tags must be a list of str"),
        ({"tags": ["ok", 2]}, TypeError, "tags must be a list of str"),
        ({"id": 7}, TypeError, "id must be a str"),
    ],
)
def test_bad_log_arguments(
    store: StoreHelper, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s") as span, pytest.raises(error, match=message):
        span.log(**kwargs)
    with pytest.raises(TypeError):
        span.log(unknown_field=1)  # type: ignore[call-arg]


def test_none_score_is_allowed(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    logger.log(input=1, scores={"skipped": None})
    assert store.rows()[0]["scores"] == {"skipped": None}


def test_failing_sink_is_counted_and_never_raises(
    store: StoreHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    from braintrust import _state

    class Broken:
        def write(self, rows: Any) -> None:
            raise OSError("disk on fire")

        def flush(self, timeout: float | None = None) -> bool:
            return True

        def shutdown(self) -> None:
            pass

    _state.exporter().sink = Broken()
    logger = braintrust.init_logger(project="p")
    for _ in range(3):
        logger.log(input=1)
    assert braintrust.flush() is False  # rows were dropped since the last flush
    assert diagnostics.counts()["dropped"] == 3
    assert "disk on fire" in capsys.readouterr().err
