"""Google ADK: an agent with a tool on Gemini, in a virtualenv of its own (ADK pins
google-genai 2, the dev set has 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import ancestors, framework_python, run_script

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

    [workflow] = [r for r in rows if r["span_attributes"]["name"] == "invoke_workflow forecaster"]
    assert workflow["span_attributes"]["type"] == "task"
    assert workflow["span_parents"] == [out["root"]]
    [agent] = [r for r in rows if r["span_attributes"]["name"] == "invoke_agent forecaster"]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["span_parents"] == [workflow["span_id"]]
    # The runner's message in, the final response out (as the official rows show them).
    assert workflow["input"] == {"new_message": {"role": "user",
                                                 "parts": [{"text": "Weather in Paris?"}]}}
    for row in (workflow, agent):
        assert row["output"]["content"] == {"role": "model", "parts": [{"text": FINAL_ANSWER}]}
        assert row["output"]["author"] == "forecaster"

    # One llm row per Gemini request: the Google GenAI instrumentor is on and adds none.
    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["generate_content gemini-2.0-flash"] * 2
    for row in llms:
        assert row["span_parents"] == [agent["span_id"]]
        assert row["metadata"]["model"] == "gemini-2.0-flash"
        assert row["metadata"]["tools"][0]["name"] == "get_weather"
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (5, 4, 9)
        assert row["input"][0]["role"] == "system"
        assert row["input"][0]["content"].startswith("Be terse.")
        assert row["input"][1] == {"role": "user", "content": "Weather in Paris?"}
    first, second = llms
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    assert first["output"][0]["message"] == {"role": "assistant", "content": None,
                                             "tool_calls": [call]}
    assert second["input"][2] == {"role": "assistant", "content": None, "tool_calls": [call]}
    assert second["input"][3]["role"] == "tool"
    assert "sunny in Paris" in second["input"][3]["content"]
    assert second["output"][0]["message"] == {"role": "assistant", "content": FINAL_ANSWER}

    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_attributes"]["name"] == "get_weather"
    assert ancestors(rows, tool_row)[0] == "invoke_agent forecaster"
    assert tool_row["input"] == {"city": "Paris"}
    assert tool_row["output"] == {"result": "sunny in Paris"}
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


def test_official_wrap_agent_turns_tracing_on(python: Path, tmp_path: Path) -> None:
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
    assert {"invoke_workflow forecaster", "invoke_agent forecaster"} <= names
