"""Provider client instrumentors (Mistral, Cohere, Hugging Face, Bedrock, Transformers,
Discovery Engine) with the real client libraries against the fake provider on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import braintrust
from braintrust import _state
from tests.conftest import StoreHelper
from tests.fake_llm import FakeLLM

# cohere's own stream parsing uses a pydantic attribute deprecated in 2.0.
pytestmark = pytest.mark.filterwarnings("ignore:The `__fields__` attribute is deprecated")

USER = [{"role": "user", "content": "Say hi"}]
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    _state.tracer()
    with FakeLLM() as server:
        yield server


def _rows(store: StoreHelper, kind: str = "llm") -> list[dict[str, Any]]:
    rows = [r for r in store.rows() if r["span_attributes"].get("type") == kind]
    return sorted(rows, key=lambda r: r["metrics"]["start"])


# -- Mistral --------------------------------------------------------------------------

@pytest.fixture
def mistral() -> Iterator[None]:
    from braintrust_otel.instrumentation.mistral import MistralInstrumentor

    MistralInstrumentor().instrument()
    yield
    MistralInstrumentor().uninstrument()


def test_mistral_chat_stream_embeddings(store: StoreHelper, llm: FakeLLM,
                                        mistral: None) -> None:
    from mistralai.client import Mistral

    braintrust.init_logger(project="p")
    client = Mistral(api_key="k", server_url=llm.mistral_url)
    reply = client.chat.complete(model="mistral-small-latest", messages=USER, temperature=0.2,
                                 max_tokens=50)
    assert reply.choices[0].message.content == "Bonjour from fake Mistral!"
    streamed = "".join(e.data.choices[0].delta.content or ""
                       for e in client.chat.stream(model="mistral-small-latest",
                                                   messages=USER))
    assert streamed == "Bonjour streamed Mistral"

    async def run_async() -> Any:
        return await client.embeddings.create_async(model="mistral-embed", inputs=["a", "b"])

    assert len(asyncio.run(run_async()).data) == 2

    plain, stream, embed = _rows(store)
    assert plain["span_attributes"]["name"] == "mistral.chat.complete"
    assert plain["input"] == USER
    assert plain["output"] == [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "prefix": False,
                                            "tool_calls": None,
                                            "content": "Bonjour from fake Mistral!"}}]
    meta = plain["metadata"]
    assert (meta["provider"], meta["temperature"], meta["max_tokens"]) == ("mistral", 0.2, 50)
    assert meta["stream"] is False
    assert (meta["model"], meta["id"], meta["object"]) == ("mistral-small-2503",
                                                           "cmpl-mistral1", "chat.completion")
    assert (plain["metrics"]["prompt_tokens"], plain["metrics"]["completion_tokens"],
            plain["metrics"]["tokens"]) == (11, 7, 18)
    assert "time_to_first_token" not in plain["metrics"]

    assert stream["span_attributes"]["name"] == "mistral.chat.stream"
    assert stream["metadata"]["stream"] is True
    assert stream["output"] == [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant",
                                             "content": "Bonjour streamed Mistral"}}]
    assert stream["metrics"]["tokens"] == 14
    assert stream["metrics"]["time_to_first_token"] > 0

    assert embed["span_attributes"]["name"] == "mistral.embeddings.create"
    assert embed["input"] == ["a", "b"]
    assert embed["output"] == {"embeddings_count": 2, "embedding_length": 4, "first_index": 0}
    assert embed["metrics"]["prompt_tokens"] == 6


def test_mistral_audio_transcriptions_and_speech(store: StoreHelper, llm: FakeLLM,
                                                mistral: None) -> None:
    from mistralai.client import Mistral

    braintrust.init_logger(project="p")
    client = Mistral(api_key="k", server_url=llm.mistral_url)
    audio = b"RIFF" + bytes(range(256)) * 4
    file = {"file_name": "hello.wav", "content": audio}
    reply = client.audio.transcriptions.complete(model="voxtral-mini-latest", file=file,
                                                 language="fr")
    assert reply.text == "Bonjour from audio."
    streamed = [e.data.text for e in client.audio.transcriptions.stream(
        model="voxtral-mini-latest", file=file) if e.event == "transcription.text.delta"]
    assert streamed == ["Bonjour ", "from audio."]
    speech = client.audio.speech.complete(input="Bonjour", model="voxtral-tts",
                                          response_format="mp3")
    assert speech.audio_data

    async def run_async() -> list[Any]:
        stream = await client.audio.speech.complete_async(
            input="Bonjour", model="voxtral-tts", response_format="mp3", stream=True)
        return [e async for e in stream]

    assert len(asyncio.run(run_async())) == 3

    complete, stream, said, said_streamed = _rows(store)
    assert complete["span_attributes"]["name"] == "mistral.audio.transcriptions.complete"
    assert complete["input"]["file"]["type"] == "braintrust_attachment"
    assert complete["input"]["file"]["filename"] == "hello.wav"
    assert complete["input"]["file"]["content_type"] in ("audio/wav", "audio/x-wav")
    assert complete["output"] == "Bonjour from audio."
    assert complete["metadata"]["language"] == "fr"
    assert complete["metadata"]["segments_count"] == 0
    assert complete["metadata"]["model"] == "voxtral-mini-latest"
    assert complete["metrics"]["tokens"] == 46
    assert stream["span_attributes"]["name"] == "mistral.audio.transcriptions.stream"
    assert stream["output"] == "Bonjour from audio."
    assert stream["metadata"]["stream"] is True
    assert stream["metrics"]["tokens"] == 46 and stream["metrics"]["time_to_first_token"] > 0
    for row in (said, said_streamed):
        assert row["span_attributes"]["name"] == "mistral.audio.speech.complete"
        assert row["input"] == "Bonjour"
        out = row["output"]
        assert (out["type"], out["mime_type"], out["audio_size_bytes"]) == (
            "audio", "audio/mpeg", 203)
        assert out["file"]["file_data"]["type"] == "braintrust_attachment"
        assert out["file"]["filename"] == "generated_speech.mp3"
    assert said_streamed["metadata"]["stream"] is True
    assert said_streamed["metrics"]["tokens"] == 5


def test_mistral_tool_calls_fim_and_async_stream(store: StoreHelper, llm: FakeLLM,
                                                 mistral: None) -> None:
    from mistralai.client import Mistral

    braintrust.init_logger(project="p")
    client = Mistral(api_key="k", server_url=llm.mistral_url)
    client.chat.complete(model="mistral-small-latest", messages=USER, tools=[WEATHER_TOOL])
    client.fim.complete(model="codestral-latest", prompt="def f(", suffix="return 1")

    async def run_async() -> str:
        out = ""
        async for event in await client.agents.stream_async(agent_id="ag_1", messages=USER):
            out += event.data.choices[0].delta.content or ""
        return out

    assert asyncio.run(run_async()) == "Bonjour streamed Mistral"
    tools, fim, agent = _rows(store)
    assert tools["output"][0]["finish_reason"] == "tool_calls"
    assert tools["output"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert tools["metadata"]["tools"] == [WEATHER_TOOL]
    [tool] = _rows(store, "tool")
    assert tool["span_attributes"]["name"] == "tool: get_weather"
    assert tool["span_parents"] == [tools["span_id"]]
    assert tool["input"] == {"city": "Paris"}
    assert tool["metadata"] == {"tool_call_id": "mcall_1", "tool_type": "function",
                                "tool_index": 0, "choice_index": 0}
    assert fim["span_attributes"]["name"] == "mistral.fim.complete"
    assert fim["input"] == {"prompt": "def f(", "suffix": "return 1"}
    assert agent["span_attributes"]["name"] == "mistral.agents.stream"
    assert agent["metadata"]["agent_id"] == "ag_1"
    assert agent["output"][0]["message"]["content"] == "Bonjour streamed Mistral"
    assert agent["metrics"]["time_to_first_token"] > 0


def test_mistral_conversations_are_task_spans(store: StoreHelper, llm: FakeLLM,
                                             mistral: None) -> None:
    from mistralai.client import Mistral

    braintrust.init_logger(project="p")
    client = Mistral(api_key="k", server_url=llm.mistral_url)
    started = client.beta.conversations.start(model="mistral-medium-latest", inputs="Salut?")
    assert started.outputs[0].content == "Salut!"

    async def append() -> Any:
        return await client.beta.conversations.append_async(conversation_id="conv_1",
                                                            inputs="Encore?")

    asyncio.run(append())
    start, more = _rows(store, "task")
    assert start["span_attributes"]["name"] == "mistral.beta.conversations.start"
    assert start["input"] == "Salut?"
    assert start["output"][0]["content"] == "Salut!"
    assert start["output"][0]["type"] == "message.output"
    meta = start["metadata"]
    assert (meta["conversation_id"], meta["object"], meta["model"]) == (
        "conv_1", "conversation.response", "mistral-medium-2505")
    assert (start["metrics"]["prompt_tokens"], start["metrics"]["tokens"]) == (5, 7)
    assert more["span_attributes"]["name"] == "mistral.beta.conversations.append"
    assert more["metadata"]["conversation_id"] == "conv_1"
    assert start["metadata"]["stream"] is False


def test_mistral_conversation_stream_with_a_tool_run(store: StoreHelper, llm: FakeLLM,
                                                     mistral: None) -> None:
    from mistralai.client import Mistral

    braintrust.init_logger(project="p")
    client = Mistral(api_key="k", server_url=llm.mistral_url)
    events = [e.event for e in client.beta.conversations.start_stream(
        agent_id="ag_1", inputs=[{"role": "user", "content": "Salut?"}])]
    assert events[0] == "conversation.response.started"
    [turn] = _rows(store, "task")
    [tool] = _rows(store, "tool")
    assert turn["span_attributes"]["name"] == "mistral.beta.conversations.start_stream"
    assert turn["input"] == [{"role": "user", "content": "Salut?"}]
    assert turn["output"] == [
        {"object": "entry", "type": "tool.execution", "id": "tool_s1", "name": "web_search",
         "arguments": "{\"query\": \"salut\"}", "info": {"results": 3}},
        {"object": "entry", "type": "message.output", "id": "msg_s1", "role": "assistant",
         "content": "Salut!", "model": "mistral-medium-2505"}]
    meta = turn["metadata"]
    assert (meta["conversation_id"], meta["stream"], meta["agent_id"]) == ("conv_s", True,
                                                                          "ag_1")
    assert (turn["metrics"]["prompt_tokens"], turn["metrics"]["tokens"]) == (5, 8)
    assert turn["metrics"]["time_to_first_token"] > 0
    # The tool Mistral ran in the turn: a child span with its arguments and result.
    assert tool["span_attributes"]["name"] == "tool: web_search"
    assert tool["span_parents"] == [turn["span_id"]]
    assert (tool["input"], tool["output"]) == ({"query": "salut"}, {"results": 3})
    assert tool["metadata"] == {"tool_call_id": "tool_s1", "tool_type": "tool.execution",
                                "tool_index": 0}


def test_mistral_ocr(store: StoreHelper, llm: FakeLLM, mistral: None) -> None:
    from mistralai.client import Mistral

    braintrust.init_logger(project="p")
    client = Mistral(api_key="k", server_url=llm.mistral_url)
    document = {"type": "document_url", "document_url": "https://example.com/report.pdf"}
    result = client.ocr.process(model="mistral-ocr-latest", document=document)
    assert result.pages[0].markdown == "# Report"
    [row] = _rows(store)
    assert row["span_attributes"]["name"] == "mistral.ocr.process"
    assert row["input"] == {"document": document}
    assert row["output"] == {"pages": [{"index": 0, "markdown": "# Report", "images": [],
                                        "dimensions": {"dpi": 200, "height": 100, "width": 80}}]}
    meta = row["metadata"]
    assert (meta["document_type"], meta["page_count"], meta["model"]) == (
        "document_url", 1, "mistral-ocr-latest")
    assert (row["metrics"]["pages_processed"], row["metrics"]["doc_size_bytes"]) == (1, 4096)


def test_mistral_error_is_raised_and_recorded(store: StoreHelper, llm: FakeLLM,
                                              mistral: None) -> None:
    from mistralai.client import Mistral

    braintrust.init_logger(project="p")
    client = Mistral(api_key="k", server_url=llm.mistral_url)
    llm.fail_next(400, {"message": "bad request"})
    with pytest.raises(Exception) as raised:
        client.chat.complete(model="mistral-small-latest", messages=USER)
    [row] = _rows(store)
    assert type(raised.value).__name__ in row["error"]


# -- Cohere ---------------------------------------------------------------------------

@pytest.fixture
def cohere_on() -> Iterator[None]:
    from braintrust_otel.instrumentation.cohere import CohereInstrumentor

    CohereInstrumentor().instrument()
    yield
    CohereInstrumentor().uninstrument()


def test_cohere_chat_stream_embed_rerank(store: StoreHelper, llm: FakeLLM,
                                         cohere_on: None) -> None:
    import cohere

    braintrust.init_logger(project="p")
    client = cohere.ClientV2(api_key="k", base_url=llm.cohere_url)
    reply = client.chat(model="command-a-03-2025", messages=USER, temperature=0.3)
    assert reply.message.content[0].text == "Hello from fake Cohere!"
    events = [e.type for e in client.chat_stream(model="command-a-03-2025", messages=USER)]
    assert events[-1] == "message-end"
    client.embed(model="embed-v4.0", texts=["a", "b"], input_type="search_document",
                 embedding_types=["float"])

    async def run_async() -> Any:
        aclient = cohere.AsyncClientV2(api_key="k", base_url=llm.cohere_url)
        text = ""
        async for event in aclient.chat_stream(model="command-a-03-2025", messages=USER):
            if event.type == "content-delta":
                text += event.delta.message.content.text
        ranked = await aclient.rerank(model="rerank-v3.5", query="q", documents=["x", "y"])
        return text, ranked

    text, ranked = asyncio.run(run_async())
    assert text == "Hello streamed Cohere" and ranked.results[0].index == 1

    chat, stream, embed, astream, rerank = _rows(store)
    assert chat["span_attributes"]["name"] == "cohere.chat"
    assert chat["input"] == USER
    assert chat["output"] == {"role": "assistant",
                              "content": [{"type": "text", "text": "Hello from fake Cohere!"}]}
    assert chat["metadata"]["provider"] == "cohere"
    assert chat["metadata"]["model"] == "command-a-03-2025"
    assert chat["metadata"]["temperature"] == 0.3
    assert (chat["metadata"]["id"], chat["metadata"]["finish_reason"]) == ("cohere-1",
                                                                           "COMPLETE")
    # Billed units, not the raw token block (70 input tokens), are the token counts.
    assert (chat["metrics"]["prompt_tokens"], chat["metrics"]["completion_tokens"],
            chat["metrics"]["tokens"]) == (8, 5, 13)

    for row in (stream, astream):
        assert row["span_attributes"]["name"] == "cohere.chat_stream"
        assert row["output"] == {"role": "assistant", "content": "Hello streamed Cohere"}
        assert row["metadata"]["finish_reason"] == "COMPLETE"
        assert row["metadata"]["id"] == "cohere-s1"
        assert row["metrics"]["tokens"] == 11
        assert row["metrics"]["time_to_first_token"] > 0

    assert embed["span_attributes"]["name"] == "cohere.embed"
    assert embed["input"] == ["a", "b"]
    assert embed["output"] == {"embedding_count": 2, "embedding_length": 3}
    assert embed["metadata"]["input_type"] == "search_document"
    assert embed["metrics"]["prompt_tokens"] == 4

    assert rerank["span_attributes"]["name"] == "cohere.rerank"
    assert rerank["input"] == {"query": "q", "documents": ["x", "y"]}
    assert rerank["metadata"]["document_count"] == 2
    assert rerank["output"] == [{"index": 1, "relevance_score": 0.9},
                                {"index": 0, "relevance_score": 0.2}]
    assert rerank["metrics"]["search_units"] == 1


def test_cohere_audio_transcription(store: StoreHelper, llm: FakeLLM, cohere_on: None,
                                   tmp_path: Path) -> None:
    import cohere

    braintrust.init_logger(project="p")
    client = cohere.ClientV2(api_key="k", base_url=llm.cohere_url)
    audio = b"RIFF" + bytes(range(256)) * 8
    reply = client.audio.transcriptions.create(model="cohere-transcribe-03-2026", language="fr",
                                               file=("hello.wav", audio, "audio/wav"))
    assert reply.text == "Bonjour from fake Cohere audio."
    assert llm.requests[-1]["body"]["multipart_bytes"] > len(audio)  # the file was still sent
    path = tmp_path / "again.mp3"
    path.write_bytes(audio)

    async def run_async() -> Any:
        with path.open("rb") as f:
            return await cohere.AsyncClientV2(api_key="k", base_url=llm.cohere_url) \
                .audio.transcriptions.create(model="cohere-transcribe-03-2026", language="fr",
                                             file=f, temperature=0.2)

    assert asyncio.run(run_async()).text == "Bonjour from fake Cohere audio."
    assert llm.requests[-1]["body"]["multipart_bytes"] > len(audio)
    first, second = _rows(store)
    for row in (first, second):
        assert row["span_attributes"]["name"] == "cohere.audio.transcriptions.create"
        assert row["output"] == "Bonjour from fake Cohere audio."
        assert row["metadata"]["model"] == "cohere-transcribe-03-2026"
        assert row["metadata"]["provider"] == "cohere"
        assert row["metadata"]["language"] == "fr"
        assert row["input"]["file"]["type"] == "braintrust_attachment"
    assert (first["input"]["file"]["filename"], first["input"]["file"]["content_type"]) == (
        "hello.wav", "audio/wav")
    assert (second["input"]["file"]["filename"], second["input"]["file"]["content_type"]) == (
        "again.mp3", "audio/mpeg")
    assert second["metadata"]["temperature"] == 0.2 and "temperature" not in first["metadata"]


def test_cohere_v1_client(store: StoreHelper, llm: FakeLLM, cohere_on: None) -> None:
    import cohere

    braintrust.init_logger(project="p")
    client = cohere.Client(api_key="k", base_url=llm.cohere_url)
    assert client.chat(message="hi", model="command-r").text == "Hello from Cohere v1!"
    assert [e.event_type for e in client.chat_stream(message="hi", model="command-r")][-1] \
        == "stream-end"
    chat, stream = _rows(store)
    assert (chat["span_attributes"]["name"], chat["input"]) == ("cohere.chat", "hi")
    assert chat["output"] == "Hello from Cohere v1!"
    assert {k: chat["metadata"][k] for k in ("response_id", "generation_id", "finish_reason",
                                             "api_version")} == {
        "response_id": "r-v1", "generation_id": "g-v1", "finish_reason": "COMPLETE",
        "api_version": "1"}
    assert (chat["metrics"]["prompt_tokens"], chat["metrics"]["tokens"]) == (6, 10)
    assert stream["span_attributes"]["name"] == "cohere.chat_stream"
    assert stream["output"] == "Hello v1"  # the final response's text
    assert (stream["metrics"]["completion_tokens"], stream["metrics"]["tokens"]) == (2, 8)
    assert stream["metrics"]["time_to_first_token"] > 0


def test_cohere_tool_calls_become_child_spans(store: StoreHelper, llm: FakeLLM,
                                              cohere_on: None) -> None:
    import cohere

    braintrust.init_logger(project="p")
    client = cohere.ClientV2(api_key="k", base_url=llm.cohere_url)
    client.chat(model="command-a-03-2025", messages=USER, tools=[WEATHER_TOOL])
    [chat] = _rows(store)
    [tool] = _rows(store, "tool")
    assert chat["output"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert chat["output"]["tool_plan"] == "I will look up the weather."
    assert chat["metadata"]["finish_reason"] == "TOOL_CALL"
    assert tool["span_attributes"]["name"] == "tool: get_weather"
    assert tool["span_parents"] == [chat["span_id"]]
    assert tool["input"] == "{\"city\": \"Paris\"}"  # as the model wrote it
    assert tool["metadata"] == {"tool_call_id": "ccall_1", "tool_type": "function"}


# -- Hugging Face Hub -----------------------------------------------------------------

@pytest.fixture
def hf_on() -> Iterator[None]:
    from braintrust_otel.instrumentation.huggingface_hub import HuggingFaceHubInstrumentor

    HuggingFaceHubInstrumentor().instrument()
    yield
    HuggingFaceHubInstrumentor().uninstrument()


def test_huggingface_chat_completion(store: StoreHelper, llm: FakeLLM, hf_on: None) -> None:
    from huggingface_hub import AsyncInferenceClient, InferenceClient

    braintrust.init_logger(project="p")
    client = InferenceClient(base_url=llm.hf_url + "/v1", api_key="k")
    reply = client.chat_completion(USER, model="tgi", temperature=0.1, max_tokens=20)
    assert reply.choices[0].message.content == "Hello from fake server!"
    pieces = [c.choices[0].delta.content for c in client.chat.completions.create(
        messages=USER, stream=True) if c.choices]

    async def run_async() -> str:
        aclient = AsyncInferenceClient(base_url=llm.hf_url + "/v1", api_key="k")
        out = ""
        async for chunk in await aclient.chat_completion(USER, stream=True):
            out += (chunk.choices[0].delta.content or "") if chunk.choices else ""
        return out

    assert asyncio.run(run_async()) == "".join(p or "" for p in pieces) == "Hello streamed world"
    plain, stream, astream = _rows(store)
    assert plain["span_attributes"]["name"] == "huggingface.chat_completion"
    assert plain["input"] == USER
    assert plain["output"] == [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                "message": {"role": "assistant",
                                            "content": "Hello from fake server!",
                                            "tool_call_id": None, "tool_calls": None,
                                            "reasoning": None}}]
    meta = plain["metadata"]
    # The model the response names replaces the requested one (as the official SDK does).
    assert (meta["provider"], meta["model"], meta["temperature"], meta["max_tokens"]) == (
        "huggingface", "gpt-4o-mini-2024-07-18", 0.1, 20)
    assert (meta["id"], meta["finish_reason"]) == ("chatcmpl-fake123", "stop")
    assert (plain["metrics"]["prompt_tokens"], plain["metrics"]["completion_tokens"],
            plain["metrics"]["tokens"]) == (12, 5, 17)
    for row in (stream, astream):
        assert row["span_attributes"]["name"] == "huggingface.chat_completion_stream"
        assert row["metadata"]["stream"] is True
        assert row["metadata"]["provider"] == "huggingface"
        assert row["output"] == {"choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": "Hello streamed world"}}]}
        assert row["metrics"]["time_to_first_token"] > 0


def test_huggingface_text_generation_and_vectors(store: StoreHelper, llm: FakeLLM,
                                                 hf_on: None) -> None:
    from huggingface_hub import InferenceClient

    braintrust.init_logger(project="p")
    client = InferenceClient(model=llm.hf_url + "/tgi", api_key="k")
    client.text_generation("Tell me", details=True, max_new_tokens=4)
    assert "".join(client.text_generation("Tell me", stream=True)) == "Once upon a time"
    assert "".join(c.token.text for c in client.text_generation(
        "Tell me", stream=True, details=True)) == "Once upon a time"
    vectors = InferenceClient(model=llm.hf_url + "/embed").feature_extraction(["a", "b"])
    assert vectors.shape == (2, 4)
    scores = InferenceClient(model=llm.hf_url + "/similarity").sentence_similarity(
        "a", other_sentences=["b", "c"])
    assert scores == [0.9, 0.1]
    plain, stream, detailed, features, similarity = _rows(store)
    assert plain["span_attributes"]["name"] == "huggingface.text_generation"
    assert plain["input"] == "Tell me"
    assert plain["output"] == {"generated_text": "Once upon a time", "finish_reason": "length"}
    assert plain["metadata"]["max_new_tokens"] == 4 and plain["metadata"]["seed"] == 7
    assert (plain["metrics"]["prompt_tokens"], plain["metrics"]["completion_tokens"],
            plain["metrics"]["tokens"]) == (2, 4, 6)
    assert stream["span_attributes"]["name"] == "huggingface.text_generation_stream"
    assert stream["output"] == {"generated_text": "Once upon a time"}
    assert stream["metrics"]["time_to_first_token"] > 0
    assert detailed["output"] == {"generated_text": "Once upon a time",
                                  "finish_reason": "length"}
    assert detailed["metrics"]["completion_tokens"] == 3
    assert features["span_attributes"]["name"] == "huggingface.feature_extraction"
    assert features["input"] == ["a", "b"]
    assert features["output"] == {"embedding_count": 2, "embedding_length": 4}
    assert features["metadata"]["model"] == llm.hf_url + "/embed"  # the client's default
    assert similarity["span_attributes"]["name"] == "huggingface.sentence_similarity"
    assert similarity["input"] == {"sentence": "a", "other_sentences": ["b", "c"]}
    assert similarity["output"] == [0.9, 0.1]
    assert stream["metrics"]["time_to_first_token"] > 0


# -- Bedrock (boto3) --------------------------------------------------------------------

@pytest.fixture
def bedrock_on() -> Iterator[None]:
    from braintrust_otel.instrumentation.bedrock import BedrockInstrumentor

    BedrockInstrumentor().instrument()
    yield
    BedrockInstrumentor().uninstrument()


def _bedrock(llm: FakeLLM) -> Any:
    import boto3

    return boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=llm.base,
                        aws_access_key_id="AKIAFAKE", aws_secret_access_key="fake")


CLAUDE_ID = "anthropic.claude-3-haiku-20240307-v1:0"
CONVERSE_IN = [{"role": "user", "content": [{"text": "Say hi"}]}]


def test_bedrock_converse_and_stream(store: StoreHelper, llm: FakeLLM, bedrock_on: None) -> None:
    client = _bedrock(llm)  # made before the logger: clients of any age are traced
    braintrust.init_logger(project="p")
    reply = client.converse(modelId=CLAUDE_ID, messages=CONVERSE_IN,
                            system=[{"text": "be brief"}],
                            inferenceConfig={"maxTokens": 64, "temperature": 0.5})
    assert reply["output"]["message"]["content"][0]["text"] == "Hello from fake Bedrock!"
    events = client.converse_stream(modelId=CLAUDE_ID, messages=CONVERSE_IN)["stream"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events
                   if "contentBlockDelta" in e)
    assert text == "Hello streamed Bedrock"
    client.converse(modelId=CLAUDE_ID, messages=CONVERSE_IN, toolConfig={"tools": [
        {"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}],
        "toolChoice": {"auto": {}}})

    plain, stream, tools = _rows(store)
    assert plain["span_attributes"]["name"] == "bedrock.converse"
    assert plain["input"] == [{"role": "system", "content": [{"type": "text", "text": "be brief"}]},
                              {"role": "user", "content": [{"type": "text", "text": "Say hi"}]}]
    assert plain["output"] == [{"role": "assistant", "content": [
        {"type": "text", "text": "Hello from fake Bedrock!"}]}]
    meta = plain["metadata"]
    assert (meta["provider"], meta["model"], meta["endpoint"]) == ("bedrock", CLAUDE_ID,
                                                                   "converse")
    assert (meta["max_tokens"], meta["temperature"]) == (64, 0.5)
    assert (meta["stop_reason"], meta["bedrock_latency_ms"]) == ("end_turn", 42)
    assert (plain["metrics"]["prompt_tokens"], plain["metrics"]["completion_tokens"],
            plain["metrics"]["tokens"]) == (9, 6, 15)

    assert stream["span_attributes"]["name"] == "bedrock.converse-stream"
    assert stream["metadata"]["stream"] is True
    assert stream["output"] == [{"role": "assistant", "content": [
        {"type": "text", "text": "Hello streamed Bedrock"}]}]
    assert stream["metrics"]["tokens"] == 12
    assert stream["metrics"]["time_to_first_token"] > 0
    assert stream["metadata"]["bedrock_latency_ms"] == 40

    assert tools["metadata"]["tools"] == [{"type": "function", "function": {
        "name": "get_weather", "parameters": {"type": "object"}}}]
    assert tools["metadata"]["tool_choice"] == "auto"
    assert tools["output"][0]["content"] == [{"type": "tool_use", "id": "tu_1",
                                              "name": "get_weather",
                                              "input": {"city": "Paris"}}]


def test_bedrock_invoke_model_and_stream(store: StoreHelper, llm: FakeLLM,
                                         bedrock_on: None) -> None:
    braintrust.init_logger(project="p")
    client = _bedrock(llm)
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20, "messages": USER}
    response = client.invoke_model(modelId=CLAUDE_ID, body=json.dumps(body))
    # The instrumentor read the body: the caller still gets all of it.
    assert json.loads(response["body"].read())["content"][0]["text"] == "Hello from fake Claude!"
    chunks = [json.loads(e["chunk"]["bytes"]) for e in client.invoke_model_with_response_stream(
        modelId=CLAUDE_ID, body=json.dumps(body))["body"]]
    assert chunks[0]["type"] == "message_start"

    plain, stream = _rows(store)
    assert plain["span_attributes"]["name"] == "bedrock.invoke_model"
    assert plain["input"] == {"modelId": CLAUDE_ID, "body": body}
    assert plain["output"]["content"] == [{"type": "text", "text": "Hello from fake Claude!"}]
    assert plain["metadata"]["endpoint"] == "invoke_model"
    # 10 fresh + 3 cache-read input tokens.
    assert (plain["metrics"]["prompt_tokens"], plain["metrics"]["completion_tokens"],
            plain["metrics"]["tokens"], plain["metrics"]["prompt_cached_tokens"]) == (13, 6, 19, 3)
    assert stream["span_attributes"]["name"] == "bedrock.invoke_model_stream"
    assert stream["output"] == chunks
    assert (stream["metrics"]["prompt_tokens"], stream["metrics"]["completion_tokens"],
            stream["metrics"]["tokens"]) == (10, 3, 13)
    assert stream["metrics"]["time_to_first_token"] > 0


def test_bedrock_leaves_other_aws_calls_and_errors_alone(store: StoreHelper, llm: FakeLLM,
                                                         bedrock_on: None) -> None:
    import boto3
    import botocore.exceptions

    braintrust.init_logger(project="p")
    client = _bedrock(llm)
    llm.fail_next(400, {"message": "bad model"})
    with pytest.raises(botocore.exceptions.ClientError):
        client.converse(modelId="nope", messages=CONVERSE_IN)
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=llm.base,
                       aws_access_key_id="AKIAFAKE", aws_secret_access_key="fake")
    with pytest.raises(botocore.exceptions.ClientError):
        sqs.list_queues()  # not Bedrock: no row
    [row] = _rows(store)
    assert row["span_attributes"]["name"] == "bedrock.converse"
    assert "ClientError" in row["error"]


def test_bedrock_body_that_fails_to_read_raises_the_library_error(
        store: StoreHelper, llm: FakeLLM, bedrock_on: None) -> None:
    import botocore.exceptions

    braintrust.init_logger(project="p")
    # The instrumentor reads the body for the row; the error that read meets is the
    # library's own, raised to the caller (as its own read would), and recorded.
    with pytest.raises(botocore.exceptions.ResponseStreamingError):
        _bedrock(llm).invoke_model(modelId="truncated", body=b"{}")
    [row] = _rows(store)
    assert "ResponseStreamingError" in row["error"]


# -- transformers (local pipelines) -----------------------------------------------------
# No model can be downloaded here: the pipelines run tiny models built from a config
# with random weights and a word-level tokenizer made in the test. In a fresh process:
# the instrumentor must wrap the pipeline modules when they are imported, after it.

TINY_PIPELINES = """
    import json, sys
    import braintrust
    from braintrust_otel.instrumentation.transformers import TransformersInstrumentor
    TransformersInstrumentor().instrument()
    lazy = "torch" not in sys.modules and "transformers.pipelines" not in sys.modules
    braintrust.init_logger(project="tf")
    import torch, transformers
    from tokenizers import Tokenizer, models, pre_tokenizers
    transformers.logging.set_verbosity_error()
    words = ["[UNK]", "[PAD]", "<eos>", "hello", "world", "say", "hi", "the", "a", "cat"]
    raw = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", eos_token="<eos>")
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
    torch.manual_seed(0)
    gpt = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=len(words), n_positions=32, n_embd=8, n_layer=1, n_head=2,
        eos_token_id=2, pad_token_id=1, bos_token_id=2)).eval()
    gpt.config._name_or_path = "tiny-random-gpt2"
    bert = transformers.BertModel(transformers.BertConfig(
        vocab_size=len(words), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=16, max_position_embeddings=32)).eval()
    generate = transformers.pipeline("text-generation", model=gpt, tokenizer=tokenizer,
                                     device="cpu")
    embed = transformers.pipeline("feature-extraction", model=bert, tokenizer=tokenizer,
                                  device="cpu")
    text = generate("say hello", max_new_tokens=3, do_sample=False, temperature=None)
    chat = generate([{"role": "user", "content": "say hi"}], max_new_tokens=2, do_sample=False)
    vectors = embed("hello world")
    TransformersInstrumentor().uninstrument()
    generate("say hello", max_new_tokens=1)  # uninstrumented: no row
    braintrust.flush()
    print(json.dumps({"lazy": lazy, "text": text, "chat": chat,
                      "width": len(vectors[0][0])}))
