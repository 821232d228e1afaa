"""The table format the mapping tests share: a span's parts in, the row's fields expected out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, Status, StatusCode

from braintrust_otel import span_to_row

TRACE, SPAN, PARENT = 0x0123456789ABCDEF0123456789ABCDEF, 0x1111222233334444, 0x5555666677778888

#: Marks a field the row must not have.
ABSENT = object()


@dataclass(frozen=True)
class Case:
    """One span and what its row must hold.

    ``expected`` maps dotted paths (``"metrics.tokens"``) to values; a path to
    :data:`ABSENT` must be missing from the row.
    """

    attrs: Mapping[str, Any]
    expected: Mapping[str, Any]
    name: str = "op"
    parent: bool = True
    events: Sequence[Event] = ()
    status: Status = field(default_factory=lambda: Status(StatusCode.UNSET))


def make_span(case: Case) -> ReadableSpan:
    """A finished span as the SDK would hand it to an exporter."""
    return ReadableSpan(
        name=case.name,
        context=SpanContext(TRACE, SPAN, is_remote=False),
        parent=SpanContext(TRACE, PARENT, is_remote=False) if case.parent else None,
        attributes=dict(case.attrs),
        events=case.events,
        status=case.status,
        start_time=1_700_000_000_000_000_000,
        end_time=1_700_000_001_500_000_000,
        instrumentation_scope=InstrumentationScope("some.lib", "1.2"),
    )


def table(cases: Mapping[str, Case]) -> list[Any]:
    """``pytest.param``s named by their keys."""
    return [pytest.param(case, id=name) for name, case in cases.items()]


def check(case: Case) -> dict[str, Any]:
    """Maps the case's span and asserts every expected path; returns the row."""
    row = span_to_row(make_span(case))
    for path, want in case.expected.items():
        node: Any = row
        keys = path.split(".")
        for key in keys[:-1]:
            assert isinstance(node, dict) and key in node, f"{path}: no {key!r} in {node!r}"
            node = node[key]
        assert isinstance(node, dict), f"{path}: {node!r} is not an object"
        if want is ABSENT:
            assert keys[-1] not in node, f"{path} should be absent, is {node[keys[-1]]!r}"
        else:
            assert keys[-1] in node, f"{path} missing from {node!r}"
            assert node[keys[-1]] == want, f"{path}: {node[keys[-1]]!r} != {want!r}"
    return row
