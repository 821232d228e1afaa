"""The LangChain mapping's rules on real LangChain objects: token metrics for each way
an integration reports usage, providers from package names, invocation parameters,
and plain data as the official SDK logs it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, Generation, LLMResult

from braintrust_otel.instrumentation._langchain_mapping import (
    _model_params,
    _plain,
    _provider,
    _response_fields,
    _usage,
)


def _result(usage: dict[str, Any], **meta: Any) -> LLMResult:
    message = AIMessage(content="hi", usage_metadata=usage,
                        response_metadata=meta)
    return LLMResult(generations=[[ChatGeneration(message=message)]])


def test_uncached_input_counts_get_the_cache_added() -> None:
    # Anthropic through LangChain: input_tokens counts only uncached input, and the
    # cache writes are split by lifetime.
    usage = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
             "input_token_details": {"cache_read": 100, "ephemeral_5m_input_tokens": 20,
                                     "ephemeral_1h_input_tokens": 30}}
    assert _usage(_result(usage)) == {
        "prompt_tokens": 160, "completion_tokens": 5, "total_tokens": 165, "tokens": 165,
        "prompt_cached_tokens": 100, "prompt_cache_creation_5m_tokens": 20,
        "prompt_cache_creation_1h_tokens": 30}


def test_input_counts_that_include_the_cache_stay() -> None:
    usage = {"input_tokens": 100, "output_tokens": 5, "total_tokens": 105,
             "input_token_details": {"cache_read": 40, "cache_creation": 10},
             "output_token_details": {"reasoning": 2}}
    assert _usage(_result(usage)) == {
        "prompt_tokens": 100, "completion_tokens": 5, "total_tokens": 105, "tokens": 105,
        "prompt_cached_tokens": 40, "prompt_cache_creation_tokens": 10,
        "completion_reasoning_tokens": 2}


def test_usage_without_cache_details_still_has_tokens() -> None:
    # The official SDK leaves `tokens` out here; a row has it whenever both counts are known.
    assert _usage(_result({"input_tokens": 3, "output_tokens": 4, "total_tokens": 7})) == {
        "prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7, "tokens": 7}


def test_older_integrations_report_usage_in_llm_output() -> None:
    result = LLMResult(generations=[[Generation(text="hi")]], llm_output={
        "token_usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7,
                        "completion_tokens_details": {"reasoning_tokens": 0}},
        "model_name": "m-1"})
    # Only numbers are metrics: the nested details block is left out.
    assert _usage(result) == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7,
                              "tokens": 7}
    assert _response_fields(result) == {"model": "m-1"}


def test_no_usage_no_metrics() -> None:
    assert _usage(LLMResult(generations=[[Generation(text="hi")]])) == {}


def test_model_and_provider_come_from_the_response() -> None:
    usage = {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}
    assert _response_fields(_result(usage, model_name="gpt-x", model_provider="OpenAI")) == {
        "model": "gpt-x", "provider": "openai"}


@pytest.mark.parametrize(("ids", "provider"), [
    (["langchain_openai", "chat_models", "ChatOpenAI"], "openai"),
    (["langchain_google_genai", "chat_models", "ChatGoogleGenerativeAI"], "google"),
    (["langchain_aws", "ChatBedrock"], "aws"),
    (["langchain_mistralai.chat_models", "ChatMistralAI"], "mistral"),
    (["langchain", "chat_models", "openai", "ChatOpenAI"], None),
])
def test_provider_from_the_integration_package(ids: list[str], provider: Any) -> None:
    assert _provider({"id": ids}) == provider
    assert _provider(None) is None


def test_tools_and_tool_choice_sit_beside_the_invocation_params() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert _model_params({"model": "m", "tools": tools, "tool_choice": "auto", "stop": None}) == {
        "invocation_params": {"model": "m", "stop": None}, "tools": tools,
        "tool_choice": "auto"}
    # Legacy function calling is named as tools; empty or unset ones stay parameters.
    assert _model_params({"functions": tools, "function_call": None, "tools": []}) == {
        "invocation_params": {"function_call": None, "tools": []}, "tools": tools}
    assert _model_params(None) == {"invocation_params": {}}


def test_plain_data_drops_unset_fields_of_objects_only() -> None:
    run = uuid.uuid4()
    value = {"messages": (HumanMessage("hi"),), "run": run, "keep": None}
    assert _plain(value) == {
        "messages": [{"type": "human", "content": "hi", "additional_kwargs": {},
                      "response_metadata": {}}],
        "run": str(run), "keep": None}
