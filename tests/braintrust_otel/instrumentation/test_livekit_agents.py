"""LiveKit Agents: an AgentSession run in text mode (no room, no audio) with a function tool,
against the fake OpenAI, in a virtualenv of its own (LiveKit's RTC wheel and plugins).

LiveKit traces itself; the instrumentor only keeps each model call one llm row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import ancestors, framework_python, run_script

PACKAGES = ["livekit-agents[openai]==1.8.9"]

SCRIPT = """
import asyncio, json, os
import braintrust

braintrust.init_logger(project="p")
turned_on = braintrust.auto_instrument()
from livekit.agents import Agent, AgentSession, RunContext, function_tool
from livekit.plugins import openai


class Forecaster(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="Be terse.")

    @function_tool
    async def get_weather(self, context: RunContext, city: str) -> str:
        \"\"\"The weather in a city.\"\"\"
        with braintrust.start_span(name="weather lookup"):
            return f"sunny in {city}"


async def main():
    llm = openai.LLM(model="gpt-4o-mini", base_url=os.environ["FAKE_OPENAI_URL"],
                     api_key="sk-fake")
    async with AgentSession(llm=llm) as session:
        await session.start(Forecaster())
        result = await session.run(user_input="Weather in Paris?")
        return [type(e).__name__ for e in result.events]

with braintrust.start_span(name="request") as root:
    events = asyncio.run(main())
braintrust.flush()
print(json.dumps({"turned_on": {k: v for k, v in turned_on.items() if v}, "root": root.span_id,
                  "events": events}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("livekit", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"LiveKit Agents cannot be installed here: {exc}")


def _named(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return sorted((r for r in rows if r["span_attributes"]["name"] == name),
                  key=lambda r: r["metrics"]["start"])


def test_a_session_run_with_a_tool_call_is_one_llm_row_per_model_call(
        python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
        assert len(llm.requests) == 2
    assert out["turned_on"] == {"openai": True, "livekit_agents": True}
    assert out["events"] == ["FunctionCallEvent", "FunctionCallOutputEvent", "ChatMessageEvent"]
    rows = stored_rows(tmp_path / "store.sqlite", "p")

    # One llm row per request: LiveKit's llm_request. Its wrappers are tasks, and the
    # OpenAI plugin's client (instrumented too) adds none.
    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["llm_request", "llm_request"]
    assert not _named(rows, "Chat Completion")
    assert {r["span_attributes"]["type"] for r in _named(rows, "llm_node")} == {"task"}
    assert {r["span_attributes"]["type"] for r in _named(rows, "llm_request_run")} == {"task"}

    first, second = llms
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    for row in llms:
        assert ancestors(rows, row) == ["llm_node", "agent_turn", "agent_session", "request"]
        assert row["metadata"]["model"] == "gpt-4o-mini"
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 3, 15)
        assert m["time_to_first_token"] >= 0
    assert first["input"] == [{"role": "system", "content": "Be terse."},
                              {"role": "user", "content": "Weather in Paris?"}]
    assert first["output"][0]["message"]["tool_calls"] == [call]
    assert second["input"][2:] == [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny in Paris"}]
    assert second["output"][0]["message"] == {"role": "assistant", "content": FINAL_ANSWER}

    [tool] = _named(rows, "get_weather")
    assert tool["span_attributes"]["type"] == "tool"
    assert ancestors(rows, tool) == ["agent_turn", "agent_session", "request"]
    assert tool["input"] == {"city": "Paris"}
    assert tool["output"] == "sunny in Paris"
    [lookup] = _named(rows, "weather lookup")
    assert lookup["span_parents"] == [tool["span_id"]]
