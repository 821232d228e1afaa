"""OpenTelemetry GenAI conventions: the current parts form (gen_ai.*.messages) and events."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import Event

from ._cases import Case, check, table

CURRENT = {
    "chat_with_system_instructions": Case(attrs={
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude", "gen_ai.response.model": "claude-3-5",
        "gen_ai.system_instructions": '[{"type": "text", "content": "be brief"}]',
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", '
                                 '"content": "hi"}]}, {"role": "tool", "parts": [{"type": '
                                 '"tool_call_response", "id": "t1", "response": {"ok": 1}}]}]',
        "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "text", '
                                  '"content": "hello"}], "finish_reason": "stop"}]',
        "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 1,
        "gen_ai.response.time_to_first_chunk": 0.25,
    }, expected={
        "input": [{"role": "system", "content": "be brief"},
                  {"role": "user", "content": "hi"},
                  {"role": "tool", "tool_call_id": "t1", "content": '{"ok": 1}'}],
        "output": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "hello"}}],
        "span_attributes.type": "llm",
        # The model that answered wins over the one asked for.
        "metadata.model": "claude-3-5",
        "metrics.tokens": 4, "metrics.time_to_first_token": 0.25,
    }),
    # AgentScope keeps a tool call and its result in one assistant message: in OpenAI
    # form the call comes first, then the tool's answer.
    "call_and_result_in_one_message": Case(attrs={
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": '
                                 '"hi"}]}, {"role": "assistant", "parts": [{"type": '
                                 '"tool_call", "id": "c1", "name": "f", "arguments": {}}, '
                                 '{"type": "tool_call_response", "id": "c1", "response": '
                                 '"done"}]}]',
    }, expected={
        "input": [{"role": "user", "content": "hi"},
                  {"role": "assistant", "content": None, "tool_calls": [
                      {"id": "c1", "type": "function",
                       "function": {"name": "f", "arguments": "{}"}}]},
                  {"role": "tool", "tool_call_id": "c1", "content": "done"}],
    }),
    "execute_tool": Case(attrs={
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search",
        "gen_ai.tool.call.arguments": '{"q": "x"}', "gen_ai.tool.call.result": '["r"]',
    }, expected={
        "span_attributes": {"name": "search", "type": "tool"},
        "input": {"q": "x"}, "output": ["r"],
    }),
}

EVENTS = {
    "system_user_choice": Case(
        attrs={"gen_ai.system": "openai", "gen_ai.request.model": "m"},
        events=(Event("gen_ai.system.message", {"gen_ai.system": "openai", "content": "terse"}),
                Event("gen_ai.user.message", {"gen_ai.system": "openai", "content": "hi"}),
                Event("gen_ai.choice", {"index": 0, "finish_reason": "stop",
                                        "message": '{"role": "assistant", "content": "yo"}'})),
        expected={
            "input": [{"role": "system", "content": "terse"}, {"role": "user", "content": "hi"}],
            "output": [{"index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "yo"}}],
            "span_attributes.type": "llm",
        }),
}


@pytest.mark.parametrize("case", table(CURRENT))
def test_genai_current_form(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", table(EVENTS))
def test_genai_event_form(case: Case) -> None:
    check(case)
