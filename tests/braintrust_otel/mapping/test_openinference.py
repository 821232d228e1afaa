"""OpenInference: openinference.span.kind, input.value / output.value, llm.*_messages."""

from __future__ import annotations

import pytest

from ._cases import Case, check, table

CASES = {
    "chain": Case(attrs={
        "openinference.span.kind": "CHAIN",
        "input.value": '{"question": "hi"}', "input.mime_type": "application/json",
        "output.value": "hello", "session.id": "s1", "tag.tags": ("a", "b"),
    }, expected={
        "span_attributes": {"name": "op", "type": "task"},
        "input": {"question": "hi"}, "output": "hello",
        "metadata": {"session_id": "s1"}, "tags": ["a", "b"],
    }),
    "tool_named_by_tool_name": Case(attrs={
        "openinference.span.kind": "TOOL", "tool.name": "search",
        "input.value": '{"q": "x"}', "output.value": '["r"]',
    }, expected={"span_attributes": {"name": "search", "type": "tool"},
                 "input": {"q": "x"}, "output": ["r"]}),
    "unknown_kind_is_a_function": Case(
        attrs={"openinference.span.kind": "SOMETHING_NEW"},
        expected={"span_attributes": {"name": "op", "type": "function"}}),
}


@pytest.mark.parametrize("case", table(CASES))
def test_openinference_span(case: Case) -> None:
    check(case)
