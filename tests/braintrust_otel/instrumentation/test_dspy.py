"""DSPy: a ReAct program with a tool, through LiteLLM, against the fake provider."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("dspy")

import dspy

import braintrust
from braintrust_otel.instrumentation.dspy import DSPyInstrumentor
from tests.conftest import StoreHelper, auto_instrument_only, undo_auto_instrument
from tests.fake_llm import FINAL_ANSWER, MODEL, FakeLLM

KEY = "sk-fake-dspy-key"


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def get_weather(city: str) -> str:
    """The weather in a city."""
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"


def _program(llm: FakeLLM) -> dspy.ReAct:
    lm = dspy.LM("openai/gpt-4o-mini", api_base=llm.openai_url, api_key=KEY, cache=False,
                 num_retries=0, temperature=0.1)
    dspy.configure(lm=lm)
    return dspy.ReAct("question -> answer", tools=[get_weather], max_iters=3)


def _check(rows: list[dict[str, Any]], root_id: str) -> None:
    by_id = {r["span_id"]: r for r in rows}

    def ancestors(row: dict[str, Any]) -> list[str]:
        names = []
        while row["span_parents"]:
            row = by_id[row["span_parents"][0]]
            names.append(row["span_attributes"]["name"])
        return names

    [react] = [r for r in rows if r["span_attributes"]["name"].startswith("ReAct.")]
    assert react["span_attributes"]["type"] == "task"
    assert react["span_parents"] == [root_id]
    assert react["output"]["answer"] == FINAL_ANSWER

    # Three model calls (tool step, finish step, extract), one llm row each:
    # the OpenAI instrumentor is on and LiteLLM calls the OpenAI client, but
    # DSPy's LM span is current, so the client adds no row.
    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert len(llms) == 3
    for row in llms:
        assert row["span_attributes"]["name"] in ("LM.__call__", "LM.acall")
        assert ancestors(row)[-2:] == [react["span_attributes"]["name"], "request"]
        assert row["metadata"]["model"] == MODEL
        assert row["metadata"]["provider"] == "openai"
        assert row["metadata"]["temperature"] == 0.1
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 5, 17)
        assert m["prompt_cached_tokens"] == 2 and m["completion_reasoning_tokens"] == 1
        assert row["input"][0]["role"] == "system"
        assert row["input"][-1]["role"] == "user"
        assert "Weather in Paris?" in row["input"][-1]["content"]
    first, _, last = llms
    assert "[[ ## next_tool_name ## ]]\nget_weather" in first["output"][0]["message"]["content"]
    assert f"[[ ## answer ## ]]\n{FINAL_ANSWER}" in last["output"][0]["message"]["content"]

    tools = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    [weather] = [r for r in tools if r["span_attributes"]["name"].startswith("get_weather")]
    assert weather["input"] == {"kwargs": {"city": "Paris"}}
    assert weather["output"] == "sunny in Paris"
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert by_id[lookup["span_parents"][0]] is weather
    assert KEY not in json.dumps(rows)  # the API key never reaches a row


def test_react_with_a_tool_call(store: StoreHelper, llm: FakeLLM) -> None:
    turned_on = auto_instrument_only("openai", "litellm", "dspy")
    try:
        assert turned_on["dspy"] is True and turned_on["openai"] is True
        braintrust.init_logger(project="p")
        with braintrust.start_span(name="request") as root:
            assert _program(llm)(question="Weather in Paris?").answer == FINAL_ANSWER
    finally:
        undo_auto_instrument(turned_on)
    assert len(llm.requests) == 3
    _check(store.rows(), root.span_id)


def test_async_program_and_the_compat_callback(store: StoreHelper, llm: FakeLLM) -> None:
    from braintrust.wrappers.dspy import BraintrustDSpyCallback

    braintrust.init_logger(project="p")
    program = _program(llm)
    dspy.configure(callbacks=[BraintrustDSpyCallback()])  # turns the instrumentor on

    root_id = ""

    async def main() -> str:
        with braintrust.start_span(name="request") as root:
            out = await program.acall(question="Weather in Paris?")
        nonlocal root_id
        root_id = root.span_id
        return str(out.answer)

    try:
        assert asyncio.run(main()) == FINAL_ANSWER
    finally:
        dspy.configure(callbacks=[])
        DSPyInstrumentor().uninstrument()
    _check(store.rows(), root_id)


def test_uninstrumented_programs_make_no_rows(store: StoreHelper, llm: FakeLLM) -> None:
    from braintrust.wrappers.dspy import patch_dspy

    assert patch_dspy() is True
    DSPyInstrumentor().uninstrument()
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="request"):
        _program(llm)(question="Weather in Paris?")
    assert sorted(r["span_attributes"]["name"] for r in store.rows()) == ["request",
                                                                         "weather lookup"]
