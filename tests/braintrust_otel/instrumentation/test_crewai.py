"""CrewAI: a crew whose agent calls a tool, in a virtualenv of its own (it needs openai<3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import ancestors, framework_python, run_script
from tests.twin import framework_both

PACKAGES = ["crewai==1.15.30", "openinference-instrumentation-crewai==1.1.21"]
# CrewAI's own telemetry and trace upload would reach for the internet.
ENV = {"CREWAI_DISABLE_TELEMETRY": "true", "CREWAI_TRACING_ENABLED": "false",
       "CREWAI_DISABLE_TRACKING": "true"}

#: A TaskOutput's fields that are set (the official rows leave the None ones out).
TASK_OUTPUT_KEYS = {"agent", "description", "expected_output", "messages", "name",
                    "output_format", "raw", "summary", "tool_failures"}

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
    # As the official rows: no input (no kickoff inputs), the last task's output (its
    # empty fields left out), the crew as metadata.
    assert "input" not in kickoff or kickoff["input"] is None
    assert kickoff["output"]["raw"] == FINAL_ANSWER
    assert set(kickoff["output"]) == TASK_OUTPUT_KEYS
    assert set(kickoff["metadata"]) == {"crew_id", "crew_name", "crew_process", "crew_verbose",
                                        "crew_fingerprint"}
    assert (kickoff["metadata"]["crew_name"], kickoff["metadata"]["crew_process"]) \
        == ("crew", "Process.sequential")
    [task] = [r for r in rows if r["span_attributes"]["name"] == "crewai.task"]
    assert task["span_attributes"]["type"] == "task"
    assert task["span_parents"] == [kickoff["span_id"]]
    assert task["input"] == {"context": ""}
    assert set(task["output"]) == TASK_OUTPUT_KEYS
    assert task["output"]["raw"] == FINAL_ANSWER
    agent_meta = {"agent_role": "Forecaster", "agent_goal": "Tell the weather",
                  "agent_backstory": "Terse.", "agent_llm": "gpt-4o-mini",
                  "agent_allow_delegation": False, "agent_verbose": False}
    task_meta = {"task_description": "Weather in Paris?", "task_expected_output": "One sentence.",
                 "task_async_execution": False, "task_human_input": False}
    assert {k: v for k, v in task["metadata"].items() if not k.endswith("_id")} \
        == {**agent_meta, **task_meta}
    assert {"agent_id", "task_id"} <= set(task["metadata"])
    [agent] = [r for r in rows if r["span_attributes"]["name"] == "crewai.agent"]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["span_parents"] == [task["span_id"]]
    assert agent["input"]["task_prompt"].startswith("Weather in Paris?")
    assert agent["output"] == FINAL_ANSWER
    [listed] = agent["metadata"].pop("tools")
    assert (listed["name"], listed["description"]) == ("get_weather", "The weather in a city.")
    assert agent["metadata"] == task["metadata"]

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
    assert tool_row["metadata"] == {"tool_name": "get_weather"}
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


def _by_name(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """CrewAI's rows by name: type, input and output keys, metadata keys. CrewAI's event
    ids (``crewai_*`` metadata) and the tool's cache and attempt counts come from its
    event bus, which ours does not listen to; they are left out of the comparison."""
    def keys(value: Any) -> Any:
        return sorted(value) if isinstance(value, dict) else type(value).__name__

    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        name = row["span_attributes"]["name"]
        if not name.startswith("crewai.") or name == "crewai.llm":
            continue
        meta = [k for k in row.get("metadata") or {}
                if not k.startswith("crewai_") and k not in ("from_cache", "run_attempts")]
        out.setdefault(name, []).append({
            "type": row["span_attributes"]["type"], "input": keys(row.get("input")),
            "output": keys(row.get("output")), "metadata": sorted(meta)})
    return out


def test_rows_match_the_official_sdk(tmp_path: Path) -> None:
    script = SCRIPT.replace('from braintrust.wrappers.crewai import setup_crewai\n', '').replace(
        'turned_on = braintrust.auto_instrument(crewai=False)\n'
        'assert setup_crewai(project_name="p") is True\n',
        'braintrust.init_logger(project="p")\nturned_on = braintrust.auto_instrument()\n').replace(
        'description="Weather in Paris?"', 'description="Weather in {city}?"').replace(
        ".kickoff()", '.kickoff(inputs={"city": "Paris"})').replace(
        # The official SDK logs from CrewAI's event-bus handlers, on a thread pool: under
        # load some had not run by the flush. Wait for them (a no-op for ours).
        "braintrust.flush()\n",
        "from crewai.events import crewai_event_bus\ncrewai_event_bus.flush()\n"
        "braintrust.flush()\n")
    assert "setup_crewai" not in script and "{city}" in script and "inputs=" in script
    assert "crewai_event_bus.flush()" in script
    for attempt in range(3):
        (tmp_path / str(attempt)).mkdir()
        with FakeLLM() as llm:
            official, ours = framework_both("crewai", PACKAGES, script, tmp_path / str(attempt),
                                            {"FAKE_OPENAI_URL": llm.openai_url, **ENV})
        # The official handlers run in any order on the pool: when the kickoff's end ran
        # first, it dropped the spans still open (a row without its end). Run it again.
        if all(r.get("output") is not None for r in official
               if r["span_attributes"]["name"].startswith("crewai.")):
            break
    # The same rows, but for the official SDK's crewai.llm rows (one more per model call,
    # beside the client's) and where its rows sit (all under the caller: see test above).
    assert _by_name(ours) == _by_name(official)
    [kickoff] = [r for r in ours if r["span_attributes"]["name"] == "crewai.kickoff"]
    assert kickoff["input"] == {"city": "Paris"}  # the crew's inputs, as the official logs
    assert len([r for r in official if r["span_attributes"]["name"] == "crewai.llm"]) == 2
