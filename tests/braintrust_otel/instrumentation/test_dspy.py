"""DSPy: a ReAct program with a tool, through LiteLLM, against the fake provider."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("dspy")

import dspy

import braintrust
from braintrust_otel.instrumentation.dspy import DSPyInstrumentor
from tests import twin
from tests.conftest import StoreHelper, auto_instrument_only, undo_auto_instrument
from tests.fake_llm import FINAL_ANSWER, FakeLLM

KEY = "sk-fake-dspy-key"


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def get_weather(city: str) -> str:
    """The weather in a city."""
    with braintrust.start_span(name="weather lookup"):
        return f"sunny in {city}"


def _program(llm: FakeLLM, litellm: bool = False) -> dspy.ReAct:
    # DSPy 3.4 calls the provider itself (its lm15 engine) unless told to use LiteLLM.
    engine = {"engine": "litellm"} if litellm and "engine" in inspect.signature(
        dspy.LM).parameters else {}
    lm = dspy.LM("openai/gpt-4o-mini", api_base=llm.openai_url, api_key=KEY, cache=False,
                 num_retries=0, temperature=0.1, **engine)
    dspy.configure(lm=lm)
    return dspy.ReAct("question -> answer", tools=[get_weather], max_iters=3)


def _check(rows: list[dict[str, Any]], root_id: str, provider_rows: bool) -> None:
    by_id = {r["span_id"]: r for r in rows}

    def ancestors(row: dict[str, Any]) -> list[str]:
        names = []
        while row["span_parents"]:
            row = by_id[row["span_parents"][0]]
            names.append(row["span_attributes"]["name"])
        return names

    def named(name: str) -> list[dict[str, Any]]:
        return sorted((r for r in rows if r["span_attributes"]["name"] == name),
                      key=lambda r: r["metrics"]["start"])

    # The official SDK's names and types: modules are dspy.module.<Class>
    # tasks, adapters' format and parse tasks, LM calls untyped dspy.lm rows.
    [react] = named("dspy.module.ReAct")
    assert react["span_attributes"]["type"] == "task"
    assert react["span_parents"] == [root_id]
    assert react["metadata"] == {"module_class": "dspy.predict.react.ReAct"}
    assert react["input"] == {"args": [], "kwargs": {"question": "Weather in Paris?"}}
    assert react["output"]["answer"] == FINAL_ANSWER
    assert react["output"]["trajectory"]["tool_name_0"] == "get_weather"

    # Three model calls (tool step, finish step, extract), each a dspy.lm row
    # beside its adapter's format and parse rows, under a Predict module.
    lms = named("dspy.lm")
    assert len(lms) == 3
    for lm in lms:
        assert "type" not in lm["span_attributes"]
        assert ancestors(lm)[0] == "dspy.module.Predict"
        assert ancestors(lm)[-2:] == ["dspy.module.ReAct", "request"]
        assert lm["metadata"] == {"model": "openai/gpt-4o-mini", "provider": "openai"}
        m = lm["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 5, 17)
        assert lm["input"]["messages"][0]["role"] == "system"
        assert "Weather in Paris?" in lm["input"]["messages"][-1]["content"]
        siblings = sorted(r["span_attributes"]["name"] for r in rows
                          if r["span_parents"] == lm["span_parents"])
        assert siblings == ["dspy.adapter.format", "dspy.adapter.parse", "dspy.lm"]
    first, _, last = lms
    assert "[[ ## next_tool_name ## ]]\nget_weather" in first["output"][0]
    assert f"[[ ## answer ## ]]\n{FINAL_ANSWER}" in last["output"][0]
    [parse, *_] = named("dspy.adapter.parse")
    assert parse["span_attributes"]["type"] == "task"
    assert parse["metadata"] == {"adapter_class": "dspy.adapters.chat_adapter.ChatAdapter"}
    assert parse["input"]["signature"]["title"] == "StringSignature"  # its JSON schema
    assert parse["output"]["next_tool_name"] == "get_weather"

    # One llm row per model call: LiteLLM's request under dspy.lm when DSPy
    # calls LiteLLM and it is instrumented (the OpenAI client it calls adds
    # none). DSPy's own engine (lm15) makes no row the official SDK sees either.
    llms = [r for r in rows if r["span_attributes"].get("type") == "llm"]
    if provider_rows:
        assert sorted(by_id[r["span_parents"][0]]["span_id"] for r in llms) == sorted(
            lm["span_id"] for lm in lms)
        assert {r["span_attributes"]["name"] for r in llms} == {"Completion"}
    else:
        assert llms == []

    [weather] = named("get_weather")
    assert weather["span_attributes"]["type"] == "tool"
    assert weather["span_parents"] == [react["span_id"]]
    assert weather["input"] == {"kwargs": {"city": "Paris"}}
    assert weather["output"] == "sunny in Paris"
    [lookup] = named("weather lookup")
    assert by_id[lookup["span_parents"][0]] is weather
    assert KEY not in json.dumps(rows)  # the API key never reaches a row


def test_react_with_a_tool_call(store: StoreHelper, llm: FakeLLM) -> None:
    turned_on = auto_instrument_only("openai", "litellm", "dspy")
    try:
        assert turned_on["dspy"] is True and turned_on["openai"] is True
        braintrust.init_logger(project="p")
        with braintrust.start_span(name="request") as root:
            assert _program(llm, litellm=True)(
                question="Weather in Paris?").answer == FINAL_ANSWER
    finally:
        undo_auto_instrument(turned_on)
    assert len(llm.requests) == 3
    _check(store.rows(), root.span_id, provider_rows=True)


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
    _check(store.rows(), root_id, provider_rows=False)


def test_uninstrumented_programs_make_no_rows(store: StoreHelper, llm: FakeLLM) -> None:
    from braintrust.wrappers.dspy import patch_dspy

    assert patch_dspy() is True
    DSPyInstrumentor().uninstrument()
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="request"):
        _program(llm)(question="Weather in Paris?")
    assert sorted(r["span_attributes"]["name"] for r in store.rows()) == ["request",
                                                                         "weather lookup"]


# Code written for the official SDK: auto_instrument(), the callback passed to
# dspy.configure as its docs show, a ReAct program with a tool and a plain
# Predict; DSPy calls LiteLLM (the provider's address comes from the environment).
TWIN = """
import os
import braintrust
braintrust.auto_instrument()
import dspy
from braintrust.wrappers.dspy import BraintrustDSpyCallback

