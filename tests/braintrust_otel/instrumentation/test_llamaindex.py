"""LlamaIndex: a FunctionAgent with a tool, in a virtualenv of its own (it needs openai<3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import framework_python, run_script

PACKAGES = ["llama-index-core==0.14.25", "llama-index-llms-openai==0.8.3",
            "openinference-instrumentation-llama-index==4.6.1"]

SCRIPT = """
import asyncio, json, os
import braintrust
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.llms.openai import OpenAI

from braintrust.wrappers.llamaindex import setup_llamaindex
turned_on = braintrust.auto_instrument(llamaindex=False)
assert setup_llamaindex(project_name="p") is True
braintrust.init_logger(project="p")

def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"

agent = FunctionAgent(tools=[get_weather], system_prompt="Be terse.",
                      streaming=os.environ.get("STREAMING") == "1",
                      llm=OpenAI(model="gpt-4o-mini", api_base=os.environ["FAKE_OPENAI_URL"],
                                 api_key="sk-fake", max_retries=0, temperature=0.1))

async def main():
    with braintrust.start_span(name="request") as root:
        answer = await agent.run("Weather in Paris?")
    return root.span_id, str(answer)

root_id, answer = asyncio.run(main())
braintrust.flush()
print(json.dumps({"turned_on": turned_on, "root": root_id, "answer": answer}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("llamaindex", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"LlamaIndex cannot be installed here: {exc}")


def _run(python: Path, tmp_path: Path, llm: FakeLLM, **env: str) -> dict[str, Any]:
    return run_script(python, SCRIPT, tmp_path / "store.sqlite",
                      {"FAKE_OPENAI_URL": llm.openai_url, **env})


def test_function_agent_with_a_tool_call(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = _run(python, tmp_path, llm, STREAMING="0")
        assert len(llm.requests) == 2  # the tool call, then the answer
    _check_agent_run(out, stored_rows(tmp_path / "store.sqlite", "p"))


def _check_agent_run(out: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    assert out["turned_on"]["openai"] is True
    assert out["answer"] == FINAL_ANSWER
    by_id = {r["span_id"]: r for r in rows}

    def ancestors(row: dict[str, Any]) -> list[str]:
        names = []
        while row["span_parents"]:
            row = by_id[row["span_parents"][0]]
            names.append(row["span_attributes"]["name"])
        return names

    [agent] = [r for r in rows if r["span_attributes"]["name"] == "FunctionAgent.run"]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["span_parents"] == [out["root"]]

    # One llm row per model call (the OpenAI instrumentor is on and adds none),
    # each under an agent step under the agent run.
    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["OpenAI.achat"] * 2
    for row in llms:
        assert ancestors(row)[:2] == ["BaseWorkflowAgent.run_agent_step", "FunctionAgent.run"]
        assert row["metadata"]["model"] == "gpt-4o-mini"
        assert row["metadata"]["provider"] == "openai"
        assert row["metadata"]["context_window"] == 128000  # LlamaIndex's model metadata
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 5, 17)
    first, second = llms
    system = {"role": "system", "content": "Be terse."}
    user = {"role": "user", "content": "Weather in Paris?"}
    assert first["input"] == [system, user]
    [call] = first["output"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert second["input"][:2] == [system, user]
    assert second["input"][2]["role"] == "assistant"
    assert second["input"][2]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert second["input"][3]["role"] == "tool"
    assert second["input"][3]["content"] == "sunny in Paris"
    assert second["output"][0]["message"] == {"role": "assistant", "content": FINAL_ANSWER}

    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_attributes"]["name"] == "get_weather"
    assert ancestors(tool_row)[:2] == ["BaseWorkflowAgent.call_tool", "FunctionAgent.run"]
    assert tool_row["input"] == {"kwargs": {"city": "Paris"}}
    assert tool_row["output"]["raw_output"] == "sunny in Paris"
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert by_id[lookup["span_parents"][0]] is tool_row
    # Helpers LlamaIndex runs on its LLM object are not model calls.
    helpers = [r for r in rows if r["span_attributes"]["name"] == "OpenAI._prepare_chat_with_tools"]
    assert helpers and all(r["span_attributes"]["type"] == "function" for r in helpers)
    assert {r["root_span_id"] for r in rows} == {agent["root_span_id"]}


def test_content_capture_off(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        _run(python, tmp_path, llm, STREAMING="0", BRAINTRUST_CAPTURE_CONTENT="false")
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    llms = [r for r in rows if r["span_attributes"].get("type") == "llm"]
    assert len(llms) == 2 and all(r["metrics"]["tokens"] == 17 for r in llms)
    text = json.dumps([r.get("input") for r in rows] + [r.get("output") for r in rows])
    assert "Weather in Paris" not in text and FINAL_ANSWER not in text


def test_a_streamed_model_call_is_one_llm_row(python: Path, tmp_path: Path) -> None:
    """LlamaIndex sends a streamed request only when the caller iterates the
    stream, after its LLM span stopped being current: the client's row is the
    call's one llm row, and LlamaIndex's span for the stream method is a task
    (as the official SDK types it)."""
    with FakeLLM() as llm:
        out = _run(python, tmp_path, llm, STREAMING="1")
        assert len(llm.requests) == 2
    assert out["answer"] == FINAL_ANSWER
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    by_id = {r["span_id"]: r for r in rows}
    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["Chat Completion"] * 2
    assert all(r["metrics"]["time_to_first_token"] > 0 for r in llms)
    assert llms[0]["input"][-1] == {"role": "user", "content": "Weather in Paris?"}
    assert llms[0]["output"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert llms[1]["output"][0]["message"]["content"] == FINAL_ANSWER
    streamed = [r for r in rows if r["span_attributes"]["name"] == "OpenAI.astream_chat"]
    assert len(streamed) == 2
    assert {r["span_attributes"]["type"] for r in streamed} == {"task"}
    [agent] = [r for r in rows if r["span_attributes"]["name"] == "FunctionAgent.run"]
    for row in llms:  # inside the agent run, in its trace
        names = []
        while row["span_parents"]:
            row = by_id[row["span_parents"][0]]
            names.append(row["span_attributes"]["name"])
        assert "FunctionAgent.run" in names
    assert {r["root_span_id"] for r in rows} == {agent["root_span_id"]}


HANDLER_SETUP = {
    # Added to the root dispatcher, as the official handler is: the same rows as setup.
    "attached": "get_dispatcher().add_span_handler(BraintrustSpanHandler())\n",
    # Made but never added: LlamaIndex is not traced (the OpenAI client still is).
    "idle": "idle = BraintrustSpanHandler()\n",
    # Added while setup_llamaindex() traces LlamaIndex: no second span.
    "with setup": ('assert setup_llamaindex(project_name="p") is True\n'
                   "get_dispatcher().add_span_handler(BraintrustSpanHandler())\n"),
}


@pytest.mark.parametrize("how", sorted(HANDLER_SETUP))
def test_official_span_handler_traces_where_it_is_attached(python: Path, tmp_path: Path,
                                                           how: str) -> None:
    script = SCRIPT.replace(
        'assert setup_llamaindex(project_name="p") is True\n',
        "from llama_index.core.instrumentation import get_dispatcher\n"
        "from braintrust.integrations.llamaindex import BraintrustSpanHandler\n"
        + HANDLER_SETUP[how])
    assert script != SCRIPT
    with FakeLLM() as llm:
        out = run_script(python, script, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url, "STREAMING": "0"})
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    if how == "idle":
        names = {r["span_attributes"]["name"] for r in rows}
        assert names == {"request", "weather lookup", "Chat Completion"}
    else:
        _check_agent_run(out, rows)
