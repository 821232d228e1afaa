"""Pydantic AI traced by ``setup_pydantic_ai()``: the official SDK's rows, field by field.

One script (an agent with a tool run with ``run_sync``, a plain agent run with
``run`` and then ``run_stream``, one ``run_stream_sync``, the direct
``model_request*`` functions) runs under the official SDK and under this one
against the fake provider; every span (by its path of names) must match in
type, input, output and metadata, and carry the same metric names. Values that
differ from run to run (Pydantic AI's run and conversation ids, timestamps)
are compared by kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import twin
from tests.fake_llm import FakeLLM

SCRIPT = '''
import asyncio
from braintrust.wrappers.pydantic_ai import setup_pydantic_ai
from pydantic_ai import Agent

setup_pydantic_ai(project_name="pydantic-ai")
agent = Agent("openai-chat:gpt-4o", name="weather", instructions="Be terse.")

@agent.tool_plain
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"

print(agent.run_sync("Weather in Paris?").output)
plain = Agent("openai:gpt-4o")
print(asyncio.run(plain.run("hi")).output)

async def stream():
    async with plain.run_stream("stream me") as streamed:
        async for _ in streamed.stream_text():
            pass

asyncio.run(stream())
for _ in Agent("openai-chat:gpt-4o", name="sync").run_stream_sync("stream sync").stream_text():
    pass

from pydantic_ai.direct import model_request, model_request_stream, model_request_sync
from pydantic_ai.messages import ModelRequest

model_request_sync("openai-chat:gpt-4o", [ModelRequest.user_text_prompt("direct")])
asyncio.run(model_request("openai-chat:gpt-4o", [ModelRequest.user_text_prompt("async")]))

async def direct_stream():
    async with model_request_stream("openai-chat:gpt-4o",
                                    [ModelRequest.user_text_prompt("streamed")]) as events:
        async for _ in events:
            pass

asyncio.run(direct_stream())
'''

_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TIME = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


def _stable(value: Any, key: str = "") -> Any:
    """``value`` with per-run values replaced by their kind.

    Timestamps are compared as timestamps: the official SDK writes a datetime
    with ``str()`` (a space), ours in ISO form (a ``T``); a cost is a Decimal
    the official SDK sends as a string and ours as a number.
    """
    if isinstance(value, dict):
        return {k: _stable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str) and _ID.match(value):
        return "<id>"
    if isinstance(value, str) and _TIME.match(value):
        return "<time>"
    if key == "cost" and value is not None:
        return float(value)
    return value


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    with FakeLLM() as llm:
        yield {"OPENAI_BASE_URL": llm.openai_url, "OPENAI_API_KEY": "sk-test"}


def _metric_names(rows: list[twin.Row]) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    for row in rows:
        found.setdefault(row["span_attributes"]["name"], []).append(
            sorted(row.get("metrics") or {}))
    return {k: sorted(v) for k, v in found.items()}


def test_setup_pydantic_ai_rows_match_the_official_sdk(tmp_path: Path,
                                                       env: dict[str, str]) -> None:
    pytest.importorskip("pydantic_ai")
    official, ours = twin.both(SCRIPT, tmp_path, env, packages=("pydantic-ai-slim",))
    theirs = _stable(twin.spans(official))
    mine = _stable(twin.spans(ours))
    # The official SDK logs a tool call run inside run_sync twice: once around the call
    # (under the inner agent_run) and again, rebuilt from the messages, under run_sync
    # (its "no tool row yet" count is per run, not shared with the run inside). We log
    # it once.
    duplicate = "agent_run_sync [weather]/get_weather"
    assert theirs.pop(duplicate) == mine[
        "agent_run_sync [weather]/agent_run [weather]/get_weather"]
    assert sorted(mine) == sorted(theirs) == sorted([
        "agent_run", "agent_run/chat gpt-4o", "agent_run_stream [instance]",
        "agent_run_stream [instance]/chat gpt-4o", "agent_run_sync [weather]",
        "agent_run_sync [weather]/agent_run [weather]",
        "agent_run_sync [weather]/agent_run [weather]/chat gpt-4o",
        "agent_run_sync [weather]/agent_run [weather]/get_weather",
        "agent_run_stream_sync [sync]", "agent_run_stream_sync [sync]/agent_run_stream [sync]",
        "agent_run_stream_sync [sync]/agent_run_stream [sync]/chat gpt-4o",
        "model_request", "model_request/chat gpt-4o", "model_request_stream",
        "model_request_stream/chat gpt-4o", "model_request_sync",
        "model_request_sync/model_request", "model_request_sync/model_request/chat gpt-4o"])
    for path in theirs:
        assert mine[path] == theirs[path], path

    [run_sync] = mine["agent_run_sync [weather]"]
    assert run_sync["span_attributes"]["type"] == "task"
    assert run_sync["metadata"] == {"agent_name": "weather", "end_strategy": "graceful",
                                    "model": "gpt-4o", "output_type": "str",
                                    "provider": "openai"}
    assert run_sync["input"]["user_prompt"] == "Weather in Paris?"
    assert run_sync["input"]["toolsets"][0]["tools"][0]["name"] == "get_weather"
    chats = mine["agent_run_sync [weather]/agent_run [weather]/chat gpt-4o"]
    assert len(chats) == 2 and all(c["span_attributes"]["type"] == "llm" for c in chats)
    assert chats[0]["metadata"]["tools"][0]["function"]["name"] == "get_weather"
    [tool] = mine["agent_run_sync [weather]/agent_run [weather]/get_weather"]
    assert (tool["input"], tool["output"]) == ({"city": "Paris"}, "sunny in Paris")

    official_metrics = _metric_names(official)
    official_metrics["get_weather"] = official_metrics["get_weather"][:1]
    assert _metric_names(ours) == official_metrics