"""


def test_transformers_pipelines(tmp_path: Any) -> None:
    from tests.conftest import run_python, stored_rows

    proc = run_python(TINY_PIPELINES, tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["lazy"] is True  # instrument() imported neither torch nor a pipeline
    rows = sorted(stored_rows(tmp_path / "sub.sqlite", "tf"),
                  key=lambda r: r["metrics"]["start"])
    text, conversation, features = rows  # and none after uninstrument()

    assert text["span_attributes"] == {"name": "huggingface.transformers.text_generation",
                                       "type": "llm"}
    assert text["input"] == [{"role": "user", "content": "say hello"}]
    assert text["output"] == [{"index": 0, "message": {
        "role": "assistant", "content": result["text"][0]["generated_text"]}}]
    meta = text["metadata"]
    assert (meta["provider"], meta["model"], meta["task"]) == ("huggingface",
                                                               "tiny-random-gpt2",
                                                               "text-generation")
    assert (meta["max_tokens"], meta["do_sample"], meta["device"]) == (3, False, "cpu")
    assert meta["torch_dtype"] == "torch.float32"
    assert "temperature" not in meta

    assert conversation["input"] == [{"role": "user", "content": "say hi"}]
    reply = result["chat"][0]["generated_text"][-1]
    assert reply["role"] == "assistant"
    assert conversation["output"] == [{"index": 0, "message": {"role": "assistant",
                                                               "content": reply["content"]}}]

    assert features["span_attributes"]["name"] == "huggingface.transformers.feature_extraction"
    assert features["input"] == "hello world"
    assert features["output"] == {"shape": [1, 2, 8]} and result["width"] == 8
    assert "model" not in features["metadata"]  # a model built here has no name


def test_wrap_transformers_traces_that_pipeline_class_only(tmp_path: Any) -> None:
    from tests.conftest import run_python, stored_rows

    script = TINY_PIPELINES.replace(
        "TransformersInstrumentor().instrument()",
        "from braintrust.integrations.transformers import wrap_transformers").replace(
        "    text = generate(",
        "    assert wrap_transformers(wrap_transformers(generate)) is generate\n"
        "    text = generate(").replace(
        "    TransformersInstrumentor().uninstrument()\n"
        "    generate(\"say hello\", max_new_tokens=1)  # uninstrumented: no row\n", "")
    assert script.count("wrap_transformers") == 3 and "uninstrument" not in script
    proc = run_python(script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = stored_rows(tmp_path / "sub.sqlite", "tf")
    # The text-generation pipeline's two calls (wrapped once); the embedding one is not.
    assert [r["span_attributes"]["name"] for r in rows] == [
        "huggingface.transformers.text_generation"] * 2


def test_transformers_inputs_and_outputs_of_other_tasks() -> None:
    # Summarization, translation and question answering exist in transformers 4.x
    # only; the test environment has 5.x, so their row shapes are checked directly.
    from braintrust_otel.instrumentation.transformers import call_input, call_output

    assert call_input("summarization", ("long text",), {}) == [
        {"role": "user", "content": "long text"}]
    assert call_input("translation_en_to_fr", (["a", "b"],), {}) == [
        [{"role": "user", "content": "a"}], [{"role": "user", "content": "b"}]]
    assert call_input("question-answering", (), {"question": "Who?", "context": "Ann did."}) == [
        {"role": "user", "content": "Context:\nAnn did.\n\nQuestion:\nWho?"}]
    assert call_input("question-answering", ([{"question": "q", "context": "c"}],), {}) == [
        [{"role": "user", "content": "Context:\nc\n\nQuestion:\nq"}]]
    assert call_output("summarization", [{"summary_text": "short"}]) == [
        {"index": 0, "message": {"role": "assistant", "content": "short"}}]
    assert call_output("translation_en_to_fr", [[{"translation_text": "un"}],
                                                [{"translation_text": "deux"}]]) == [
        {"index": 0, "message": {"role": "assistant", "content": "un"}},
        {"index": 1, "message": {"role": "assistant", "content": "deux"}}]
    assert call_output("question-answering", {"answer": "Ann", "score": 0.9}) == [
        {"index": 0, "message": {"role": "assistant", "content": "Ann"}}]
    assert call_output("feature-extraction", [[[0.1, 0.2]]]) == {"shape": [1, 1, 2]}
    assert call_output("text-generation", [{"nothing": 1}]) is None


# -- Google Discovery Engine ------------------------------------------------------------

@pytest.fixture
def discovery(llm: FakeLLM) -> Iterator[Any]:
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import discoveryengine_v1

    from braintrust_otel.instrumentation.google_discoveryengine import (
        GoogleDiscoveryEngineInstrumentor,
    )

    GoogleDiscoveryEngineInstrumentor().instrument()

    def client(kind: str) -> Any:
        # The REST transport honours an http:// endpoint: the fake on loopback.
        return getattr(discoveryengine_v1, kind)(
            credentials=AnonymousCredentials(), transport="rest",
            client_options=ClientOptions(api_endpoint=llm.base))

    yield client
    GoogleDiscoveryEngineInstrumentor().uninstrument()


SERVING = "projects/p/locations/global/collections/c/engines/e/servingConfigs/default"


def test_discoveryengine_answers(store: StoreHelper, discovery: Any) -> None:
    braintrust.init_logger(project="p")
    search = discovery("ConversationalSearchServiceClient")
    reply = search.answer_query(request={
        "serving_config": SERVING, "query": {"text": "Capital of France?"},
        "answer_generation_spec": {"model_spec": {"model_version": "gemini-2.0-flash-001"},
                                   "prompt_spec": {"preamble": "Be brief."},
                                   "include_citations": True}})
    assert reply.answer.answer_text == "Paris is the capital of France."
    responses = search.stream_answer_query(
        request={"serving_config": SERVING, "query": {"text": "Capital?"}})
    # An iterator stays one under the instrumentation: next() works as on the original.
    parts = [next(responses).answer.answer_text]
    parts += [r.answer.answer_text for r in responses]
    assert parts == ["Paris is", " the capital.", "Paris is the capital."]
    search.converse_conversation(request={
        "name": "projects/p/locations/global/collections/c/engines/e/conversations/-",
        "query": {"input": "And its river?"}})

    answer, stream, converse = _rows(store)
    assert answer["span_attributes"]["name"] == "google_discoveryengine.answer_query"
    assert answer["input"] == [{"role": "system", "content": "Be brief."},
                               {"role": "user", "content": "Capital of France?"}]
    assert answer["output"] == [{"index": 0, "message": {
        "role": "assistant", "content": "Paris is the capital of France."},
        "citations": [{"end_index": "5", "sources": [{"reference_id": "0"}]}],
        "state": "SUCCEEDED"}]
    meta = answer["metadata"]
    assert (meta["provider"], meta["model"], meta["serving_config"]) == (
        "google", "gemini-2.0-flash-001", SERVING)
    assert meta["include_citations"] is True

    assert stream["span_attributes"]["name"] == "google_discoveryengine.stream_answer_query"
    # The SUCCEEDED message is the whole answer: the pieces before it are not repeated.
    assert stream["output"][0]["message"]["content"] == "Paris is the capital."
    assert stream["output"][0]["state"] == "SUCCEEDED"
    assert stream["metrics"]["time_to_first_token"] > 0

    assert converse["span_attributes"]["name"] == "google_discoveryengine.converse_conversation"
    assert converse["input"] == [{"role": "user", "content": "And its river?"}]
    assert converse["output"] == [{"index": 0, "message": {
        "role": "assistant", "content": "Paris, as before."},
        "references": [{"title": "Atlas", "document": "d1"}]}]


def test_discoveryengine_rank_and_grounding_are_task_spans(store: StoreHelper,
                                                           discovery: Any) -> None:
    braintrust.init_logger(project="p")
    ranked = discovery("RankServiceClient").rank(request={
        "ranking_config": "projects/p/locations/global/rankingConfigs/default",
        "model": "semantic-ranker-512@latest", "query": "capital", "top_n": 2,
        "records": [{"id": "1", "title": "A", "content": "x"},
                    {"id": "2", "title": "B", "content": "y"}]})
    assert ranked.records[0].id == "2"
    grounded = discovery("GroundedGenerationServiceClient").check_grounding(request={
        "grounding_config": "projects/p/locations/global/groundingConfigs/default_grounding",
        "answer_candidate": "Paris is the capital", "facts": [{"fact_text": "Paris..."}]})
    assert grounded.support_score == 0.75

    rank, grounding = _rows(store, "task")
    assert _rows(store) == []
    assert rank["span_attributes"]["name"] == "google_discoveryengine.rank"
    assert rank["input"] == {"query": "capital", "records": [
        {"id": "1", "title": "A", "content": "x"}, {"id": "2", "title": "B", "content": "y"}]}
    # Scores are float32 on the wire.
    assert rank["output"] == [{"id": "2", "title": "B", "score": pytest.approx(0.8)},
                              {"id": "1", "title": "A", "score": pytest.approx(0.1)}]
    assert (rank["metadata"]["model"], rank["metadata"]["top_n"]) == (
        "semantic-ranker-512@latest", 2)
    assert grounding["span_attributes"]["name"] == "google_discoveryengine.check_grounding"
    assert grounding["input"] == {"answer_candidate": "Paris is the capital",
                                  "facts": [{"fact_text": "Paris..."}]}
    assert grounding["output"]["support_score"] == 0.75
    assert grounding["output"]["claims"][0]["claim_text"] == "Paris is the capital"


# -- registration -----------------------------------------------------------------------

CLIENT_LIBRARIES = ("mistral", "cohere", "huggingface_hub", "bedrock", "transformers",
                    "google_discoveryengine")


def test_each_client_library_has_an_entry_point_and_a_flag() -> None:
    from importlib.metadata import entry_points

    from braintrust_otel.instrumentation import INSTRUMENTORS

    registered = {ep.name: ep.value for ep in entry_points(group="opentelemetry_instrumentor")}
    for name in CLIENT_LIBRARIES:
        assert registered[f"braintrust_{name}"] == INSTRUMENTORS[name].instrumentor


RESULT_KEYS = ("mistral", "cohere", "huggingface_hub", "bedrock_runtime", "transformers",
               "google_discoveryengine")


def test_auto_instrument_skips_missing_libraries_and_honours_flags(tmp_path: Any) -> None:
    from tests.conftest import ROOT, run_python, stored_rows

    proc = run_python(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        sys.modules["cohere"] = None  # as if cohere were not installed
        import braintrust
        from tests.fake_llm import FakeLLM
        result = braintrust.auto_instrument(transformers=False)
        # Nothing imported yet: hooks wait for the libraries' imports.
        print(sorted(m for m in ("mistralai.client", "botocore", "huggingface_hub")
                     if m in sys.modules))
        print({{k: result.get(k) for k in {RESULT_KEYS!r}}})
        braintrust.init_logger(project="auto")
        import boto3
        from mistralai.client import Mistral
        with FakeLLM() as f:
            Mistral(api_key="k", server_url=f.mistral_url).chat.complete(
                model="m", messages=[{{"role": "user", "content": "hi"}}])
            boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=f.base,
                         aws_access_key_id="x", aws_secret_access_key="y").converse(
                modelId="m", messages=[{{"role": "user", "content": [{{"text": "hi"}}]}}])
        braintrust.flush()
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr
    imported, result = proc.stdout.strip().splitlines()[-2:]
    assert imported == "[]"
    # Bedrock reports as bedrock_runtime (as the official SDK does); a flag set to
    # False is left out.
    assert result == str({
        "mistral": True, "cohere": False, "huggingface_hub": True, "bedrock_runtime": True,
        "transformers": None, "google_discoveryengine": True})
    names = sorted(r["span_attributes"]["name"] for r in stored_rows(tmp_path / "sub.sqlite",
                                                                     "auto"))
    assert names == ["bedrock.converse", "mistral.chat.complete"]


def test_discoveryengine_async_client_over_grpc(store: StoreHelper) -> None:
    import grpc
    from google.cloud.discoveryengine_v1 import ConversationalSearchServiceAsyncClient
    from google.cloud.discoveryengine_v1.services.conversational_search_service.transports import (
        ConversationalSearchServiceGrpcAsyncIOTransport,
    )

    from braintrust_otel.instrumentation.google_discoveryengine import (
        GoogleDiscoveryEngineInstrumentor,
    )
    from tests.fake_llm import FakeDiscoveryGrpc

    _state.tracer()
    braintrust.init_logger(project="p")

    async def run(address: str) -> tuple[str, list[str]]:
        channel = grpc.aio.insecure_channel(address)
        client = ConversationalSearchServiceAsyncClient(
            transport=ConversationalSearchServiceGrpcAsyncIOTransport(channel=channel))
        request = {"serving_config": SERVING, "query": {"text": "Capital?"}}
        reply = await client.answer_query(request=request)
        stream = await client.stream_answer_query(request=request)
        parts = [r.answer.answer_text async for r in stream]
        await channel.close()
        return reply.answer.answer_text, parts

    GoogleDiscoveryEngineInstrumentor().instrument()
    try:
        with FakeDiscoveryGrpc() as fake:
            text, parts = asyncio.run(run(fake.address))
    finally:
        GoogleDiscoveryEngineInstrumentor().uninstrument()
    assert text == "Paris is the capital of France."
    assert parts == ["Paris is", " the capital.", "Paris is the capital."]
    answer, stream = _rows(store)
    assert answer["span_attributes"]["name"] == "google_discoveryengine.answer_query"
    assert answer["output"][0]["message"]["content"] == "Paris is the capital of France."
    assert stream["span_attributes"]["name"] == "google_discoveryengine.stream_answer_query"
    assert stream["output"][0]["message"]["content"] == "Paris is the capital."
    assert stream["metrics"]["time_to_first_token"] > 0


@pytest.mark.parametrize(("name", "loaded"), [
    ("mistralai", False), ("cohere", False), ("boto3", False), ("transformers", False),
    ("huggingface_hub", False), ("google_discoveryengine", False),
    ("botocore", True),  # contrib's botocore instrumentor covers every AWS service
])
def test_distro_skips_foreign_instrumentors_of_these_libraries(name: str, loaded: bool) -> None:
    from braintrust_otel.distro import BraintrustDistro

    instrumented: list[str] = []

    class Foreign:
        def instrument(self, **kwargs: Any) -> None:
            instrumented.append(name)

    class EntryPoint:
        value = "foreign.module:Instrumentor"

        def __init__(self) -> None:
            self.name = name

        def load(self) -> type[Foreign]:
            return Foreign

    BraintrustDistro().load_instrumentor(EntryPoint())
    assert instrumented == ([name] if loaded else [])
