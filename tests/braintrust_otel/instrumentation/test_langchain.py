"""LangChain: a tool-calling chain with the real ChatOpenAI against the fake provider."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("langchain_openai")

from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

import braintrust
from braintrust_otel._version import VERSION
from tests.conftest import StoreHelper, auto_instrument_only, undo_auto_instrument
from tests.fake_llm import FINAL_ANSWER, MODEL, FakeLLM


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture
def instrumented() -> Iterator[None]:
    # The OpenAI instrumentor is on as well: the model runs must still make one
    # llm row each, not one from LangChain and one from the client.
    result = auto_instrument_only("openai", "langchain")
    assert result["langchain"] is True and result["openai"] is True
    yield
    undo_auto_instrument(result)


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    with braintrust.start_span(name="weather lookup"):  # user code inside a tool
        return f"sunny in {city}"


def _agent(llm: FakeLLM) -> Any:
    model = ChatOpenAI(model="gpt-4o-mini", base_url=llm.openai_url, api_key=SecretStr("sk-fake"),
                       max_retries=0, temperature=0.1).bind_tools([get_weather])

    def loop(question: str) -> str:
        messages: list[Any] = [HumanMessage(question)]
        answer = model.invoke(messages)
        messages.append(answer)
        for call in answer.tool_calls:
            messages.append(get_weather.invoke(call))
        return str(model.invoke(messages).content)

    async def aloop(question: str) -> str:
        messages: list[Any] = [HumanMessage(question)]
        answer = await model.ainvoke(messages)
        messages.append(answer)
        for call in answer.tool_calls:
            messages.append(await get_weather.ainvoke(call))
        return str((await model.ainvoke(messages)).content)

    return RunnableLambda(loop, afunc=aloop).with_config(run_name="weather_agent")


def _human(text: str) -> dict[str, Any]:
    # A LangChain message as logged: its model_dump without unset fields.
    return {"type": "human", "content": text, "additional_kwargs": {}, "response_metadata": {}}


def _check_rows(rows: list[dict[str, Any]], root_id: str) -> None:
    by_id = {r["span_id"]: r for r in rows}
    [chain] = [r for r in rows if r["span_attributes"]["name"] == "weather_agent"]
    assert chain["span_attributes"]["type"] == "task"
    assert chain["span_parents"] == [root_id]
    assert chain["input"] == "Weather in Paris?"
    assert chain["output"] == FINAL_ANSWER
    chain_run = chain["metadata"]["run_id"]
    assert chain["metadata"] == {
        "tags": [], "metadata": {}, "run_id": chain_run, "parent_run_id": None,
        "braintrust": {"integration_name": "langchain-py", "sdk_version": VERSION,
                       "language": "python"}}

    llms = sorted((r for r in rows if r["span_attributes"].get("type") == "llm"),
                  key=lambda r: r["metrics"]["start"])
    assert [r["span_attributes"]["name"] for r in llms] == ["ChatOpenAI", "ChatOpenAI"]
    first, second = llms
    for row in llms:
        meta = row["metadata"]
        assert row["span_parents"] == [chain["span_id"]]
        assert meta["model"] == MODEL  # the model that answered
        assert meta["provider"] == "openai"
        assert meta["invocation_params"]["temperature"] == 0.1
        assert meta["invocation_params"]["model"] == "gpt-4o-mini"  # the model asked for
        assert meta["tools"][0]["function"]["name"] == "get_weather"
        assert "tools" not in meta["invocation_params"]
        assert meta["metadata"]["ls_provider"] == "openai"
        assert meta["parent_run_id"] == chain_run and meta["run_id"] != chain_run
        assert meta["braintrust"]["integration_name"] == "langchain-py"
        m = row["metrics"]
        assert {k: v for k, v in m.items() if k not in ("start", "end")} == {
            "prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17, "tokens": 17,
            "prompt_cached_tokens": 2, "completion_reasoning_tokens": 1}
        assert row["output"]["type"] == "LLMResult"
    assert first["input"] == [[_human("Weather in Paris?")]]
    [[generation]] = first["output"]["generations"]
    assert generation["generation_info"]["finish_reason"] == "tool_calls"
    assert generation["message"]["response_metadata"]["finish_reason"] == "tool_calls"
    [[asked, answered, tool_result]] = second["input"]
    assert asked == _human("Weather in Paris?")
    assert answered["type"] == "ai"
    assert answered["tool_calls"] == [{"name": "get_weather", "args": {"city": "Paris"},
                                       "id": "call_1", "type": "tool_call"}]
    assert {k: tool_result.get(k) for k in ("type", "content", "tool_call_id", "name")} == {
        "type": "tool", "content": "sunny in Paris", "tool_call_id": "call_1",
        "name": "get_weather"}
    [[generation]] = second["output"]["generations"]
    assert generation["text"] == generation["message"]["content"] == FINAL_ANSWER

    [tool_row] = [r for r in rows if r["span_attributes"].get("type") == "tool"]
    assert tool_row["span_attributes"]["name"] == "get_weather"
    assert tool_row["span_parents"] == [chain["span_id"]]
    assert tool_row["input"] == {"city": "Paris"}
    assert tool_row["output"]["content"] == "sunny in Paris"  # the tool's ToolMessage
    assert tool_row["output"]["type"] == "tool"
    assert tool_row["metadata"]["parent_run_id"] == chain_run
    [lookup] = [r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
    assert by_id[lookup["span_parents"][0]] is tool_row
    assert {r["root_span_id"] for r in rows} == {chain["root_span_id"]}
    assert len(rows) == 6  # root, chain, 2 model runs, tool, lookup: no provider rows


def test_chain_with_a_tool_call(store: StoreHelper, llm: FakeLLM, instrumented: None) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="request") as root:
        assert _agent(llm).invoke("Weather in Paris?") == FINAL_ANSWER
    assert len(llm.requests) == 2
    _check_rows(store.rows(), root.span_id)


def test_async_chain_nests_the_same_way(store: StoreHelper, llm: FakeLLM,
                                        instrumented: None) -> None:
    braintrust.init_logger(project="p")

    root_id = ""

    async def main() -> str:
        with braintrust.start_span(name="request") as root:
            out = await _agent(llm).ainvoke("Weather in Paris?")
        nonlocal root_id
        root_id = root.span_id
        return str(out)

    assert asyncio.run(main()) == FINAL_ANSWER
    _check_rows(store.rows(), root_id)


def test_explicit_handler_and_a_model_error(store: StoreHelper, llm: FakeLLM) -> None:
    from braintrust.wrappers.langchain import BraintrustCallbackHandler

    logger = braintrust.init_logger(project="p")
    handler = BraintrustCallbackHandler(logger=logger)
    model = ChatOpenAI(model="gpt-4o-mini", base_url=llm.openai_url, api_key=SecretStr("k"),
                       max_retries=0)
    llm.fail_next(500)
    with pytest.raises(Exception, match="injected failure"):
        model.invoke("hi", config={"callbacks": [handler]})
    [row] = store.rows()
    assert row["span_attributes"] == {"name": "ChatOpenAI", "type": "llm"}
    assert row["span_parents"] is None
    assert row["input"] == [[_human("hi")]]
    assert "injected failure" in row["error"]