def get_weather(city: str) -> str:
    "The weather in a city."
    return f"sunny in {city}"

braintrust.init_logger(project="dspy-example")
lm = dspy.LM("openai/gpt-4o-mini", cache=False, temperature=0.1)
dspy.configure(lm=lm, callbacks=[BraintrustDSpyCallback()])
react = dspy.ReAct("question -> answer", tools=[get_weather], max_iters=3)
print(react(question="Weather in Paris?").answer)
print(dspy.Predict("question -> answer")(question="What is 2+2?").answer)
braintrust.flush()
"""


def test_rows_match_the_official_sdk(tmp_path: Path, llm: FakeLLM) -> None:
    env = {"OPENAI_BASE_URL": llm.openai_url, "OPENAI_API_KEY": "sk-test"}
    official, ours = twin.both(TWIN, tmp_path, env, packages=("dspy", "litellm"))
    theirs, mine = twin.spans(official), twin.spans(ours)
    for spans in (theirs, mine):
        for path, shapes in spans.items():
            if path.endswith("/Completion"):
                # LiteLLM's own rows: its request parameters in metadata differ
                # (the official SDK keeps None values and drops num_retries), a
                # LiteLLM matter, not DSPy's; the rest of the row is compared.
                for shape in shapes:
                    shape.pop("metadata")
    assert sorted(mine) == sorted(theirs)
    for path in theirs:
        assert mine[path] == theirs[path], path
    assert "dspy.module.ReAct/dspy.module.Predict/dspy.lm/Completion" in mine
    assert "dspy.module.Predict/dspy.adapter.parse" in mine

    def metric_names(rows: list[twin.Row]) -> dict[str, list[list[str]]]:
        found: dict[str, list[list[str]]] = {}
        for row in rows:
            found.setdefault(row["span_attributes"]["name"], []).append(
                sorted(row.get("metrics") or {}))
        return {k: sorted(v) for k, v in found.items()}

    assert metric_names(ours) == metric_names(official)


def test_a_failed_lm_call_is_an_error_on_its_rows(store: StoreHelper, llm: FakeLLM) -> None:
    from braintrust.wrappers.dspy import patch_dspy

    assert patch_dspy() is True
    try:
        braintrust.init_logger(project="p")
        lm = dspy.LM("openai/gpt-4o-mini", api_base=llm.openai_url, api_key=KEY, cache=False,
                     num_retries=0)
        dspy.configure(lm=lm)
        llm.fail_next(400, {"error": {"message": "bad request", "type": "invalid_request"}})
        with pytest.raises(Exception, match="bad request"):  # DSPy's own error reaches the caller
            dspy.Predict("question -> answer")(question="hi")
    finally:
        DSPyInstrumentor().uninstrument()
    rows = {r["span_attributes"]["name"]: r for r in store.rows()}
    assert "bad request" in rows["dspy.lm"]["error"]
    assert "output" not in rows["dspy.lm"] and "tokens" not in rows["dspy.lm"]["metrics"]
    assert "bad request" in rows["dspy.module.Predict"]["error"]


def test_evaluate_is_a_task_with_its_metric(store: StoreHelper, llm: FakeLLM) -> None:
    from braintrust.wrappers.dspy import patch_dspy

    def exact(example: Any, prediction: Any, trace: Any = None) -> bool:
        return bool(example.answer == prediction.answer)

    assert patch_dspy() is True
    try:
        braintrust.init_logger(project="p")
        dspy.configure(lm=dspy.LM("openai/gpt-4o-mini", api_base=llm.openai_url, api_key=KEY,
                                  cache=False, num_retries=0))
        devset = [dspy.Example(question="Weather in Paris?",
                               answer=FINAL_ANSWER).with_inputs("question")]
        evaluate = dspy.Evaluate(devset=devset, metric=exact, num_threads=1)
        assert evaluate(dspy.Predict("question -> answer")).score == 100.0
    finally:
        DSPyInstrumentor().uninstrument()
    rows = store.rows()
    [ev] = [r for r in rows if r["span_attributes"]["name"] == "dspy.evaluate"]
    assert ev["span_attributes"]["type"] == "task"
    assert ev["metadata"] == {"metric": "exact", "num_threads": 1}
    [predict] = [r for r in rows if r["span_attributes"]["name"] == "dspy.module.Predict"]
    assert predict["root_span_id"] == ev["root_span_id"]
