"""Provider instrumentors with the real openai and anthropic clients against a fake provider."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import braintrust
from braintrust import _state
from braintrust_otel.instrumentation.anthropic import AnthropicInstrumentor
from braintrust_otel.instrumentation.openai import OpenAIInstrumentor, wrap_openai
from tests.conftest import StoreHelper, run_python
from tests.fake_llm import FakeLLM

MEMORY = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def instrumented() -> Iterator[None]:
    _state.tracer()
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(MEMORY))  # type: ignore[attr-defined]
    OpenAIInstrumentor().instrument()
    AnthropicInstrumentor().instrument()
    yield
    OpenAIInstrumentor().uninstrument()
    AnthropicInstrumentor().uninstrument()


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    MEMORY.clear()
    with FakeLLM() as server:
        yield server


def _oai(llm: FakeLLM) -> openai.OpenAI:
    return openai.OpenAI(base_url=llm.openai_url, api_key="sk-fake", max_retries=0)


def _llm_rows(store: StoreHelper) -> list[dict[str, Any]]:
    return [r for r in store.rows() if r["span_attributes"].get("type") == "llm"]


# Any: the provider clients type messages as TypedDict unions; the tests send plain dicts.
MESSAGES: Any = [{"role": "system", "content": "You are terse."},
                 {"role": "user", "content": "Say hi"}]


def test_chat_completion_row(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="app") as app:
        reply = _oai(llm).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                                  temperature=0.2, max_tokens=50)
    assert reply.choices[0].message.content == "Hello from fake server!"
    [row] = _llm_rows(store)
    assert row["span_parents"] == [app.span_id]
    assert row["span_attributes"] == {"name": "Chat Completion", "type": "llm"}
    assert row["input"] == MESSAGES
    # As the official SDK logs it: every field of the choice, unset ones as null.
    assert row["output"] == [{"index": 0, "finish_reason": "stop", "logprobs": None,
                              "message": {"role": "assistant",
                                          "content": "Hello from fake server!",
                                          "annotations": None, "audio": None,
                                          "function_call": None, "refusal": None,
                                          "tool_calls": None}}]
    assert row["metrics"]["time_to_first_token"] > 0
    assert row["metadata"]["provider"] == "openai" and row["metadata"]["model"] == "gpt-4o-mini"
    assert row["metadata"]["temperature"] == 0.2 and row["metadata"]["max_tokens"] == 50
    m = row["metrics"]
    assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 5, 17)
    assert m["prompt_cached_tokens"] == 2 and m["completion_reasoning_tokens"] == 1
    [span] = [s for s in MEMORY.get_finished_spans() if s.name == "Chat Completion"]
    attrs: dict[str, Any] = dict(span.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-4o-mini"
    assert attrs["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert attrs["gen_ai.usage.input_tokens"] == 12 and attrs["gen_ai.usage.output_tokens"] == 5
    assert list(attrs["gen_ai.response.finish_reasons"]) == ["stop"]
    assert span.kind is trace.SpanKind.CLIENT


def test_streaming_sync_and_async(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    stream = _oai(llm).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                               stream=True,
                                               stream_options={"include_usage": True})
    assert MEMORY.get_finished_spans() == ()  # the span is open until the stream is read
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Hello streamed world"

    async def consume() -> str:
        client = openai.AsyncOpenAI(base_url=llm.openai_url, api_key="k", max_retries=0)
        s = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES,
                                                 stream=True)
        return "".join([c.choices[0].delta.content or "" async for c in s if c.choices])

    assert asyncio.run(consume()) == "Hello streamed world"
    rows = _llm_rows(store)
    assert len(rows) == 2
    for row in rows:
        assert row["output"] == [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                  "message": {"role": "assistant", "tool_calls": None,
                                              "content": "Hello streamed world"}}]
        assert row["metrics"]["time_to_first_token"] > 0
    assert rows[0]["metrics"]["tokens"] == 15


def test_stream_closed_early_ends_the_span(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    with _oai(llm).chat.completions.create(model="m", messages=MESSAGES, stream=True) as s:
        next(iter(s))
    [row] = _llm_rows(store)
    assert row["metrics"]["end"] >= row["metrics"]["start"]


def test_tool_calls(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    tools: Any = [{"type": "function", "function": {"name": "weather", "parameters": {}}}]
    _oai(llm).chat.completions.create(model="m", messages=MESSAGES, tools=tools)
    [row] = _llm_rows(store)
    [call] = row["output"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "weather", "arguments": "{\"city\": \"Paris\"}"}
    assert row["output"][0]["finish_reason"] == "tool_calls"
    assert row["metadata"]["tools"] == tools


def test_responses_embeddings_moderations_and_raw(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    client = _oai(llm)
    assert client.responses.create(model="m", input="hi", instructions="be nice").output_text \
        == "Hello from responses!"
    events = list(client.responses.create(model="m", input="hi", stream=True))
    assert events[-1].type == "response.completed"
    client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    client.moderations.create(input="x")
    raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert raw.parse().choices[0].message.content == "Hello from fake server!"
    rows = {r["span_attributes"]["name"]: r for r in _llm_rows(store)}
    responses = [r for r in _llm_rows(store)
                 if r["span_attributes"]["name"] == "openai.responses.create"]
    # As the official SDK: input as given, instructions in metadata.
    assert responses[0]["input"] == "hi"
    assert responses[0]["metadata"] == {
        "provider": "openai", "model": "gpt-4o-mini-2024-07-18", "instructions": "be nice",
        "id": "resp_fake", "object": "response", "created_at": 1700000000,
        "status": "completed"}
    assert responses[0]["metrics"]["time_to_first_token"] > 0
    assert responses[0]["output"][0]["content"][0]["text"] == "Hello from responses!"
    assert responses[1]["output"][0]["content"][0]["text"] == "Hello streamed responses"
    assert responses[1]["metrics"]["time_to_first_token"] > 0
    # A streamed response keeps the request's metadata (the model asked for, no identity).
    assert responses[1]["metadata"] == {"provider": "openai", "model": "m", "stream": True}
    assert responses[1]["metrics"]["tokens"] == 13
    assert responses[0]["metrics"]["tokens"] == 13
    assert rows["Embedding"]["output"] == {"embedding_length": 3}  # as the official SDK
    assert rows["Embedding"]["metrics"]["prompt_tokens"] == 4
    # As the official SDK: no model given, none recorded.
    assert rows["Moderation"]["metadata"] == {"provider": "openai"}
    assert rows["Moderation"]["input"] == "x"
    assert rows["Moderation"]["output"] == [{"categories": {}, "category_scores": {},
                                             "flagged": False}]
    assert rows["Chat Completion"]["output"][0]["message"]["content"] == \
        "Hello from fake server!"


def test_provider_error_is_raised_unchanged_and_recorded(store: StoreHelper,
                                                         llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    llm.fail_next(500)
    with pytest.raises(openai.InternalServerError) as info:
        _oai(llm).chat.completions.create(model="m", messages=MESSAGES)
    [row] = _llm_rows(store)
    assert "InternalServerError" in row["error"] and "injected failure" in row["error"]
    assert "output" not in row
    assert info.value.status_code == 500


def test_anthropic_messages(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    client = anthropic.Anthropic(base_url=llm.anthropic_url, api_key="k", max_retries=0)
    reply = client.messages.create(model="claude", max_tokens=10, system="be brief",
                                   messages=[{"role": "user", "content": "hi"}])
    block = reply.content[0]
    assert isinstance(block, anthropic.types.TextBlock)
    assert block.text == "Hello from fake Claude!"
    for _ in client.messages.create(model="claude", max_tokens=10, stream=True,
                                    messages=[{"role": "user", "content": "hi"}]):
        pass
    client.messages.create(model="claude", max_tokens=10,
                           tools=[{"name": "weather", "input_schema": {"type": "object"}}],
                           messages=[{"role": "user", "content": "weather?"}])

    async def run_async() -> None:
        a = anthropic.AsyncAnthropic(base_url=llm.anthropic_url, api_key="k", max_retries=0)
        await a.messages.create(model="claude", max_tokens=10,
                                messages=[{"role": "user", "content": "hi"}])

    asyncio.run(run_async())
    rows = _llm_rows(store)
    assert len(rows) == 4  # one span per call: the SDK's own spans are turned off
    first, streamed, tool, asynced = rows
    # Field by field as the official SDK (0.48.1) logs wrap_anthropic calls.
    assert first["span_attributes"]["name"] == "anthropic.messages.create"
    assert first["input"] == [{"role": "user", "content": "hi"},
                              {"role": "system", "content": "be brief"}]
    assert first["output"] == {"role": "assistant", "model": "claude-3-5-sonnet-20241022",
                               "stop_reason": "end_turn",
                               "content": [{"type": "text", "text": "Hello from fake Claude!"}]}
    assert first["metadata"] == {"provider": "anthropic", "model": "claude", "max_tokens": 10}
    metrics = {k: v for k, v in first["metrics"].items()
               if k not in ("start", "end", "time_to_first_token")}
    assert metrics == {"prompt_tokens": 13, "completion_tokens": 6, "tokens": 19,
                       "prompt_cached_tokens": 3, "prompt_cache_creation_tokens": 0}
    assert first["metrics"]["time_to_first_token"] > 0
    assert streamed["span_attributes"]["name"] == "anthropic.messages.stream"
    assert streamed["metadata"]["stream"] is True
    assert streamed["output"] == {"role": "assistant", "model": "claude-3-5-sonnet-20241022",
                                  "stop_reason": "end_turn",
                                  "content": [{"type": "text", "text": "Hello streamed Claude"}]}
    assert {k: streamed["metrics"][k] for k in ("prompt_tokens", "completion_tokens", "tokens")} \
        == {"prompt_tokens": 10, "completion_tokens": 3, "tokens": 13}
    assert streamed["metrics"]["time_to_first_token"] > 0
    assert tool["output"]["content"] == [{"type": "tool_use", "id": "toolu_1", "name": "weather",
                                          "input": {"city": "Paris"}}]
    assert tool["output"]["stop_reason"] == "tool_use"
    assert tool["metadata"]["tools"] == [{"name": "weather", "input_schema": {"type": "object"}}]
    assert asynced["output"]["content"][0]["text"] == "Hello from fake Claude!"


def test_anthropic_messages_stream_helper(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    client = anthropic.Anthropic(base_url=llm.anthropic_url, api_key="k", max_retries=0)
    with client.messages.stream(model="claude", max_tokens=10,
                                messages=[{"role": "user", "content": "hi"}]) as stream:
        text = "".join(stream.text_stream)
    assert text == "Hello streamed Claude"

    async def run_async() -> str:
        a = anthropic.AsyncAnthropic(base_url=llm.anthropic_url, api_key="k", max_retries=0)
        async with a.messages.stream(model="claude", max_tokens=10,
                                     messages=[{"role": "user", "content": "hi"}]) as s:
            return (await s.get_final_message()).content[0].text  # type: ignore[union-attr]

    assert asyncio.run(run_async()) == "Hello streamed Claude"
    rows = _llm_rows(store)
    assert [r["span_attributes"]["name"] for r in rows] == ["anthropic.messages.stream"] * 2
    for row in rows:
        assert row["input"] == [{"role": "user", "content": "hi"}]
        assert row["metadata"] == {"provider": "anthropic", "model": "claude", "max_tokens": 10}
        assert row["output"] == {"role": "assistant", "model": "claude-3-5-sonnet-20241022",
                                 "stop_reason": "end_turn",
                                 "content": [{"type": "text", "text": "Hello streamed Claude"}]}
        assert row["metrics"]["tokens"] == 13 and row["metrics"]["time_to_first_token"] > 0


def test_anthropic_beta_messages_are_traced_as_the_stable_ones(store: StoreHelper,
                                                              llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    client = anthropic.Anthropic(base_url=llm.anthropic_url, api_key="k", max_retries=0)
    client.beta.messages.create(model="claude", max_tokens=10,
                                messages=[{"role": "user", "content": "hi"}])
    with client.beta.messages.stream(model="claude", max_tokens=10,
                                     messages=[{"role": "user", "content": "hi"}]) as stream:
        assert "".join(stream.text_stream) == "Hello streamed Claude"

    async def run_async() -> None:
        a = anthropic.AsyncAnthropic(base_url=llm.anthropic_url, api_key="k", max_retries=0)
        await a.beta.messages.create(model="claude", max_tokens=10,
                                     messages=[{"role": "user", "content": "hi"}])

    asyncio.run(run_async())
    rows = _llm_rows(store)
    # As the official SDK names them: the beta API is not told apart.
    assert [r["span_attributes"]["name"] for r in rows] == [
        "anthropic.messages.create", "anthropic.messages.stream", "anthropic.messages.create"]
    assert rows[0]["output"]["content"] == [{"type": "text", "text": "Hello from fake Claude!"}]
    assert rows[1]["output"]["content"] == [{"type": "text", "text": "Hello streamed Claude"}]
    assert all(r["metrics"]["tokens"] > 0 for r in rows)


def test_anthropic_client_made_before_instrumenting_makes_one_span(
        store: StoreHelper, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    AnthropicInstrumentor().uninstrument()
    monkeypatch.delenv("ANTHROPIC_OPEN_TELEMETRY", raising=False)
    client = anthropic.Anthropic(base_url=llm.anthropic_url, api_key="k", max_retries=0)
    AnthropicInstrumentor().instrument()
    braintrust.init_logger(project="p")
    client.messages.create(model="claude", max_tokens=10,
                           messages=[{"role": "user", "content": "hi"}])
    spans = MEMORY.get_finished_spans()
    assert [s.name for s in spans] == ["anthropic.messages.create"]
    assert not any(k.startswith("http.") for k in spans[0].attributes or {})


def test_content_capture_can_be_turned_off(store: StoreHelper, llm: FakeLLM,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAINTRUST_CAPTURE_CONTENT", "false")
    braintrust.init_logger(project="p")
    _oai(llm).chat.completions.create(model="m", messages=MESSAGES)
    [row] = _llm_rows(store)
    assert "input" not in row and "output" not in row
    assert row["metrics"]["tokens"] == 17


def test_masking_reaches_llm_spans(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.set_masking_function(lambda v: "[masked]" if isinstance(v, list) else v)
    braintrust.init_logger(project="p")
    _oai(llm).chat.completions.create(model="m", messages=MESSAGES)
    [row] = _llm_rows(store)
    assert row["input"] == "[masked]" and row["output"] == "[masked]"


def test_wrapped_and_instrumented_client_makes_one_span(store: StoreHelper,
                                                        llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    client = wrap_openai(_oai(llm))
    client.chat.completions.create(model="m", messages=MESSAGES)
    assert len(_llm_rows(store)) == 1


def test_span_info_from_a_prompt_is_recorded_not_sent(store: StoreHelper, llm: FakeLLM) -> None:
    braintrust.init_logger(project="p")
    info = {"metadata": {"prompt": {"id": "p1", "version": "7", "variables": {"x": 1}}}}
    _oai(llm).chat.completions.create(model="m", messages=MESSAGES,
                                      span_info=info)  # type: ignore[call-overload]
    assert "span_info" not in llm.requests[-1]["body"]
    [row] = _llm_rows(store)
    assert row["metadata"]["prompt"] == {"id": "p1", "version": "7", "variables": {"x": 1}}


@pytest.mark.parametrize("which", ["openai-v2", "openinference"])
def test_foreign_openai_instrumentors_map_to_the_same_rows(tmp_path: Path, which: str) -> None:
    module = ("opentelemetry.instrumentation.openai_v2" if which == "openai-v2"
              else "openinference.instrumentation.openai")
    proc = run_python(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
        import openai, braintrust
        from {module} import OpenAIInstrumentor
        from tests.fake_llm import FakeLLM
        braintrust.init_logger(project="foreign")
        OpenAIInstrumentor().instrument()
        with FakeLLM() as f:
            c = openai.OpenAI(base_url=f.openai_url, api_key="k", max_retries=0)
            c.chat.completions.create(model="gpt-4o-mini", messages={MESSAGES!r},
                                      temperature=0.2)
            for _ in c.chat.completions.create(model="gpt-4o-mini", messages={MESSAGES!r},
                                               stream=True,
                                               stream_options={{"include_usage": True}}):
                pass
        braintrust.flush()
    """, tmp_path, env={"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "span_only"})
    assert proc.returncode == 0, proc.stderr
    from tests.conftest import stored_rows

    rows = [r for r in stored_rows(tmp_path / "sub.sqlite", "foreign")
            if r["span_attributes"].get("type") == "llm"]
    assert len(rows) == 2
    plain, streamed = sorted(rows, key=lambda r: r["metrics"]["start"])
    assert plain["input"] == MESSAGES
    assert plain["output"] == [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant",
                                            "content": "Hello from fake server!"}}]
    assert plain["metadata"]["provider"] == "openai"
    assert plain["metadata"]["model"].startswith("gpt-4o-mini")
    assert plain["metadata"]["temperature"] == 0.2
    assert (plain["metrics"]["prompt_tokens"], plain["metrics"]["completion_tokens"],
            plain["metrics"]["tokens"]) == (12, 5, 17)
    assert streamed["output"][0]["message"]["content"] == "Hello streamed world"
    assert streamed["metrics"]["tokens"] == 15


