"""Pydantic AI: an agent with a tool, its own OTel spans, against the fake provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("pydantic_ai")

from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

import braintrust
from braintrust_otel.instrumentation.pydantic_ai import PydanticAIInstrumentor
from tests.conftest import StoreHelper, auto_instrument_only, undo_auto_instrument
from tests.fake_llm import FINAL_ANSWER, MODEL, FakeLLM

TOOL_CALL = {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def _agent(llm: FakeLLM) -> Agent[None, str]:
    model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=llm.openai_url,
                                                                   api_key="sk-fake"))
    agent = Agent(model, name="weather", instructions="Be terse.")

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        with braintrust.start_span(name="weather lookup"):
            return f"sunny in {city}"

    return agent


def test_agent_run_with_a_tool_call(store: StoreHelper, llm: FakeLLM) -> None:
    from braintrust.wrappers.pydantic_ai import setup_pydantic_ai

    # The OpenAI instrumentor is on too: each model call still makes one llm row.
    turned_on = auto_instrument_only("openai")
    assert turned_on["openai"] is True and "pydantic_ai" not in turned_on
    try:
        assert setup_pydantic_ai(project_name="p") is True
        with braintrust.start_span(name="request") as root:
            result = _agent(llm).run_sync("Weather in Paris?")
    finally:
        PydanticAIInstrumentor().uninstrument()
        undo_auto_instrument(turned_on)
    assert result.output == FINAL_ANSWER
    rows = store.rows()
    by_id = {r["span_id"]: r for r in rows}

    [agent] = [r for r in rows if r["span_attributes"]["name"] == "invoke_agent weather"]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["span_parents"] == [root.span_id]
    assert agent["input"] == [{"role": "system", "content": "Be terse."},
                              {"role": "user", "content": "Weather in Paris?"}]
    assert agent["output"] == FINAL_ANSWER
    assert "prompt_tokens" not in agent["metrics"]  # tokens count once, on the llm rows
    assert not any(k.startswith(("logfire", "pydantic_ai")) for k in agent.get("metadata", {}))

    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["chat gpt-4o-mini"] * 2
    first, second = llms
    for row in llms:
        assert row["span_parents"] == [agent["span_id"]]
        assert row["metadata"]["model"] == MODEL
        assert row["metadata"]["provider"] == "openai"
        assert row["metadata"]["tools"][0]["name"] == "get_weather"
        assert "model_request_parameters" not in row["metadata"]
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 5, 17)
        assert m["prompt_cached_tokens"] == 2 and m["completion_reasoning_tokens"] == 1
    system = {"role": "system", "content": "Be terse."}
    user = {"role": "user", "content": "Weather in Paris?"}
    assert first["input"] == [system, user]
    assert first["output"] == [{"index": 0, "finish_reason": "tool_call",
                                "message": {"role": "assistant", "content": None,
                                            "tool_calls": [TOOL_CALL]}}]
    assert second["input"] == [system, user,
                               {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
                               {"role": "tool", "tool_call_id": "call_1",
                                "content": "sunny in Paris"}]
    assert second["output"] == [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": FINAL_ANSWER}}]

    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_attributes"]["name"] == "get_weather"
    assert tool_row["span_parents"] == [agent["span_id"]]
    assert tool_row["input"] == {"city": "Paris"}
    assert tool_row["output"] == "sunny in Paris"
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert by_id[lookup["span_parents"][0]] is tool_row
    assert len(rows) == 6  # root, agent, 2 model calls, tool, lookup: no provider rows
    assert len(llm.requests) == 2


def test_content_capture_off_keeps_structure(store: StoreHelper, llm: FakeLLM,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAINTRUST_CAPTURE_CONTENT", "false")
    braintrust.init_logger(project="p")
    PydanticAIInstrumentor().instrument()
    try:
        _agent(llm).run_sync("Weather in Paris?")
    finally:
        PydanticAIInstrumentor().uninstrument()
    rows: list[dict[str, Any]] = store.rows()
    llms = [r for r in rows if r["span_attributes"].get("type") == "llm"]
    assert len(llms) == 2
    text = json.dumps(rows)
    assert "Paris" not in text and FINAL_ANSWER not in text and "Be terse" not in text
    assert all(r["metrics"]["tokens"] == 17 for r in llms)


def test_uninstrumented_agents_make_no_rows(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    PydanticAIInstrumentor().instrument()
    PydanticAIInstrumentor().uninstrument()
    with braintrust.start_span(name="request"):
        _agent(llm).run_sync("Weather in Paris?")
    # Only the user's own spans (one inside the tool) remain.
    assert sorted(r["span_attributes"]["name"] for r in store.rows()) == ["request",
                                                                         "weather lookup"]
