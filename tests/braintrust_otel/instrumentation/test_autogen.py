"""AutoGen AgentChat: an assistant with a tool, in a virtualenv of its own (autogen-core
pins protobuf 5, the dev set has 7).

The expected rows are the official SDK's (0.48.1, checked running this script):
``<agent>.run`` / ``.run_stream`` task rows, the provider's llm rows and
``<tool>.run`` tool rows right under them, and none of AutoGen's own spans.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import framework_python, run_script

PACKAGES = ["autogen-agentchat==0.7.5", "autogen-ext[openai]==0.7.5"]

SCRIPT = """
import asyncio, json, os
import braintrust
from braintrust.wrappers.autogen import setup_autogen

from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

turned_on = braintrust.auto_instrument(autogen=False)
if os.environ.get("MODE") != "off":
    assert setup_autogen(project_name="p") is True
else:
    braintrust.init_logger(project="p")
# What another exporter on the provider sees: every span, AutoGen's own included.
seen = InMemorySpanExporter()
otel_trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(seen))
from autogen_agentchat.agents import AssistantAgent
from autogen_ext.models.openai import OpenAIChatCompletionClient

async def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"

async def main():
    client = OpenAIChatCompletionClient(model="gpt-4o-mini", api_key="sk-fake", temperature=0.1,
                                        base_url=os.environ["FAKE_OPENAI_URL"])
    agent = AssistantAgent("forecaster", model_client=client, tools=[get_weather],
                           system_message="Be terse.", reflect_on_tool_use=True)
    mode = os.environ.get("MODE", "run")
    with braintrust.start_span(name="request") as root:
        if mode == "stream":
            events = [e async for e in agent.run_stream(task="Weather in Paris?")]
            answer = events[-1].messages[-1].content
        elif mode == "on_messages":
            from autogen_agentchat.messages import TextMessage
            from autogen_core import CancellationToken
            response = await agent.on_messages(
                [TextMessage(content="Weather in Paris?", source="user")], CancellationToken())
            answer = response.chat_message.content
        elif mode == "team":
            from autogen_agentchat.conditions import MaxMessageTermination
            from autogen_agentchat.teams import RoundRobinGroupChat
            team = RoundRobinGroupChat([agent], termination_condition=MaxMessageTermination(2))
            result = await team.run(task="Weather in Paris?")
            answer = result.messages[-1].content
        else:
            result = await agent.run(task="Weather in Paris?")
            answer = result.messages[-1].content
    return root.span_id, answer

root_id, answer = asyncio.run(main())
braintrust.flush()
names = {s.context.span_id: s.name for s in seen.get_finished_spans()}
llm_parents = [names.get(s.parent.span_id) for s in seen.get_finished_spans()
               if s.name == "Chat Completion" and s.parent is not None]