def test_google_genai(store: StoreHelper, llm: FakeLLM) -> None:
    from google import genai
    from google.genai import types

    from braintrust_otel.instrumentation.google_genai import GoogleGenAIInstrumentor

    GoogleGenAIInstrumentor().instrument()
    try:
        braintrust.init_logger(project="p")
        client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=llm.google_url))
        config = types.GenerateContentConfig(temperature=0.3, system_instruction="be brief")
        reply = client.models.generate_content(model="gemini-2.0-flash", contents="hi",
                                               config=config)
        assert reply.text == "Hello from fake Gemini!"
        streamed = "".join(c.text or "" for c in client.models.generate_content_stream(
            model="gemini-2.0-flash", contents="hi"))

        async def run_async() -> str:
            r = await client.aio.models.generate_content(model="gemini-2.0-flash",
                                                         contents="hi")
            return str(r.text)

        assert asyncio.run(run_async()) == "Hello from fake Gemini!"
    finally:
        GoogleGenAIInstrumentor().uninstrument()
    assert streamed == "Hello streamed Gemini"
    first, stream, asynced = _llm_rows(store)
    # As the official SDK (0.48.1) logs them: the call's arguments, the reply as plain data.
    assert first["input"] == {"config": {"temperature": 0.3, "system_instruction": "be brief"},
                              "contents": "hi", "model": "gemini-2.0-flash"}
    assert first["output"]["candidates"] == [{
        "content": {"parts": [{"text": "Hello from fake Gemini!"}], "role": "model"},
        "finish_reason": "STOP", "index": 0}]
    assert first["output"]["usage_metadata"] == {"candidates_token_count": 4,
                                                 "prompt_token_count": 5,
                                                 "total_token_count": 9}
    assert "automatic_function_calling_history" not in first["output"]
    assert first["metadata"] == {"model": "gemini-2.0-flash", "provider": "google"}
    assert (first["metrics"]["prompt_tokens"], first["metrics"]["tokens"]) == (5, 9)
    assert first["metrics"]["duration"] > 0
    assert stream["input"] == {"config": None, "contents": "hi", "model": "gemini-2.0-flash"}
    assert stream["output"] == {
        "candidates": [{"content": {"parts": [{"text": "Hello streamed Gemini"}],
                                    "role": "model"}, "finish_reason": "STOP", "index": 0}],
        "text": "Hello streamed Gemini",
        "usage_metadata": {"candidates_token_count": 3, "prompt_token_count": 5,
                           "total_token_count": 8}}
    assert stream["metrics"]["time_to_first_token"] > 0
    assert asynced["metrics"]["completion_tokens"] == 4


