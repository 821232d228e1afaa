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
               "ANTHROPIC_BASE_URL": llm.anthropic_url, "ANTHROPIC_API_KEY": "k",
               "GOOGLE_GEMINI_BASE_URL": llm.google_url, "GOOGLE_API_KEY": "k",
               "GOOGLE_GENAI_USE_VERTEXAI": "false"}


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


# A wrapped Anthropic client inside a logger span and a traced task that log
# their own input and output; then a stream helper, a raw stream, tools and
# the beta messages API.
ANTHROPIC = """
import json
import anthropic
import braintrust

logger = braintrust.init_logger(project="test-project")
client = braintrust.wrap_anthropic(anthropic.Anthropic())

def simple_qa(question):
    with logger.start_span(name="simple_qa") as span:
        span.log(input=question)
        response = client.messages.create(model="claude-3-haiku-20240307", max_tokens=256,
                                          messages=[{"role": "user", "content": question}])
        span.log(output=response.content[0].text)

@braintrust.traced(name="analyze_metrics", type="task")
def analyze_metrics(ticker, metrics):
    span = braintrust.current_span()
    span.log(input={"ticker": ticker, "metrics": metrics})
    resp = client.messages.create(model="claude-haiku-4-5", max_tokens=1024,
                                  system="You are an analyst.",
                                  messages=[{"role": "user", "content": json.dumps(metrics)}])
    span.log(output="".join(b.text for b in resp.content if b.type == "text"))

simple_qa("What is 2 + 2?")
analyze_metrics("ACME", {"revenue": 3})
with client.messages.stream(model="claude-3-5-sonnet-latest", max_tokens=100,
                            messages=[{"role": "user", "content": "hi"}]) as stream:
    for _ in stream.text_stream:
        pass
for _ in client.messages.create(model="claude-3-5-sonnet-latest", max_tokens=100, stream=True,
                                messages=[{"role": "user", "content": "hi"}]):
    pass
client.messages.create(model="claude-3-5-sonnet-latest", max_tokens=100,
                       tools=[{"name": "get_weather", "description": "weather",
                               "input_schema": {"type": "object",
                                                "properties": {"city": {"type": "string"}}}}],
                       messages=[{"role": "user", "content": "weather in Paris?"}])
client.beta.messages.create(model="claude-3-5-sonnet-latest", max_tokens=100,
                            messages=[{"role": "user", "content": "beta"}])
braintrust.flush()
"""


def test_wrapped_anthropic_rows_match_the_official_sdk(tmp_path: Path,
                                                       env: dict[str, str]) -> None:
    official, ours = twin.both(ANTHROPIC, tmp_path, env, packages=("anthropic",))
    spans = assert_same(official, ours)
    assert sorted(spans) == ["analyze_metrics", "analyze_metrics/anthropic.messages.create",
                             "anthropic.messages.create", "anthropic.messages.stream",
                             "simple_qa", "simple_qa/anthropic.messages.create"]


# A wrapped OpenAI client: chat (system prompt, temperature), a stream with
# usage, the Responses API (whole and streamed), the chat stream helper,
# structured parse and embeddings.
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
for _ in client.responses.create(model="gpt-4o", input="hi", stream=True):
    pass
with client.chat.completions.stream(model="gpt-4o",
                                    messages=[{"role": "user", "content": "hi"}]) as stream:
    for _ in stream:
        pass
client.chat.completions.parse(model="gpt-4o", response_format=City,
                              messages=[{"role": "user", "content": "city?"}])
client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
braintrust.flush()
"""


def test_wrapped_openai_rows_match_the_official_sdk(tmp_path: Path,
                                                    env: dict[str, str]) -> None:
    official, ours = twin.both(OPENAI, tmp_path, env)
    spans = assert_same(official, ours)
    assert len(spans["Chat Completion"]) == 4
    assert len(spans["openai.responses.create"]) == 2


# The Google GenAI client traced by setup_genai(): a call with a config, a stream.
GENAI = """
import braintrust
from braintrust.wrappers.google_genai import setup_genai
from google import genai
from google.genai import types

braintrust.init_logger(project="gemini")
setup_genai()
client = genai.Client()
client.models.generate_content(
    model="gemini-2.0-flash", contents="Why is the sky blue?",
    config=types.GenerateContentConfig(temperature=0.2, system_instruction="be brief"))
for _ in client.models.generate_content_stream(model="gemini-2.0-flash", contents="count"):
    pass
braintrust.flush()
"""


def test_google_genai_rows_match_the_official_sdk(tmp_path: Path, env: dict[str, str]) -> None:
    pytest.importorskip("google.genai")
    official, ours = twin.both(GENAI, tmp_path, env, packages=("google-genai",))
    for row in (*official, *ours):
        # The reply's HTTP headers are logged too; their Date differs from run to run.
        headers = ((row.get("output") or {}).get("sdk_http_response") or {}).get("headers")
        if isinstance(headers, dict):
            headers.pop("date", None)
    spans = assert_same(official, ours)
    assert spans["generate_content"][0]["metadata"] == {"model": "gemini-2.0-flash",
                                                        "provider": "google"}