print(json.dumps({"turned_on": turned_on, "root": root_id, "answer": answer,
                  "llm_parents": llm_parents}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("autogen", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"AutoGen cannot be installed here: {exc}")


def test_assistant_with_a_tool_call(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
        assert len(llm.requests) == 2
    assert out["turned_on"]["openai"] is True
    assert out["answer"] == FINAL_ANSWER
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    by_id = {r["span_id"]: r for r in rows}

    [run] = [r for r in rows if r["span_attributes"]["name"] == "forecaster.run"]
    assert run["span_attributes"]["type"] == "task"
    assert run["span_parents"] == [out["root"]]
    assert run["input"] == {"task": "Weather in Paris?"}
    assert run["metadata"] == {"component": "agent", "agent_name": "forecaster",
                               "agent_description": run["metadata"]["agent_description"],
                               "agent_class": "AssistantAgent"}
    messages = run["output"]["messages"]
    assert messages[0] == {"source": "user", "content": "Weather in Paris?",
                           "type": "TextMessage"}
    assert messages[-1] == {"source": "forecaster", "content": FINAL_ANSWER,
                            "type": "TextMessage"}
    _no_autogen_rows(rows)

    # Model calls are the OpenAI client's rows, one per request, under the agent's run.
    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert len(llms) == 2
    for row in llms:
        assert row["span_parents"] == [run["span_id"]]
        assert row["metadata"]["model"] == "gpt-4o-mini"
        assert row["metadata"]["temperature"] == 0.1
        assert row["metrics"]["tokens"] == 17
        assert row["input"][0] == {"role": "system", "content": "Be terse."}
    first, second = llms
    assert first["output"][0]["message"]["tool_calls"][0]["function"] == {
        "name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert second["input"][-1]["role"] == "tool"
    assert second["input"][-1]["content"] == "sunny in Paris"
    assert second["output"][0]["message"]["content"] == FINAL_ANSWER

    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_attributes"]["name"] == "get_weather.run"
    assert tool_row["span_parents"] == [run["span_id"]]
    assert tool_row["input"] == {"city": "Paris"}
    assert tool_row["output"] == "sunny in Paris"
    assert tool_row["metadata"] == {"component": "tool", "tool_name": "get_weather",
                                    "tool_description": "The weather in a city.",
                                    "tool_class": "FunctionTool"}
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert by_id[lookup["span_parents"][0]] is tool_row


def test_run_stream_is_traced(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url, "MODE": "stream"})
        assert len(llm.requests) == 2
    assert out["answer"] == FINAL_ANSWER
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    [run] = [r for r in rows if r["span_attributes"]["name"] == "forecaster.run_stream"]
    assert run["span_attributes"]["type"] == "task"
    assert run["span_parents"] == [out["root"]]
    assert run["input"] == {"task": "Weather in Paris?"}
    assert run["metadata"]["agent_name"] == "forecaster"
    assert "error" not in run or run["error"] is None
    events = run["output"]["events"]
    assert events[0] == {"source": "user", "content": "Weather in Paris?", "type": "TextMessage"}
    assert events[-1]["messages"][-1]["content"] == FINAL_ANSWER  # the TaskResult
    assert "stop_reason" not in events[-1]  # unset: left out, as in the official rows
    assert {"source": "forecaster", "content": FINAL_ANSWER, "type": "TextMessage"} in events
    _no_autogen_rows(rows)
    llms = [r for r in rows if r["span_attributes"].get("type") == "llm"]
    assert len(llms) == 2
    assert all(r["span_parents"] == [run["span_id"]] for r in llms)
    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_parents"] == [run["span_id"]]
    # For other exporters AutoGen's invoke_agent span stays around every turn of the
    # stream, as in run(): the caller handling an event between turns does not take it.
    assert out["llm_parents"] == ["invoke_agent forecaster"] * 2
    # The agent's own on_messages_stream is part of its run, not a span of its own.
    assert [r["span_attributes"]["name"] for r in rows].count("forecaster.run_stream") == 1
    assert not [r for r in rows if r["span_attributes"]["name"] == "forecaster.run"]


def test_on_messages_called_directly_is_a_run(python: Path, tmp_path: Path) -> None:
    # As the official SDK: an agent driven through on_messages() (no run()) is traced as
    # ``<agent>.run`` with the messages in and the Response out; AssistantAgent answers
    # through its on_messages_stream(), a ``<agent>.run_stream`` inside it.
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url, "MODE": "on_messages"})
    assert out["answer"] == FINAL_ANSWER
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    [run] = [r for r in rows if r["span_attributes"]["name"] == "forecaster.run"]
    assert run["span_parents"] == [out["root"]]
    assert run["span_attributes"]["type"] == "task"
    assert run["metadata"]["component"] == "agent"
    user = {"source": "user", "content": "Weather in Paris?", "type": "TextMessage"}
    assert run["input"] == {"messages": [user]}
    answer = {"source": "forecaster", "content": FINAL_ANSWER, "type": "TextMessage"}
    assert run["output"]["chat_message"] == answer
    assert [m["type"] for m in run["output"]["inner_messages"]] == [
        "ToolCallRequestEvent", "ToolCallExecutionEvent"]
    _no_autogen_rows(rows)
    [stream] = [r for r in rows if r["span_attributes"]["name"] == "forecaster.run_stream"]
    assert stream["span_parents"] == [run["span_id"]]
    assert stream["input"] == {"messages": [user]}
    assert stream["output"]["events"][-1]["chat_message"] == answer
    llms = [r for r in rows if r["span_attributes"].get("type") == "llm"]
    assert len(llms) == 2
    assert all(r["span_parents"] == [stream["span_id"]] for r in llms)


def test_a_teams_agent_turns_are_run_stream_spans(python: Path, tmp_path: Path) -> None:
    # A team drives its agents through on_messages_stream(): each turn is a
    # ``<agent>.run_stream`` span, the turn's model calls under it (as the official).
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url, "MODE": "team"})
    assert out["answer"] == FINAL_ANSWER
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    [team_run] = [r for r in rows if r["span_attributes"]["name"] == "RoundRobinGroupChat.run"]
    assert team_run["span_parents"] == [out["root"]]
    assert team_run["input"] == {"task": "Weather in Paris?"}
    assert team_run["metadata"]["participant_names"] == ["forecaster"]
    [team_stream] = [r for r in rows
                     if r["span_attributes"]["name"] == "RoundRobinGroupChat.run_stream"]
    assert team_stream["span_parents"] == [team_run["span_id"]]
    [turn] = [r for r in rows if r["span_attributes"]["name"] == "forecaster.run_stream"]
    # AutoGen's runtime spans between them are left out, as the official has none.
    assert turn["span_parents"] == [team_stream["span_id"]]
    _no_autogen_rows(rows)
    assert turn["input"]["messages"][0]["content"] == "Weather in Paris?"
    assert turn["metadata"]["agent_name"] == "forecaster"
    llms = [r for r in rows if r["span_attributes"].get("type") == "llm"]
    assert len(llms) == 2
    assert all(r["span_parents"] == [turn["span_id"]] for r in llms)


def test_flag_off_leaves_autogens_own_spans_out(python: Path, tmp_path: Path) -> None:
    # auto_instrument(autogen=False): AutoGen still sends its spans to the global
    # provider; as in the official SDK's rows, only the model calls (and the
    # application's spans) are logged.
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url, "MODE": "off"})
    assert out["answer"] == FINAL_ANSWER
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    assert sorted(r["span_attributes"]["name"] for r in rows) == [
        "Chat Completion", "Chat Completion", "request", "weather lookup"]
    assert all(r["span_parents"] == [out["root"]] for r in rows
               if r["span_attributes"]["name"] != "request")


def _no_autogen_rows(rows: list[dict[str, Any]]) -> None:
    """None of AutoGen's own spans (GenAI, runtime messaging) became a row."""
    own = [r["span_attributes"]["name"] for r in rows
           if r["span_attributes"]["name"].startswith(("invoke_agent", "create_agent",
                                                        "execute_tool", "autogen "))]
    assert own == []