def test_openai_agents_sdk(store: StoreHelper, llm: FakeLLM) -> None:
    from agents import Agent, Runner, set_default_openai_client
    from agents.tracing import set_trace_processors

    from braintrust_otel.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    # The SDK's own exporter would send traces to OpenAI: tests reach only 127.0.0.1.
    set_trace_processors([])
    OpenAIAgentsInstrumentor().instrument()
    try:
        braintrust.init_logger(project="p")
        set_default_openai_client(openai.AsyncOpenAI(base_url=llm.openai_url, api_key="k",
                                                     max_retries=0))
        with braintrust.start_span(name="request") as request:
            result = Runner.run_sync(Agent(name="Greeter", instructions="be nice",
                                           model="gpt-4o-mini"), "hi")
    finally:
        OpenAIAgentsInstrumentor().uninstrument()
    assert result.final_output == "Hello from responses!"
    rows = store.rows()
    by_name = {r["span_attributes"]["name"]: r for r in rows}
    [workflow] = [r for r in rows if r["span_attributes"]["name"] == "Agent workflow"
                  and r["span_parents"] == [request.span_id]]
    agent = by_name["Greeter"]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["metadata"]["tools"] == [] and agent["metadata"]["output_type"] == "str"
    [model_call] = [r for r in rows if r["span_attributes"]["name"] == "openai.responses.create"]
    # Named, typed and filled as the official SDK (0.48.1) logs an Agents run.
    response_span, turn = by_name["Response"], by_name["Turn 1 (Greeter)"]
    assert model_call["span_parents"] == [response_span["span_id"]]
    assert turn["span_parents"] == [agent["span_id"]]
    assert response_span["span_parents"] == [turn["span_id"]]
    assert model_call["output"][0]["content"][0]["text"] == "Hello from responses!"
    assert response_span["span_attributes"]["type"] == "llm"
    assert response_span["input"] == [{"role": "user", "content": "hi"}]
    assert response_span["output"] == model_call["output"]
    assert response_span["metadata"]["id"] == "resp_fake"
    assert not {"output", "usage", "instructions"} & set(response_span["metadata"])
    assert {k: response_span["metrics"][k] for k in (
        "prompt_tokens", "completion_tokens", "tokens", "prompt_cached_tokens",
        "completion_reasoning_tokens")} == {"prompt_tokens": 9, "completion_tokens": 4,
                                            "tokens": 13, "prompt_cached_tokens": 0,
                                            "completion_reasoning_tokens": 0}
    assert response_span["metrics"]["time_to_first_token"] > 0
    assert turn["metadata"] == {"agent_name": "Greeter", "turn": 1}
    assert {k: turn["metrics"][k] for k in ("prompt_tokens", "completion_tokens", "tokens")} \
        == {"prompt_tokens": 9, "completion_tokens": 4, "tokens": 13}
    # The trace's span: the run's request and final reply, and its group id.
    assert workflow["input"] == response_span["input"]
    assert workflow["output"] == response_span["output"]
    assert workflow["metadata"] == {"group_id": None}
    assert {r["root_span_id"] for r in rows} == {request.root_span_id}


