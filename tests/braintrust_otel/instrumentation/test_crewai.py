"""CrewAI: a crew whose agent calls a tool, in a virtualenv of its own (it needs openai<3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import ancestors, framework_python, run_script

PACKAGES = ["crewai==1.15.30", "openinference-instrumentation-crewai==1.1.21"]
# CrewAI's own telemetry and trace upload would reach for the internet.
ENV = {"CREWAI_DISABLE_TELEMETRY": "true", "CREWAI_TRACING_ENABLED": "false",
       "CREWAI_DISABLE_TRACKING": "true"}

SYSTEM = "You are Forecaster. Terse.\nYour personal goal is: Tell the weather"

SCRIPT = """
import json, os
import braintrust
from braintrust.wrappers.crewai import setup_crewai

turned_on = braintrust.auto_instrument(crewai=False)
assert setup_crewai(project_name="p") is True
from crewai import LLM, Agent, Crew, Task
from crewai.tools import tool

@tool("get_weather")
def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"

model = LLM(model="openai/gpt-4o-mini", base_url=os.environ["FAKE_OPENAI_URL"],
            api_key="sk-fake", temperature=0.1)
agent = Agent(role="Forecaster", goal="Tell the weather", backstory="Terse.",
              tools=[get_weather], llm=model)
task = Task(description="Weather in Paris?", expected_output="One sentence.", agent=agent)
with braintrust.start_span(name="request") as root:
    answer = Crew(agents=[agent], tasks=[task]).kickoff()
braintrust.flush()
print(json.dumps({"turned_on": turned_on, "root": root.span_id, "answer": str(answer)}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("crewai", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"CrewAI cannot be installed here: {exc}")


def test_crew_with_a_tool_call(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url, **ENV})
        assert len(llm.requests) == 2  # the tool call, then the answer
    assert out["turned_on"]["openai"] is True
    assert out["answer"] == FINAL_ANSWER
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    by_id = {r["span_id"]: r for r in rows}

    # The official SDK's names and types: crewai.kickoff > crewai.task > crewai.agent.
    [kickoff] = [r for r in rows if r["span_attributes"]["name"] == "crewai.kickoff"]
    assert kickoff["span_attributes"]["type"] == "task"
    assert kickoff["span_parents"] == [out["root"]]
    assert kickoff["output"]["raw"] == FINAL_ANSWER
    [task] = [r for r in rows if r["span_attributes"]["name"] == "crewai.task"]
    assert task["span_attributes"]["type"] == "task"
    assert task["span_parents"] == [kickoff["span_id"]]
    assert task["input"]["agent"]["role"] == "Forecaster"
    [agent] = [r for r in rows if r["span_attributes"]["name"] == "crewai.agent"]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["span_parents"] == [task["span_id"]]
    assert agent["input"]["task_prompt"].startswith("Weather in Paris?")
    assert agent["output"] == FINAL_ANSWER
    assert agent["metadata"] == {"agent_role": "Forecaster", "agent_goal": "Tell the weather",
                                 "agent_backstory": "Terse.", "agent_llm": "gpt-4o-mini"}

    # CrewAI's model calls are the OpenAI client's: one llm row each, under the agent.
    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert len(llms) == 2
    for row in llms:
        assert ancestors(rows, row)[:3] == ["crewai.agent", "crewai.task", "crewai.kickoff"]
        assert row["metadata"]["model"] == "gpt-4o-mini"
        assert row["metadata"]["provider"] == "openai"
        assert row["metadata"]["temperature"] == 0.1
        assert row["metadata"]["tools"][0]["function"]["name"] == "get_weather"
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 5, 17)
        assert row["input"][0] == {"role": "system", "content": SYSTEM}
        assert "Weather in Paris?" in row["input"][1]["content"]
    first, second = llms
    [call] = first["output"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert second["input"][-1] == {"role": "tool", "tool_call_id": "call_1",
                                   "name": "get_weather", "content": "sunny in Paris"}
    assert second["output"][0]["message"]["content"] == FINAL_ANSWER

    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_attributes"]["name"] == "crewai.tool.get_weather"
    assert ancestors(rows, tool_row)[:2] == ["crewai.agent", "crewai.task"]
    assert tool_row["input"] == {"city": "Paris"}
    assert tool_row["output"] == "sunny in Paris"
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert by_id[lookup["span_parents"][0]] is tool_row
    assert {r["root_span_id"] for r in rows} == {kickoff["root_span_id"]}


def test_official_listener_turns_tracing_on(python: Path, tmp_path: Path) -> None:
    script = SCRIPT.replace(
        'assert setup_crewai(project_name="p") is True\n',
        'braintrust.init_logger(project="p")\n'
        'from braintrust.integrations.crewai import BraintrustCrewAIListener\n'
        'assert BraintrustCrewAIListener().traced is True\n')
    assert script != SCRIPT
    with FakeLLM() as llm:
        run_script(python, script, tmp_path / "store.sqlite",
                   {"FAKE_OPENAI_URL": llm.openai_url, **ENV})
    names = {r["span_attributes"]["name"] for r in stored_rows(tmp_path / "store.sqlite", "p")}
    assert {"crewai.kickoff", "crewai.task", "crewai.agent", "crewai.tool.get_weather"} <= names
