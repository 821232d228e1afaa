"""Agno: an agent with a tool, against the fake provider."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("agno")

from agno.agent import Agent
from agno.models.openai import OpenAIChat

import braintrust
from braintrust_otel.instrumentation.agno import AgnoInstrumentor
from tests.conftest import StoreHelper, auto_instrument_only, undo_auto_instrument
from tests.fake_llm import FINAL_ANSWER, FakeLLM

TOOL_CALL = {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLM]:
    monkeypatch.setenv("AGNO_TELEMETRY", "false")  # Agno would report runs to its service
    with FakeLLM() as server:
        yield server


def get_weather(city: str) -> str:
    """The weather in a city."""
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"


def _agent(llm: FakeLLM) -> Agent:
    model = OpenAIChat(id="gpt-4o-mini", base_url=llm.openai_url, api_key="sk-fake",
                       temperature=0.1)
    return Agent(name="forecaster", model=model, tools=[get_weather],
                 instructions="Be terse.", telemetry=False)


def _check(rows: list[dict[str, Any]], root_id: str, run_name: str) -> None:
    by_id = {r["span_id"]: r for r in rows}
    [run] = [r for r in rows if r["span_attributes"]["name"] == run_name]
    assert run["span_attributes"]["type"] == "task"
    assert run["span_parents"] == [root_id]
    assert run["input"] == "Weather in Paris?"
    assert run["output"] == FINAL_ANSWER

    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert len(llms) == 2  # the OpenAI instrumentor is on and adds no rows
    for row in llms:
        assert row["span_attributes"]["name"].startswith("OpenAIChat.")
        assert row["span_parents"] == [run["span_id"]]
        assert row["metadata"]["model"] == "gpt-4o-mini"
        assert row["metadata"]["provider"] == "openai"
        assert row["metadata"]["temperature"] == 0.1
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 5, 17)
        assert m["prompt_cached_tokens"] == 2
    first, second = llms
    system = {"role": "system", "content": "Be terse."}
    user = {"role": "user", "content": "Weather in Paris?"}
    assert first["input"] == [system, user]
    assert first["output"][0]["message"] == {"role": "assistant", "content": None,
                                             "tool_calls": [TOOL_CALL]}
    assert second["input"][:3] == [system, user, {"role": "assistant", "content": None,
                                                  "tool_calls": [TOOL_CALL]}]
    assert second["input"][3]["role"] == "tool"
    assert second["input"][3]["content"] == "sunny in Paris"
    assert second["output"][0]["message"] == {"role": "assistant", "content": FINAL_ANSWER}

    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_attributes"]["name"] == "get_weather"
    assert tool_row["span_parents"] == [run["span_id"]]
    assert tool_row["input"] == {"city": "Paris"}
    assert tool_row["output"] == "sunny in Paris"
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert by_id[lookup["span_parents"][0]] is tool_row


def test_agent_run_with_a_tool_call(store: StoreHelper, llm: FakeLLM) -> None:
    from braintrust.wrappers.agno import setup_agno

    turned_on = auto_instrument_only("openai")
    try:
        assert turned_on["openai"] is True and "agno" not in turned_on
        assert setup_agno(project_name="p") is True
        with braintrust.start_span(name="request") as root:
            assert _agent(llm).run("Weather in Paris?").content == FINAL_ANSWER
    finally:
        AgnoInstrumentor().uninstrument()
        undo_auto_instrument(turned_on)
    assert len(llm.requests) == 2
    _check(store.rows(), root.span_id, "forecaster.run")


def test_async_run(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    AgnoInstrumentor().instrument()

    root_id = ""

    async def main() -> str:
        with braintrust.start_span(name="request") as root:
            out = await _agent(llm).arun("Weather in Paris?")
        nonlocal root_id
        root_id = root.span_id
        return str(out.content)

    try:
        assert asyncio.run(main()) == FINAL_ANSWER
    finally:
        AgnoInstrumentor().uninstrument()
    rows = store.rows()
    [run] = [r for r in rows if r["span_attributes"]["name"].startswith("forecaster.")]
    _check(rows, root_id, run["span_attributes"]["name"])