def test_structured_output_parse_is_traced_failures_included(store: StoreHelper,
                                                             llm: FakeLLM) -> None:
    from pydantic import BaseModel, ValidationError

    class Weather(BaseModel):
        city: str

    class Broken(BaseModel):
        city: str

    braintrust.init_logger(project="p")
    client = _oai(llm)
    parsed = client.chat.completions.parse(model="gpt-4o-mini", response_format=Weather,
                                           messages=[{"role": "user", "content": "w"}])
    assert parsed.choices[0].message.parsed == Weather(city="Paris")
    with pytest.raises(ValidationError):  # the reply is not the JSON asked for
        client.chat.completions.parse(model="gpt-4o-mini", response_format=Broken,
                                      messages=[{"role": "user", "content": "w"}])
    ok, failed = _llm_rows(store)
    assert ok["span_attributes"]["name"] == failed["span_attributes"]["name"] == "Chat Completion"
    assert ok["input"] == [{"role": "user", "content": "w"}]
    # As the official SDK records the request: the schema the model class stands for.
    assert ok["metadata"]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Weather", "schema": Weather.model_json_schema()}}
    message = ok["output"][0]["message"]
    assert message["content"] == '{"city": "Paris"}' and message["parsed"] == {"city": "Paris"}
    assert ok["metrics"]["tokens"] == 17
    assert "ValidationError" in failed["error"] and "output" not in failed


def test_agents_span_mapping_reads_the_span_data_objects() -> None:
    agents_tracing = pytest.importorskip("agents.tracing")
    from braintrust_otel.instrumentation._agents_mapping import span_fields

    task = span_fields(agents_tracing.TaskSpanData(name="Flow", usage={
        "input_tokens": 3, "output_tokens": 2}))
    assert (task.name, task.type, task.metrics) == (
        "Flow", "task", {"prompt_tokens": 3, "completion_tokens": 2, "tokens": 5})
    turn = span_fields(agents_tracing.TurnSpanData(turn=2, agent_name="A"))
    assert (turn.name, turn.metadata, turn.metrics) == (
        "Turn 2 (A)", {"agent_name": "A", "turn": 2}, {})
    # A response that never came (the call failed): no output, and no input unless given.
    failed = span_fields(agents_tracing.ResponseSpanData())
    assert (failed.name, failed.type, failed.has_input, failed.has_output) == (
        "Response", "llm", False, False)
    tool = span_fields(agents_tracing.FunctionSpanData(name="get_weather", input='{"c": 1}',
                                                       output="sunny"))
    assert (tool.name, tool.type, tool.input, tool.output) == (
        "get_weather", "tool", '{"c": 1}', "sunny")
