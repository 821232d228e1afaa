"""OpenLLMetry / Traceloop: traceloop.* entities and the legacy indexed gen_ai.prompt.N form."""

from __future__ import annotations

import pytest

from ._cases import Case, check, table

CASES = {
    "legacy_indexed_llm_span": Case(name="anthropic.chat", attrs={
        "llm.request.type": "chat",
        "gen_ai.system": "Anthropic",
        "gen_ai.request.model": "claude-3",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "be brief",
        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "weather?",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.finish_reason": "tool_use",
        "gen_ai.completion.0.tool_calls.0.id": "t1",
        "gen_ai.completion.0.tool_calls.0.name": "weather",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Paris"}',
        "gen_ai.usage.prompt_tokens": 7, "gen_ai.usage.completion_tokens": 3,
        "llm.usage.total_tokens": 10, "gen_ai.usage.cache_read_input_tokens": 2,
    }, expected={
        "span_attributes": {"name": "anthropic.chat", "type": "llm"},
        "input": [{"role": "system", "content": "be brief"},
                  {"role": "user", "content": "weather?"}],
        "output": [{"index": 0, "finish_reason": "tool_use", "message": {
            "role": "assistant", "content": None,
            "tool_calls": [{"id": "t1", "type": "function",
                            "function": {"name": "weather", "arguments": '{"city": "Paris"}'}}]}}],
        # Every gen_ai.* / llm.* attribute is consumed: none is left in the metadata.
        "metadata": {"provider": "Anthropic", "model": "claude-3", "temperature": 0.5,
                     "request_type": "chat"},
        "metrics.prompt_tokens": 7, "metrics.completion_tokens": 3, "metrics.tokens": 10,
        "metrics.prompt_cached_tokens": 2,
    }),
    "workflow": Case(parent=False, attrs={
        "traceloop.span.kind": "workflow", "traceloop.entity.name": "answer_question",
        "traceloop.entity.input": '{"args": ["hi"], "kwargs": {}}',
        "traceloop.entity.output": '"hello"', "traceloop.workflow.name": "qa",
        "traceloop.association.properties.user_id": "u1",
    }, expected={
        "span_attributes": {"name": "answer_question", "type": "task"},
        "input": {"args": ["hi"], "kwargs": {}},
        "output": "hello",
        "metadata": {"workflow": "qa", "user_id": "u1"},
    }),
    "tool": Case(attrs={"traceloop.span.kind": "tool", "traceloop.entity.name": "search"},
                 expected={"span_attributes": {"name": "search", "type": "tool"}}),
}


@pytest.mark.parametrize("case", table(CASES))
def test_openllmetry_span(case: Case) -> None:
    check(case)
