"""LiveKit Agents: an AgentSession run in text mode (no room, no audio) with a function tool,
against the fake OpenAI, in a virtualenv of its own (LiveKit's RTC wheel and plugins).

The rows are the official SDK's (checked against it by a twin run); LiveKit's own spans
are left out, with the flag on or off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import framework_python, run_script
from tests.twin import framework_both, skeleton

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


def test_a_session_run_makes_the_official_rows(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
        assert len(llm.requests) == 2
    assert out["turned_on"] == {"openai": True, "livekit_agents": True}
    assert out["events"] == ["FunctionCallEvent", "FunctionCallOutputEvent", "ChatMessageEvent"]
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    # The official SDK's rows; none of LiveKit's own spans (agent_turn, llm_node...).
    assert sorted(r["span_attributes"]["name"] for r in rows) == [
        "Chat Completion", "Chat Completion", "function_tool", "livekit_agent_session",
        "llm_request_run", "llm_request_run", "request", "weather lookup"]

    [session] = _named(rows, "livekit_agent_session")
    assert session["span_attributes"]["type"] == "task"
    assert session["span_parents"] == [out["root"]]
    # The model's metrics events land on the session row.
    meta = session["metadata"]
    assert meta["model"] == "gpt-4o-mini"
    assert meta["provider"].startswith("127.0.0.1:")
    assert meta["label"] == "livekit.plugins.openai.llm.LLM"
    assert meta["request_id"] == "chatcmpl-fakestream"
    assert meta["speech_id"].startswith("speech_")
    counts = meta["livekit_metrics"]
    assert (counts["prompt_tokens"], counts["completion_tokens"], counts["total_tokens"]) \
        == (12, 3, 15)
    assert session["metrics"]["time_to_first_token"] >= 0
    assert "input" not in session or session["input"] is None

    # Each request attempt is a task under the session, the client's llm row inside.
    runs = _named(rows, "llm_request_run")
    llms = _named(rows, "Chat Completion")
    for run, row in zip(runs, llms):
        assert run["span_attributes"]["type"] == "task"
        assert run["span_parents"] == [session["span_id"]]
        assert row["span_attributes"]["type"] == "llm"
        assert row["span_parents"] == [run["span_id"]]
        assert row["metadata"]["model"] == "gpt-4o-mini"
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 3, 15)
    first, second = llms
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    assert first["input"] == [{"role": "system", "content": "Be terse."},
                              {"role": "user", "content": "Weather in Paris?"}]
    assert first["output"][0]["message"]["tool_calls"] == [call]
    assert second["input"][-1] == {"role": "tool", "tool_call_id": "call_1",
                                   "content": "sunny in Paris"}
    assert second["output"][0]["message"]["content"] == FINAL_ANSWER

    [tool] = _named(rows, "function_tool")
    assert tool["span_attributes"]["type"] == "tool"
    assert tool["span_parents"] == [session["span_id"]]
    assert tool["input"] == {"name": "get_weather", "arguments": {"city": "Paris"}}
    assert tool["output"] == {"output": "sunny in Paris", "is_error": False}
    assert tool["metadata"] == {"call_id": "call_1"}
    # As in the official rows, the application's span in the tool is the session's child.
    [lookup] = _named(rows, "weather lookup")
    assert lookup["span_parents"] == [session["span_id"]]


def test_flag_off_leaves_livekit_spans_out(python: Path, tmp_path: Path) -> None:
    script = SCRIPT.replace("braintrust.auto_instrument()",
                            "braintrust.auto_instrument(livekit_agents=False)")
    assert script != SCRIPT
    with FakeLLM() as llm:
        out = run_script(python, script, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
        assert len(llm.requests) == 2
    assert out["turned_on"] == {"openai": True}
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    # What the official SDK logs with livekit_agents=False: the OpenAI client's rows and
    # the application's spans, under their nearest kept ancestor.
    assert sorted(r["span_attributes"]["name"] for r in rows) == [
        "Chat Completion", "Chat Completion", "request", "weather lookup"]
    for row in rows:
        if row["span_attributes"]["name"] != "request":
            assert row["span_parents"] == [out["root"]]
    assert all(r["metrics"]["tokens"] == 15 for r in _named(rows, "Chat Completion"))


def test_rows_match_the_official_sdk(tmp_path: Path) -> None:
    with FakeLLM() as llm:
        official, ours = framework_both("livekit", PACKAGES, SCRIPT, tmp_path,
                                        {"FAKE_OPENAI_URL": llm.openai_url})
    assert official, "the official SDK logged nothing"
    names = ("livekit_agent_session", "function_tool", "llm_request_run")
    assert skeleton(ours, names) == skeleton(official, names)
