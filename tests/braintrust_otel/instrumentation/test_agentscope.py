"""AgentScope 2: an agent with a tool against the fake OpenAI, in a virtualenv of its own
(AgentScope pulls in a large set of pins: dashscope, anthropic, numpy, ...).

The rows are AgentScope's own spans (its TracingMiddleware, which the
instrumentor adds to every agent); the application passes no middleware.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import ancestors, framework_python, run_script

PACKAGES = ["agentscope==2.0.11"]

SCRIPT = """
import asyncio, json, os
import braintrust

braintrust.init_logger(project="p")
turned_on = braintrust.auto_instrument()
from agentscope.agent import Agent
from agentscope.credential import OpenAICredential
from agentscope.message import Msg, TextBlock
from agentscope.model import OpenAIChatModel
from agentscope.tool import FunctionTool, Toolkit


def get_weather(city: str) -> str:
    \"\"\"The weather in a city.

    Args:
        city: The city.
    \"\"\"
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"


async def main():
    credential = OpenAICredential(api_key="sk-fake", base_url=os.environ["FAKE_OPENAI_URL"])
    model = OpenAIChatModel(credential, model="gpt-4o-mini")
    agent = Agent(name="forecaster", system_prompt="Be terse.", model=model,
                  toolkit=Toolkit(tools=[FunctionTool(get_weather, is_read_only=True)]))
    reply = await agent.reply(Msg(name="user", content=[TextBlock(text="Weather in Paris?")],
                                  role="user"))
    return "".join(getattr(b, "text", "") for b in reply.content)

with braintrust.start_span(name="request") as root:
    answer = asyncio.run(main())
braintrust.flush()
print(json.dumps({"turned_on": {k: v for k, v in turned_on.items() if v}, "root": root.span_id,
                  "answer": answer}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("agentscope", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"AgentScope cannot be installed here: {exc}")


def test_an_agent_reply_with_a_tool_call(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
        assert len(llm.requests) == 2
    assert out["turned_on"]["agentscope"] is True
    assert out["answer"] == FINAL_ANSWER
    rows = stored_rows(tmp_path / "store.sqlite", "p")

    [agent] = [r for r in rows if r["span_attributes"]["name"] == "invoke_agent forecaster"]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["span_parents"] == [out["root"]]
    assert agent["input"] == [{"role": "user", "content": "Weather in Paris?"}]
    assert agent["output"][0]["message"] == {"role": "assistant", "content": FINAL_ANSWER}

    # One llm row per request (the OpenAI client's instrumentor passes through inside
    # AgentScope's chat span).
    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["chat gpt-4o-mini"] * 2
    for row in llms:
        assert row["span_parents"] == [agent["span_id"]]
        assert (row["metadata"]["provider"], row["metadata"]["model"]) == ("openai",
                                                                          "gpt-4o-mini")
        assert [t["name"] for t in row["metadata"]["tools"]] == ["get_weather"]
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 3, 15)
    first, second = llms
    assert first["input"][:2] == [{"role": "system", "content": "Be terse."},
                                  {"role": "user", "content": "Weather in Paris?"}]
    assert first["output"][0]["message"]["tool_calls"] == [
        {"id": "call_1", "type": "function",
         "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]
    # AgentScope keeps the call and its result in one message; the call comes first.
    assert [m["role"] for m in second["input"]] == ["system", "user", "assistant", "tool"]
    assert second["input"][2]["tool_calls"] == first["output"][0]["message"]["tool_calls"]
    assert second["input"][3]["tool_call_id"] == "call_1"
    assert "sunny in Paris" in second["input"][3]["content"]
    assert second["output"][0]["message"] == {"role": "assistant", "content": FINAL_ANSWER}

    [tool] = [r for r in rows if r["span_attributes"]["name"] == "get_weather"]
    assert tool["span_attributes"]["type"] == "tool"
    assert ancestors(rows, tool) == ["invoke_agent forecaster", "request"]
    assert tool["input"] == {"city": "Paris"}
    assert tool["output"]["state"] == "success"
    assert tool["output"]["content"][0]["text"] == "sunny in Paris"
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert lookup["span_parents"] == [tool["span_id"]]
