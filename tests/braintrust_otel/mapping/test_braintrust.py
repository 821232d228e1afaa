"""braintrust.* attributes (written by the facade or by user code) -> row fields."""

from __future__ import annotations

import pytest

from braintrust_otel.ids import row_id

from ._cases import ABSENT, PARENT, SPAN, TRACE, Case, check, table

CASES = {
    "every_field": Case(name="call", attrs={
        "braintrust.parent": "project_name:p",
        "braintrust.input_json": '{"q": 1}',
        "braintrust.output_json": '"a"',
        "braintrust.expected": '"b"',
        "braintrust.metadata": '{"m": 1}',
        "braintrust.metadata.flat": "yes",
        "braintrust.scores": '{"s": 0.5}',
        "braintrust.metrics": '{"tokens": 3}',
        "braintrust.span_attributes": '{"type": "llm", "purpose": "x"}',
        "braintrust.tags": ("t1", "t2"),
        "braintrust.context_json": '{"caller_lineno": 7}',
        "http.method": "GET",
    }, expected={
        "id": row_id(TRACE, SPAN),
        "span_id": f"{SPAN:016x}",
        "root_span_id": f"{TRACE:032x}",
        "span_parents": [f"{PARENT:016x}"],
        "created": "2023-11-14T22:13:20+00:00",
        "metrics": {"start": 1_700_000_000.0, "end": 1_700_000_001.5, "tokens": 3},
        "input": {"q": 1}, "output": "a", "expected": "b",
        # Leftover foreign attributes join the metadata.
        "metadata": {"m": 1, "flat": "yes", "http.method": "GET"},
        "scores": {"s": 0.5},
        "span_attributes": {"name": "call", "type": "llm", "purpose": "x"},
        "tags": ["t1", "t2"],
        "context.caller_lineno": 7,
        "context.span_origin": {"instrumentation": {"name": "some.lib", "version": "1.2"}},
        "_parent": "project_name:p",
    }),
    "explicit_row_id": Case(attrs={"braintrust.row_id": "custom"},
                            expected={"id": "custom"}),
    "bad_json_kept_as_text": Case(attrs={"braintrust.input_json": "{oops"},
                                  expected={"input": "{oops"}),
    "no_parent_attribute": Case(attrs={"braintrust.input_json": "1"},
                                expected={"input": 1, "_parent": None}),
}


@pytest.mark.parametrize("case", table(CASES))
def test_braintrust_attributes(case: Case) -> None:
    check(case)


def test_no_braintrust_attribute_stays_in_metadata() -> None:
    row = check(CASES["every_field"])
    assert not any(k.startswith("braintrust.") for k in row["metadata"])
    assert check(Case(attrs={}, expected={"metadata": ABSENT}))
