"""Google ADK: an agent with a tool on Gemini, in a virtualenv of its own (ADK pins
google-genai 2, the dev set has 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import framework_python, run_script
from tests.twin import framework_both, skeleton

PACKAGES = ["google-adk==2.13.0"]

SCRIPT = """
import asyncio, json, os
import braintrust
from braintrust.wrappers.adk import setup_adk

turned_on = braintrust.auto_instrument(adk=False)
assert setup_adk(project_name="p") is True
from google.adk.agents import Agent
from google.adk.runners import InMemoryRunner
from google.genai import types

def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"

agent = Agent(name="forecaster", model="gemini-2.0-flash", instruction="Be terse.",
              tools=[get_weather])
runner = InMemoryRunner(agent=agent, app_name="app")

async def main():
    session = await runner.session_service.create_session(app_name="app", user_id="u")
    texts = []
    with braintrust.start_span(name="request") as root:
        message = types.Content(role="user", parts=[types.Part(text="Weather in Paris?")])
        async for event in runner.run_async(user_id="u", session_id=session.id,
                                            new_message=message):
            for part in (event.content.parts if event.content else None) or []:
                if part.text:
                    texts.append(part.text)
    return root.span_id, texts

root_id, texts = asyncio.run(main())
braintrust.flush()
print(json.dumps({"turned_on": turned_on, "root": root_id, "texts": texts}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("adk", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"ADK cannot be installed here: {exc}")


def test_agent_with_a_tool_call(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite", {
            "GOOGLE_GEMINI_BASE_URL": llm.google_url, "GOOGLE_API_KEY": "fake-key",
            "GOOGLE_GENAI_USE_VERTEXAI": "false"})
        assert len(llm.requests) == 2
    assert out["turned_on"]["google_genai"] is True
    assert out["texts"] == [FINAL_ANSWER]
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    by_id = {r["span_id"]: r for r in rows}

    # The official SDK's rows: invocation > agent_run > call_llm > llm_call [kind] > the
    # Gemini client's llm row, and the tool under the model call that chose it.
    assert sorted(r["span_attributes"]["name"] for r in rows) == [
        "agent_run [forecaster]", "call_llm", "generate_content", "generate_content",
        "invocation [app]", "llm_call [response_generation]", "llm_call [tool_selection]",
        "request", "tool [get_weather]", "weather lookup"]
    [invocation] = [r for r in rows if r["span_attributes"]["name"] == "invocation [app]"]
    assert invocation["span_attributes"]["type"] == "task"
    assert invocation["span_parents"] == [out["root"]]
    assert invocation["input"] == {"new_message": {"role": "user",
                                                   "parts": [{"text": "Weather in Paris?"}]}}
    assert set(invocation["metadata"]) == {"app_name", "user_id", "session_id", "state_delta"}
    assert (invocation["metadata"]["app_name"], invocation["metadata"]["user_id"]) == ("app", "u")
    [agent] = [r for r in rows if r["span_attributes"]["name"] == "agent_run [forecaster]"]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["span_parents"] == [invocation["span_id"]]
    assert agent["metadata"] == {"agent_name": "forecaster"}
    # The final response out (as the official rows show it).
    for row in (invocation, agent):
        assert row["output"]["content"] == {"role": "model", "parts": [{"text": FINAL_ANSWER}]}
        assert row["output"]["author"] == "forecaster"
    [flow] = [r for r in rows if r["span_attributes"]["name"] == "call_llm"]
    assert flow["span_parents"] == [agent["span_id"]]
    assert flow["metadata"] == {"flow_class": "AutoFlow"}
    assert flow["output"]["content"]["parts"] == [{"text": FINAL_ANSWER}]

    calls = sorted((r for r in rows if r["span_attributes"]["name"].startswith("llm_call")),
                   key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"] for r in calls] == [
        {"name": "llm_call [tool_selection]", "type": "task", "llm_call_type": "tool_selection"},
        {"name": "llm_call [response_generation]", "type": "task",
         "llm_call_type": "response_generation"}]
    for call in calls:
        assert call["span_parents"] == [flow["span_id"]]
        assert call["input"]["model"] == "gemini-2.0-flash"
        assert call["input"]["config"]["system_instruction"].startswith("Be terse.")
        assert call["input"]["contents"][0] == {"role": "user",
                                                "parts": [{"text": "Weather in Paris?"}]}
        assert {k: v for k, v in call["metadata"].items() if k != "tools"} == {
            "flow_class": "AutoFlow", "model": "gemini-2.0-flash", "provider": "google"}
        assert call["metadata"]["tools"][0]["function_declarations"][0]["name"] == "get_weather"
        assert call["metrics"]["time_to_first_token"] >= 0
    selection, generation = calls
    assert selection["output"]["content"]["parts"] == [
        {"function_call": {"id": "call_1", "name": "get_weather", "args": {"city": "Paris"}}}]
    assert generation["output"]["content"]["parts"] == [{"text": FINAL_ANSWER}]

    # One llm row per Gemini request: the Google GenAI client's, under its model call.
    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["generate_content"] * 2
    for row, call in zip(llms, calls):
        assert row["span_parents"] == [call["span_id"]]
        assert row["metadata"]["model"] == "gemini-2.0-flash"
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (5, 4, 9)

    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_attributes"]["name"] == "tool [get_weather]"
    assert tool_row["span_parents"] == [selection["span_id"]]
    assert tool_row["input"] == {"tool_name": "get_weather", "arguments": {"city": "Paris"}}
    assert tool_row["output"] == "sunny in Paris"
    assert tool_row["metadata"] == {"tool_class": "FunctionTool"}
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert by_id[lookup["span_parents"][0]] is tool_row


def test_flag_off_leaves_adk_spans_out(python: Path, tmp_path: Path) -> None:
    script = SCRIPT.replace('turned_on = braintrust.auto_instrument(adk=False)\n'
                            'assert setup_adk(project_name="p") is True\n',
                            'turned_on = braintrust.auto_instrument(adk=False)\n'
                            'braintrust.init_logger(project="p")\n')
    assert script != SCRIPT
    with FakeLLM() as llm:
        out = run_script(python, script, tmp_path / "store.sqlite", {
            "GOOGLE_GEMINI_BASE_URL": llm.google_url, "GOOGLE_API_KEY": "fake-key",
            "GOOGLE_GENAI_USE_VERTEXAI": "false"})
        assert len(llm.requests) == 2
    assert "adk" not in out["turned_on"]
    assert out["texts"] == [FINAL_ANSWER]
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    # What the official SDK logs with adk=False: the Gemini client's rows and the
    # application's spans, each under its nearest kept ancestor.
    names = sorted(r["span_attributes"]["name"] for r in rows)
    assert names == ["generate_content", "generate_content", "request", "weather lookup"]
    for row in rows:
        if row["span_attributes"]["name"] != "request":
            assert row["span_parents"] == [out["root"]]
    llms = [r for r in rows if r["span_attributes"].get("type") == "llm"]
    assert len(llms) == 2 and all(r["metrics"]["tokens"] == 9 for r in llms)


def test_official_wrap_agent_traces_agent_runs_only(python: Path, tmp_path: Path) -> None:
    script = SCRIPT.replace(
        'assert setup_adk(project_name="p") is True\n'
        'from google.adk.agents import Agent\n',
        'braintrust.init_logger(project="p")\n'
        'from google.adk.agents import Agent\n'
        'from braintrust.wrappers.adk import wrap_agent\n'
        'assert wrap_agent(Agent) is Agent\n')
    assert script != SCRIPT
    with FakeLLM() as llm:
        run_script(python, script, tmp_path / "store.sqlite", {
            "GOOGLE_GEMINI_BASE_URL": llm.google_url, "GOOGLE_API_KEY": "fake-key",
            "GOOGLE_GENAI_USE_VERTEXAI": "false"})
    names = {r["span_attributes"]["name"] for r in stored_rows(tmp_path / "store.sqlite", "p")}
    # The agent's runs, not the runner's nor the flow's (not wrapped), as in the official SDK.
    assert "agent_run [forecaster]" in names
    assert not names & {"invocation [app]", "call_llm"}


def test_rows_match_the_official_sdk(tmp_path: Path) -> None:
    script = SCRIPT.replace('turned_on = braintrust.auto_instrument(adk=False)\n'
                            'assert setup_adk(project_name="p") is True\n',
                            'braintrust.init_logger(project="p")\n'
                            'turned_on = braintrust.auto_instrument()\n')
    assert script != SCRIPT
    with FakeLLM() as llm:
        official, ours = framework_both("adk", PACKAGES, script, tmp_path, {
            "GOOGLE_GEMINI_BASE_URL": llm.google_url, "GOOGLE_API_KEY": "fake-key",
            "GOOGLE_GENAI_USE_VERTEXAI": "false"})
    names = ("invocation [app]", "agent_run [forecaster]", "call_llm",
             "llm_call [tool_selection]", "llm_call [response_generation]",
             "tool [get_weather]", "generate_content")
    ours_tree, official_tree = skeleton(ours, names), skeleton(official, names)
    # The Gemini client's llm rows too: the call's arguments in, the reply out.
    assert ours_tree == official_tree


def test_sync_run_stays_in_the_callers_trace(python: Path, tmp_path: Path) -> None:
    # Runner.run drives run_async in a thread of its own, which ADK gives the caller's context.
    script = SCRIPT.replace(
        'root_id, texts = asyncio.run(main())\n',
        'session = asyncio.run(runner.session_service.create_session(app_name="app",'
        ' user_id="u"))\n'
        'with braintrust.start_span(name="request") as root:\n'
        '    message = types.Content(role="user", parts=[types.Part(text="Weather in Paris?")])\n'
        '    texts = [p.text for e in runner.run(user_id="u", session_id=session.id,'
        ' new_message=message) for p in ((e.content.parts if e.content else None) or [])'
        ' if p.text]\n'
        'root_id = root.span_id\n')
    assert script != SCRIPT
    with FakeLLM() as llm:
        out = run_script(python, script, tmp_path / "store.sqlite", {
            "GOOGLE_GEMINI_BASE_URL": llm.google_url, "GOOGLE_API_KEY": "fake-key",
            "GOOGLE_GENAI_USE_VERTEXAI": "false"})
    assert out["texts"] == [FINAL_ANSWER]
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    [invocation] = [r for r in rows if r["span_attributes"]["name"] == "invocation [app]"]
    assert invocation["span_parents"] == [out["root"]]
    assert {r["root_span_id"] for r in rows} == {invocation["root_span_id"]}


WORKFLOW = """
import asyncio, json
import braintrust
braintrust.init_logger(project="p")
braintrust.auto_instrument()
from google.adk.runners import InMemoryRunner
from google.adk.tools import FunctionTool
from google.adk.workflow import START, Workflow
from google.genai import types

def where(node_input: str) -> dict:
    return {"city": "Paris"}

def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"

workflow = Workflow(name="wf", edges=[(START, where), (where, FunctionTool(get_weather))])
runner = InMemoryRunner(node=workflow, app_name="app")

async def main():
    session = await runner.session_service.create_session(app_name="app", user_id="u")
    with braintrust.start_span(name="request"):
        message = types.Content(role="user", parts=[types.Part(text="hi")])
        return [getattr(e, "output", None) async for e in runner.run_async(
            user_id="u", session_id=session.id, new_message=message)]

outputs = asyncio.run(main())
braintrust.flush()
print(json.dumps({"outputs": outputs}))
"""


def test_workflow_rows_match_the_official_sdk(tmp_path: Path) -> None:
    official, ours = framework_both("adk", PACKAGES, WORKFLOW, tmp_path,
                                    {"GOOGLE_API_KEY": "fake-key"})
    names = ("invocation [app]", "workflow [wf]", "workflow_node [where]",
             "workflow_node [get_weather]", "tool [get_weather]")
    tree = skeleton(ours, names)
    assert tree == skeleton(official, names)
    # The workflow's nodes nest under it (ADK starts each in a task of its own), a tool
    # node's tool call under the node.
    node = "request/invocation [app]/workflow [wf]/workflow_node"
    assert sorted(tree) == [
        "request", "request/invocation [app]", "request/invocation [app]/workflow [wf]",
        f"{node} [get_weather]", f"{node} [get_weather]/tool [get_weather]",
        f"{node} [get_weather]/tool [get_weather]/weather lookup", f"{node} [where]"]
    by_name = {r["span_attributes"]["name"]: r for r in ours}
    assert by_name["workflow_node [where]"]["output"] == {"city": "Paris"}
    assert by_name["workflow_node [get_weather]"]["metadata"] == {
        "node_name": "get_weather", "node_class": "_ToolNode"}
    tool = by_name["tool [get_weather]"]
    assert tool["input"] == {"tool_name": "get_weather", "arguments": {"city": "Paris"}}
    assert tool["output"] == "sunny in Paris"
