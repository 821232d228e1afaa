"""Code written for the official SDK, unchanged, records the same rows under this one.

Each script mirrors the calls of a common public use of an integration (the
provider clients are pointed at the fake provider through their own base-URL
environment variables, so the script itself names no address). It runs under
the official SDK and under this one (``tests/twin.py``); the rows must match
span by span, and each span must carry the same metric names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import twin
from tests.fake_llm import FakeLLM


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    with FakeLLM() as llm:
        yield {"OPENAI_BASE_URL": llm.openai_url, "OPENAI_API_KEY": "sk-test",
               "ANTHROPIC_BASE_URL": llm.anthropic_url, "ANTHROPIC_API_KEY": "k"}


def _metric_names(rows: list[twin.Row]) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    for row in rows:
        name = (row.get("span_attributes") or {}).get("name")
        if name:
            found.setdefault(name, []).append(sorted(row.get("metrics") or {}))
    return {k: sorted(v) for k, v in found.items()}


def assert_same(official: list[twin.Row], ours: list[twin.Row]) -> dict[str, Any]:
    theirs, mine = twin.spans(official), twin.spans(ours)
    assert sorted(mine) == sorted(theirs)
    for path in theirs:
        assert mine[path] == theirs[path], path
    assert _metric_names(ours) == _metric_names(official)
    return mine


# The Agents SDK's own processors are replaced by the Braintrust one, given a
# logger (as its docs and many projects do); one plain run, one in a named
# trace with a group id and metadata, and one streamed.
AGENTS = """
import asyncio
from agents import Agent, Runner, set_trace_processors, trace
from braintrust import init_logger
from braintrust.wrappers.openai import BraintrustTracingProcessor

async def main():
    agent = Agent(name="Assistant", instructions="You only respond in haikus.")
    result = await Runner.run(agent, "Tell me about loops in programming.")
    print(result.final_output)
    with trace("Haiku workflow", group_id="thread-1", metadata={"user": "u1"}):
        await Runner.run(agent, "And recursion?")
    streamed = Runner.run_streamed(agent, "Stream one")
    async for _ in streamed.stream_events():
        pass

set_trace_processors([BraintrustTracingProcessor(init_logger("openai-agent"))])
asyncio.run(main())
"""


def test_agents_tracing_processor_rows_match_the_official_sdk(tmp_path: Path,
                                                              env: dict[str, str]) -> None:
    pytest.importorskip("agents")
    official, ours = twin.both(AGENTS, tmp_path, env, packages=("openai-agents",))
    spans = assert_same(official, ours)
    [response] = [s for s in spans["Agent workflow/Agent workflow/Assistant/"
                                   "Turn 1 (Assistant)/Response"]
                  if s["input"][0]["content"].startswith("Tell")]
    assert response["span_attributes"]["type"] == "llm"
    assert spans["Haiku workflow"][0]["metadata"] == {"group_id": "thread-1", "user": "u1"}


# A wrapped OpenAI client: chat (system prompt, temperature), a stream with
# usage, the Responses API, structured parse and embeddings.
OPENAI = """
import braintrust
from braintrust import wrap_openai
from openai import OpenAI
from pydantic import BaseModel

braintrust.init_logger(project="text2sql")
client = wrap_openai(OpenAI())

class City(BaseModel):
    city: str

client.chat.completions.create(model="gpt-3.5-turbo", temperature=0,
                               messages=[{"role": "system", "content": "Print a SQL query"},
                                         {"role": "user", "content": "how many rows?"}])
for _ in client.chat.completions.create(model="gpt-4o", stream=True,
                                        stream_options={"include_usage": True},
                                        messages=[{"role": "user", "content": "hi"}]):
    pass
client.responses.create(model="gpt-4o", input="hi", instructions="be brief")
client.chat.completions.parse(model="gpt-4o", response_format=City,
                              messages=[{"role": "user", "content": "city?"}])
client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
braintrust.flush()
"""


def test_wrapped_openai_rows_match_the_official_sdk(tmp_path: Path,
                                                    env: dict[str, str]) -> None:
    official, ours = twin.both(OPENAI, tmp_path, env)
    spans = assert_same(official, ours)
    assert len(spans["Chat Completion"]) == 3
