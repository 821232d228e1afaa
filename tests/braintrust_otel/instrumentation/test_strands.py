"""Strands Agents: an agent with a tool, in a virtualenv of its own (its OpenAI model needs
openai<3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import ancestors, framework_python, run_script

# pip's resolver gives up on strands' opentelemetry-instrumentation-threading
# range against this index without a pin.
PACKAGES = ["strands-agents[openai]==1.62.0", "opentelemetry-instrumentation-threading==0.66b0"]

SCRIPT = """
import json, os
import braintrust
from braintrust.wrappers.strands import setup_strands

turned_on = braintrust.auto_instrument(strands=False)
assert setup_strands(project_name="p") is True
from strands import Agent, tool
from strands.models.openai import OpenAIModel

@tool
def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"

model = OpenAIModel(client_args={"base_url": os.environ["FAKE_OPENAI_URL"], "api_key": "sk-fake"},
                    model_id="gpt-4o-mini", params={"temperature": 0.1})
agent = Agent(name="forecaster", model=model, tools=[get_weather], system_prompt="Be terse.",
              callback_handler=None)
with braintrust.start_span(name="request") as root:
    answer = agent("Weather in Paris?")
braintrust.flush()
print(json.dumps({"turned_on": turned_on, "root": root.span_id, "answer": str(answer)}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("strands", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"Strands cannot be installed here: {exc}")


def test_agent_with_a_tool_call(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
        assert len(llm.requests) == 2
    assert out["turned_on"]["openai"] is True
    assert out["answer"].strip() == FINAL_ANSWER
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    by_id = {r["span_id"]: r for r in rows}

    [agent] = [r for r in rows if r["span_attributes"]["name"] == "invoke_agent forecaster"]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["span_parents"] == [out["root"]]
    assert agent["input"] == [{"role": "system", "content": "Be terse."},
                              {"role": "user", "content": "Weather in Paris?"}]
    assert agent["output"][0]["message"]["content"].strip() == FINAL_ANSWER
    # The agent's usage sums its model calls: counted once, on the llm rows.
    assert "tokens" not in agent["metrics"]

    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["chat", "chat"]
    for row in llms:
        assert ancestors(rows, row) == ["execute_event_loop_cycle", "invoke_agent forecaster",
                                        "request"]
        assert row["metadata"]["model"] == "gpt-4o-mini"
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 3, 15)
    first, second = llms
    system = {"role": "system", "content": "Be terse."}
    user = {"role": "user", "content": "Weather in Paris?"}
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    assert first["input"] == [system, user]
    assert first["output"] == [{"index": 0, "finish_reason": "tool_use",
                                "message": {"role": "assistant", "content": None,
                                            "tool_calls": [call]}}]
    assert second["input"] == [system, user,
                               {"role": "assistant", "content": None, "tool_calls": [call]},
                               {"role": "tool", "tool_call_id": "call_1",
                                "content": "sunny in Paris"}]
    assert second["output"][0]["message"] == {"role": "assistant", "content": FINAL_ANSWER}

    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_attributes"]["name"] == "get_weather"
    assert ancestors(rows, tool_row)[:2] == ["execute_event_loop_cycle",
                                             "invoke_agent forecaster"]
    assert tool_row["input"] == {"city": "Paris"}
    assert tool_row["output"] == "sunny in Paris"
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert by_id[lookup["span_parents"][0]] is tool_row


OFF_SCRIPT = """
import io, json, os, re
from strands.telemetry import StrandsTelemetry

# The application turned Strands' own OTel on (a provider of its own, with an exporter).
console = io.StringIO()
StrandsTelemetry().setup_console_exporter(out=console)
import braintrust
turned_on = braintrust.auto_instrument(strands=False)
braintrust.init_logger(project="p")
from strands import Agent, tool
from strands.models.openai import OpenAIModel

@tool
def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"

model = OpenAIModel(client_args={"base_url": os.environ["FAKE_OPENAI_URL"], "api_key": "sk-fake"},
                    model_id="gpt-4o-mini", params={"temperature": 0.1})
agent = Agent(name="forecaster", model=model, tools=[get_weather], system_prompt="Be terse.",
              callback_handler=None)
with braintrust.start_span(name="request") as root:
    answer = agent("Weather in Paris?")
braintrust.flush()
names = re.findall(r'^    "name": "([^"]*)"', console.getvalue(), re.M)
print(json.dumps({"turned_on": turned_on, "root": root.span_id, "answer": str(answer),
                  "console": names}))
"""


def test_flag_off_leaves_strands_spans_out(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, OFF_SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
        assert len(llm.requests) == 2
    assert "strands" not in out["turned_on"]
    assert out["answer"].strip() == FINAL_ANSWER
    # The application's own exporter still gets every Strands span.
    assert {"invoke_agent forecaster", "chat", "execute_tool get_weather"} <= set(out["console"])
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    by_id = {r["span_id"]: r for r in rows}
    # Braintrust gets what the official SDK logs with strands=False: the OpenAI client's
    # rows, and the application's spans, each under its nearest kept ancestor.
    names = sorted(r["span_attributes"]["name"] for r in rows)
    assert names == ["Chat Completion", "Chat Completion", "request", "weather lookup"]
    for row in rows:
        if row["span_attributes"]["name"] != "request":
            assert row["span_parents"] == [out["root"]]
            assert by_id[out["root"]]["root_span_id"] == row["root_span_id"]
    llms = [r for r in rows if r["span_attributes"].get("type") == "llm"]
    assert all(r["metrics"]["tokens"] == 15 for r in llms)
