"""LangChain code written for the official SDK logs the same rows under this one.

One script (a chat model call with tags and metadata, a prompt piped into the
model, a tool call the model asked for, a streamed answer, a tool that fails)
runs under the official SDK and under this one (``tests/twin.py``) with the
real ChatOpenAI against the fake provider; every span's input, output, metadata, metrics
and error must match field by field. Only what differs between any two runs is
normalised: run ids (UUIDs, also inside LangChain's message ids), the SDK
version in the ``braintrust`` block, and the value of ``time_to_first_token``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_openai")

from braintrust_otel._version import VERSION
from tests import twin
from tests.fake_llm import FakeLLM

SCRIPT = """
import braintrust
from braintrust.integrations.langchain import BraintrustCallbackHandler, set_global_handler
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

logger = braintrust.init_logger(project="langchain-twin")
set_global_handler(BraintrustCallbackHandler())
model = ChatOpenAI(model="gpt-4o-mini", max_retries=0, temperature=0.1)

@tool
def get_weather(city: str) -> str:
    \"\"\"The weather in a city.\"\"\"
    return f"sunny in {city}"

model.invoke("Hello there", config={"tags": ["direct"], "metadata": {"who": "me"}})
prompt = ChatPromptTemplate.from_messages([("system", "You are terse."), ("human", "{question}")])
(prompt | model).invoke({"question": "Hi?"}, config={"run_name": "prompted"})
answer = model.bind_tools([get_weather]).invoke("Weather in Paris?")
for call in answer.tool_calls:
    get_weather.invoke(call)
for _ in model.stream("Stream please"):
    pass

@tool
def broken(city: str) -> str:
    \"\"\"A tool that fails.\"\"\"
    raise ValueError(f"no weather for {city}")

try:
    broken.invoke({"city": "Oslo"})
except ValueError:
    pass
logger.flush()
"""

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Metrics only this SDK adds: reasoning tokens (OpenAI's output_token_details), a
# standard Braintrust metric the official SDK's OpenAI wrapper logs too.
OUR_EXTRA_METRICS = {"completion_reasoning_tokens"}


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    with FakeLLM() as llm:
        yield {"OPENAI_BASE_URL": llm.openai_url, "OPENAI_API_KEY": "sk-test"}


def _shapes(rows: list[twin.Row], version: str, extra: set[str]) -> dict[str, Any]:
    """Every span by path: type, input, output, metadata and metrics, normalised."""
    out: dict[str, list[Any]] = {}
    for row in rows:
        attrs = row.get("span_attributes") or {}
        if "name" not in attrs:
            continue
        metadata = dict(row.get("metadata") or {})
        block = metadata.get("braintrust")
        if isinstance(block, dict):
            assert block.get("sdk_version") == version, block
            metadata["braintrust"] = {**block, "sdk_version": "<version>"}
        metrics = {k: v for k, v in (row.get("metrics") or {}).items()
                   if k not in ("start", "end") and k not in extra}
        if "time_to_first_token" in metrics:
            assert isinstance(metrics["time_to_first_token"], (int, float))
            metrics["time_to_first_token"] = "<seconds>"
        shape = {"type": attrs.get("type"), "input": row.get("input"),
                 "output": row.get("output"), "metadata": metadata, "metrics": metrics,
                 "error": row.get("error"), "tags": row.get("tags")}
        text = _UUID.sub("<uuid>", json.dumps(shape, sort_keys=True))
        out.setdefault(attrs["name"], []).append(json.loads(text))
    return {k: sorted(v, key=lambda s: json.dumps(s, sort_keys=True)) for k, v in out.items()}


def test_langchain_rows_match_the_official_sdk(tmp_path: Path, env: dict[str, str]) -> None:
    official, ours = twin.both(SCRIPT, tmp_path, env,
                               packages=("langchain-core", "langchain-openai"))
    assert sorted(twin.spans(ours)) == sorted(twin.spans(official)) == [
        "ChatOpenAI", "broken", "get_weather", "prompted", "prompted/ChatOpenAI",
        "prompted/ChatPromptTemplate"]
    theirs = _shapes(official, "0.48.1", set())
    mine = _shapes(ours, VERSION, OUR_EXTRA_METRICS)
    assert sorted(mine) == sorted(theirs)
    for name in theirs:
        assert len(mine[name]) == len(theirs[name]), name
        for got, want in zip(mine[name], theirs[name]):
            if "tokens" in got["metrics"] and "tokens" not in want["metrics"]:
                # The official SDK adds ``tokens`` only when the provider reported
                # cache details; ours always does, when both counts are known.
                m = got["metrics"]
                assert m.pop("tokens") == m["prompt_tokens"] + m["completion_tokens"]
            for field in want:
                assert got[field] == want[field], (name, field)

    # What the comparison covers, spelled out for one chat model run.
    [direct] = [s for s in theirs["ChatOpenAI"] if s["metadata"]["tags"] == ["direct"]]
    assert direct["input"] == [[{"type": "human", "content": "Hello there",
                                 "additional_kwargs": {}, "response_metadata": {}}]]
    assert direct["output"]["type"] == "LLMResult"
    assert direct["metadata"]["metadata"]["who"] == "me"
    assert direct["metadata"]["metadata"]["ls_provider"] == "openai"
    assert direct["metadata"]["invocation_params"]["temperature"] == 0.1
    assert direct["metadata"]["model"] == "gpt-4o-mini-2024-07-18"
    assert direct["metrics"] == {"prompt_tokens": 12, "completion_tokens": 5,
                                 "total_tokens": 17, "tokens": 17, "prompt_cached_tokens": 2}
    # A failed tool run's error is the exception's message, as the official logs it.
    assert [s["error"] for s in theirs["broken"]] == ["no weather for Oslo"]
    # Our extra metric is there, with OpenAI's count.
    [ours_direct] = [r for r in ours if (r.get("metadata") or {}).get("tags") == ["direct"]]
    assert ours_direct["metrics"]["completion_reasoning_tokens"] == 1
    # A streamed answer whose usage has no cache details keeps ``tokens`` too.
    [streamed] = [r for r in ours if r.get("input") == [[{
        "type": "human", "content": "Stream please", "additional_kwargs": {},
        "response_metadata": {}}]]]
    assert streamed["metrics"]["tokens"] == 15
