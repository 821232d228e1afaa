"""The Vercel AI SDK for Python (``ai``): an agent with a tool against the fake OpenAI.

``ai`` needs Python 3.12+, so it runs in ``.venv-ai_sdk`` built with a
``python3.12`` (PATH or pyenv); the test skips where there is none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import ancestors, framework_python, run_script

PACKAGES = ["ai[openai]==0.8.0"]

SCRIPT = """
import asyncio, json, os
import braintrust

braintrust.init_logger(project="p")
turned_on = braintrust.auto_instrument()
import ai


@ai.tool
async def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"


async def main():
    provider = ai.get_provider(
        "openai", base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-fake",
        protocol=ai.providers.openai.OpenAIChatCompletionsProtocol())
    model = ai.Model(id="gpt-4o-mini", provider=provider)
    agent = ai.Agent(tools=[get_weather])
    messages = [ai.system_message("Be terse."), ai.user_message("Weather in Paris?")]
    text = []
    async with agent.run(model, messages) as stream:
        async for event in stream:
            if isinstance(event, ai.events.TextDelta):
                text.append(event.chunk)
    return "".join(text)

with braintrust.start_span(name="request") as root:
    answer = asyncio.run(main())
braintrust.flush()
print(json.dumps({"turned_on": {k: v for k, v in turned_on.items() if v}, "root": root.span_id,
                  "answer": answer}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("ai_sdk", PACKAGES, base="python3.12")
    except RuntimeError as exc:
        pytest.skip(f"the AI SDK cannot be installed here: {exc}")


SETUP_SCRIPT = """
import asyncio, json, os
import braintrust

turned_on = braintrust.setup_ai_sdk(project_name="p")
import ai


async def main():
    provider = ai.get_provider(
        "openai", base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-fake",
        protocol=ai.providers.openai.OpenAIChatCompletionsProtocol())
    model = ai.Model(id="gpt-4o-mini", provider=provider)
    agent = ai.Agent(tools=[])
    async with agent.run(model, [ai.user_message("Weather in Paris?")]) as stream:
        async for _ in stream:
            pass

asyncio.run(main())
braintrust.flush()
print(json.dumps({"turned_on": turned_on}))
"""


def test_setup_ai_sdk_starts_a_logger_and_traces(python: Path, tmp_path: Path) -> None:
    """The official top-level ``setup_ai_sdk``: no ``init_logger`` needed before it."""
    with FakeLLM() as llm:
        out = run_script(python, SETUP_SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
    assert out["turned_on"] is True
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    names = [r["span_attributes"]["name"] for r in rows]
    assert "invoke_agent Agent" in names
    assert [r for r in rows if r["span_attributes"].get("type") == "llm"]


def test_an_agent_run_with_a_tool_call(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
        assert len(llm.requests) == 2
    assert out["turned_on"] == {"openai": True, "ai_sdk": True}
    assert out["answer"] == FINAL_ANSWER
    rows = stored_rows(tmp_path / "store.sqlite", "p")

    [agent] = [r for r in rows if r["span_attributes"]["name"] == "invoke_agent Agent"]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["span_parents"] == [out["root"]]
    prompt = [{"role": "system", "content": "Be terse."},
              {"role": "user", "content": "Weather in Paris?"}]
    assert agent["input"] == prompt
    assert agent["output"][0]["message"] == {"role": "assistant", "content": FINAL_ANSWER}

    # One llm row per request: the SDK's chat span; the OpenAI client's instrumentor
    # passes through inside it.
    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["chat gpt-4o-mini"] * 2
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    for row in llms:
        assert ancestors(rows, row) == ["loop_turn", "invoke_agent Agent", "request"]
        assert row["metadata"]["provider"] == "openai"
        assert row["metadata"]["model"] == "gpt-4o-mini-2024-07-18"  # the response's
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 3, 15)
        assert m["time_to_first_token"] >= 0
    first, second = llms
    assert first["input"] == prompt
    assert first["output"][0]["message"]["tool_calls"] == [call]
    assert second["input"][2:] == [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny in Paris"}]
    assert second["output"][0]["message"] == {"role": "assistant", "content": FINAL_ANSWER}

    [tool] = [r for r in rows if r["span_attributes"]["name"] == "get_weather"]
    assert tool["span_attributes"]["type"] == "tool"
    assert tool["input"] == {"city": "Paris"}
    assert tool["output"] == "sunny in Paris"
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert lookup["span_parents"] == [tool["span_id"]]
