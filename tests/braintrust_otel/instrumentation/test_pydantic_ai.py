"""Pydantic AI: an agent with a tool, the official rows, against the fake provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import wrapt

pytest.importorskip("pydantic_ai")

from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

import braintrust
from braintrust_otel.instrumentation.pydantic_ai import PydanticAIInstrumentor
from tests.conftest import StoreHelper, auto_instrument_only, undo_auto_instrument
from tests.fake_llm import FINAL_ANSWER, FakeLLM


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

    # The official rows: run_sync runs run, each a task row; Pydantic AI's own objects.
    [run_sync] = [r for r in rows if r["span_attributes"]["name"] == "agent_run_sync [weather]"]
    [agent] = [r for r in rows if r["span_attributes"]["name"] == "agent_run [weather]"]
    assert run_sync["span_attributes"]["type"] == agent["span_attributes"]["type"] == "task"
    assert run_sync["span_parents"] == [root.span_id]
    assert agent["span_parents"] == [run_sync["span_id"]]
    assert run_sync["input"]["user_prompt"] == "Weather in Paris?"
    assert run_sync["input"]["instructions"] == "Be terse."
    assert run_sync["input"]["toolsets"][0]["tools"][0]["name"] == "get_weather"
    assert run_sync["metadata"] == {"model": "gpt-4o-mini", "provider": "openai",
                                    "agent_name": "weather", "end_strategy": "graceful",
                                    "output_type": "str"}
    assert run_sync["output"]["output"] == FINAL_ANSWER
    assert run_sync["output"]["response"]["parts"][0]["content"] == FINAL_ANSWER
    assert "prompt_tokens" not in run_sync["metrics"]  # tokens count once, on the llm rows
    assert "prompt_tokens" not in agent["metrics"]

    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["chat gpt-4o-mini"] * 2
    first, second = llms
    for row in llms:
        assert row["span_parents"] == [agent["span_id"]]
        assert row["metadata"]["model"] == "gpt-4o-mini"
        assert row["metadata"]["provider"] == "openai"
        assert row["metadata"]["tools"][0]["function"]["name"] == "get_weather"
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 5, 17)
        assert m["prompt_cached_tokens"] == 2 and m["completion_reasoning_tokens"] == 1
    assert [p["part_kind"] for p in first["input"]["messages"][0]["parts"]] == ["user-prompt"]
    assert first["input"]["messages"][0]["instructions"] == "Be terse."
    assert first["output"]["parts"][0]["part_kind"] == "tool-call"
    assert first["output"]["parts"][0]["args"] == '{"city": "Paris"}'
    assert [m["kind"] for m in second["input"]["messages"]] == ["request", "response",
                                                                 "request"]
    assert second["input"]["messages"][2]["parts"][0]["content"] == "sunny in Paris"
    assert second["output"]["parts"][0]["content"] == FINAL_ANSWER

    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_attributes"]["name"] == "get_weather"
    assert tool_row["span_parents"] == [agent["span_id"]]
    assert tool_row["input"] == {"city": "Paris"}
    assert tool_row["output"] == "sunny in Paris"
    assert tool_row["metadata"] == {"tool_call_id": "call_1"}
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert by_id[lookup["span_parents"][0]] is tool_row
    # root, run_sync, run, 2 model calls, tool, lookup: no provider rows, one tool row
    assert len(rows) == 7
    assert len(llm.requests) == 2


def test_pydantic_ais_own_spans_are_muted_while_instrumented(store: StoreHelper,
                                                              llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    PydanticAIInstrumentor().instrument()
    try:
        # An agent with Pydantic AI's own instrumentation on: its spans would be a
        # second, differently shaped copy of the same run.
        agent = _agent(llm)
        agent.instrument = True
        agent.run_sync("Weather in Paris?")
    finally:
        PydanticAIInstrumentor().uninstrument()
    names = sorted(r["span_attributes"]["name"] for r in store.rows())
    assert names == ["agent_run [weather]", "agent_run_sync [weather]", "chat gpt-4o-mini",
                     "chat gpt-4o-mini", "get_weather", "weather lookup"]


def test_streamed_run_and_model_request_rows(store: StoreHelper, llm: FakeLLM) -> None:
    import asyncio

    braintrust.init_logger(project="p")
    PydanticAIInstrumentor().instrument()
    model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=llm.openai_url,
                                                                   api_key="sk-fake"))
    agent = Agent(model, name="streamer")

    async def main() -> list[str]:
        # Made before the span, entered inside it: the row starts (and nests) on entry.
        manager = agent.run_stream("Say hi")
        with braintrust.start_span(name="outer"):
            async with manager as streamed:
                return [text async for text in streamed.stream_text()]
    try:
        chunks = asyncio.run(main())
    finally:
        PydanticAIInstrumentor().uninstrument()
    assert chunks
    rows = store.rows()
    [run] = [r for r in rows if r["span_attributes"]["name"] == "agent_run_stream [streamer]"]
    [chat] = [r for r in rows if r["span_attributes"]["name"] == "chat gpt-4o-mini"]
    [outer] = [r for r in rows if r["span_attributes"]["name"] == "outer"]
    assert run["span_parents"] == [outer["span_id"]]
    assert chat["span_parents"] == [run["span_id"]]
    assert chat["span_attributes"]["type"] == "llm"
    assert run["input"]["user_prompt"] == "Say hi"
    assert run["output"]["response"]["parts"][0]["content"] == chunks[-1]
    assert "time_to_first_token" in run["metrics"] and "time_to_first_token" in chat["metrics"]
    assert chat["output"]["parts"][0]["content"] == chunks[-1]
    assert len(rows) == 3


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
    try:
        # A run wraps the model class it resolves: uninstrument must unwrap it too.
        _agent(llm).run_sync("Weather in Paris?")
    finally:
        PydanticAIInstrumentor().uninstrument()
    assert not isinstance(OpenAIChatModel.__dict__["request"], wrapt.FunctionWrapper)
    seen = {r["span_id"] for r in store.rows()}
    assert len(seen) == 6
    with braintrust.start_span(name="request"):
        _agent(llm).run_sync("Weather in Paris?")
    # Only the user's own spans (one inside the tool) remain.
    assert sorted(r["span_attributes"]["name"] for r in store.rows()
                  if r["span_id"] not in seen) == ["request", "weather lookup"]


def test_a_failing_tool_marks_its_row_and_the_runs(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=llm.openai_url,
                                                                   api_key="sk-fake"))
    agent = Agent(model, name="weather")

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        raise RuntimeError("station offline")

    PydanticAIInstrumentor().instrument()
    try:
        with pytest.raises(RuntimeError, match="station offline"):
            agent.run_sync("Weather in Paris?")
    finally:
        PydanticAIInstrumentor().uninstrument()
    rows = {r["span_attributes"]["name"]: r for r in store.rows()}
    assert sorted(rows) == ["agent_run [weather]", "agent_run_sync [weather]",
                            "chat gpt-4o-mini", "get_weather"]
    for name in ("get_weather", "agent_run [weather]", "agent_run_sync [weather]"):
        assert "station offline" in rows[name]["error"], name
    assert rows["get_weather"]["input"] == {"city": "Paris"}
    assert not rows["chat gpt-4o-mini"].get("error")


def test_a_model_subclass_is_traced_once_and_unwrapped(store: StoreHelper, llm: FakeLLM) -> None:
    class TunedModel(OpenAIChatModel):  # inherits request: wrapped on both classes
        pass

    braintrust.init_logger(project="p")
    PydanticAIInstrumentor().instrument()
    try:
        _agent(llm).run_sync("Weather in Paris?")
        tuned = TunedModel("gpt-4o-mini", provider=OpenAIProvider(base_url=llm.openai_url,
                                                                  api_key="sk-fake"))
        Agent(tuned, name="tuned").run_sync("Hi")
    finally:
        PydanticAIInstrumentor().uninstrument()
    chats = [r for r in store.rows() if r["span_attributes"]["name"] == "chat gpt-4o-mini"]
    assert len(chats) == 3  # two for the weather agent, one (not two) for the tuned one
    assert "request" not in TunedModel.__dict__
    assert not isinstance(OpenAIChatModel.__dict__["request"], wrapt.FunctionWrapper)


def test_run_stream_sync_row_is_current_until_read_then_released(store: StoreHelper,
                                                                 llm: FakeLLM) -> None:
    from opentelemetry import trace

    braintrust.init_logger(project="p")
    PydanticAIInstrumentor().instrument()
    model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=llm.openai_url,
                                                                   api_key="sk-fake"))
    try:
        with braintrust.start_span(name="outer") as outer:
            before = trace.get_current_span()
            with Agent(model, name="syncer").run_stream_sync("Say hi") as result:
                chunks = list(result.stream_text())
            assert trace.get_current_span() is before  # the run's row is no longer current
    finally:
        PydanticAIInstrumentor().uninstrument()
    assert chunks
    rows = {r["span_attributes"]["name"]: r for r in store.rows()}
    sync_row = rows["agent_run_stream_sync [syncer]"]
    assert sync_row["span_parents"] == [outer.span_id]
    assert rows["agent_run_stream [syncer]"]["span_parents"] == [sync_row["span_id"]]
    assert sync_row["output"]["response"]["parts"][0]["content"] == chunks[-1]
    assert "time_to_first_token" in sync_row["metrics"]
