"""A fake LLM provider on 127.0.0.1: the endpoints the real clients call.

OpenAI, Anthropic, Gemini, Mistral (under ``/mistral``), Cohere (``/cohere``),
Hugging Face inference (``/hf``), Bedrock Runtime (``/model/...``, streams in
AWS event-stream framing) and Discovery Engine (``/v1/projects/...``, REST).
JSON and server-sent-event streaming answers; ``fail_next`` makes the next
request fail with a given status. Point the real clients at ``openai_url`` /
``anthropic_url`` / ``mistral_url`` and so on.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

MODEL = "gpt-4o-mini-2024-07-18"
CLAUDE = "claude-3-5-sonnet-20241022"
MISTRAL = "mistral-small-2503"
COMMAND = "command-a-03-2025"
#: The answer to a chat request that carries a tool result (the end of an agent loop).
FINAL_ANSWER = "It is sunny in Paris."


def dspy_fields(body: dict[str, Any]) -> Optional[str]:
    """An answer in DSPy's chat-adapter format when the request asks for one.

    A ReAct step calls ``get_weather`` until an observation is in the
    trajectory, then ``finish``; the extract step answers :data:`FINAL_ANSWER`.
    """
    messages = body.get("messages") or []
    last = messages[-1].get("content") if messages else None
    if not isinstance(last, str) or "Respond with the corresponding output fields" not in last:
        return None
    done = "observation_0" in last
    values = {"next_thought": "Done." if done else "I should look up the weather.",
              "next_tool_name": "finish" if done else "get_weather",
              "next_tool_args": "{}" if done else '{"city": "Paris"}',
              "reasoning": "The tool said it is sunny.", "answer": FINAL_ANSWER}
    asked = re.findall(r"`\[\[ ## (\w+) ## \]\]`", last.split("Respond with", 1)[1])
    parts = [f"[[ ## {name} ## ]]\n{values.get(name, '')}" for name in asked
             if name != "completed"]
    return "\n\n".join([*parts, "[[ ## completed ## ]]"])


#: What a structured answer puts in a field of each JSON type (scores 8 of 10, verdicts pass).
_SAMPLES = {"integer": 8, "number": 0.8, "boolean": True, "string": "It matches."}


def structured_answer(json_schema: dict[str, Any]) -> str:
    """The JSON text answering a ``json_schema`` response format.

    A schema with a ``city`` field (the tests' own) gets ``{"city": "Paris"}``;
    any other (an eval judge's, say) a sample value per property by its type.
    """
    properties = (json_schema.get("schema") or {}).get("properties") or {}
    if not properties or "city" in properties:
        return json.dumps({"city": "Paris"})
    return json.dumps({name: _SAMPLES.get(spec.get("type")) for name, spec in properties.items()})


def chat_completion(body: dict[str, Any]) -> dict[str, Any]:
    tools = body.get("tools")
    message: dict[str, Any] = {"role": "assistant", "content": "Hello from fake server!"}
    finish = "stop"
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema" and fmt["json_schema"].get("name") != "Broken":
        message = {"role": "assistant", "content": structured_answer(fmt["json_schema"])}
    dspy = dspy_fields(body)
    if dspy is not None:
        message = {"role": "assistant", "content": dspy}
    elif answered(body):
        # The tool's result came back: an agent loop gets its final answer.
        message = {"role": "assistant", "content": FINAL_ANSWER}
    elif tools:
        name = tools[0]["function"]["name"]
        arguments = _tool_arguments(tools[0])
        if name == "select_choice":  # an LLM scorer: pick the first choice
            arguments = {"reasons": "It matches.",
                         "choice": tools[0]["function"]["parameters"]["properties"]["choice"][
                             "enum"][0]}
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": name, "arguments": json.dumps(arguments)}}]}
        finish = "tool_calls"
    return {"id": "chatcmpl-fake123", "object": "chat.completion", "created": 1700000000,
            "model": MODEL, "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": message, "finish_reason": finish,
                         "logprobs": None}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17,
                      "prompt_tokens_details": {"cached_tokens": 2},
                      "completion_tokens_details": {"reasoning_tokens": 1}}}


def _tool_arguments(tool: dict[str, Any]) -> dict[str, Any]:
    properties = tool["function"].get("parameters", {}).get("properties", {})
    if "tasks" in properties:  # instructor's create_iterable: a list of objects
        return {"tasks": [{"city": "Paris"}, {"city": "Rome"}]}
    return {"city": "Paris"}


def tool_call_chunks(tool: dict[str, Any], usage: bool = False) -> list[dict[str, Any]]:
    """A streamed tool call: its arguments arrive in pieces; ``usage``: then a usage
    chunk, as OpenAI sends when ``stream_options.include_usage`` asks for it."""
    base = {"id": "chatcmpl-fakestream", "object": "chat.completion.chunk",
            "created": 1700000000, "model": MODEL}
    text = json.dumps(_tool_arguments(tool))
    cut = len(text) // 2
    out = [{**base, "choices": [{"index": 0, "finish_reason": None, "delta": {
        "role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function",
             "function": {"name": tool["function"]["name"], "arguments": ""}}]}}]}]
    for piece in (text[:cut], text[cut:]):
        out.append({**base, "choices": [{"index": 0, "finish_reason": None, "delta": {
            "tool_calls": [{"index": 0, "function": {"arguments": piece}}]}}]})
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    if usage:
        out.append({**base, "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3,
                                                     "total_tokens": 15}})
    return out


def answered(body: dict[str, Any]) -> bool:
    """Whether a chat request carries a tool's result (the agent loop is at its end).

    A request that forces a tool (``tool_choice`` naming one, as Instructor's
    retries do) gets the tool call whatever came before.
    """
    if isinstance(body.get("tool_choice"), dict):
        return False
    return any(m.get("role") == "tool" for m in body.get("messages") or [])


def chat_chunks(final: bool = False) -> list[dict[str, Any]]:
    """A streamed text answer; ``final``: :data:`FINAL_ANSWER`, in pieces."""
    base = {"id": "chatcmpl-fakestream", "object": "chat.completion.chunk",
            "created": 1700000000, "model": MODEL}
    out = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                 "finish_reason": None}]}]
    pieces = ["It is", " sunny", " in Paris."] if final else ["Hello", " streamed", " world"]
    for piece in pieces:
        out.append({**base, "choices": [{"index": 0, "delta": {"content": piece},
                                         "finish_reason": None}]})
    out.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    out.append({**base, "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3,
                                                 "total_tokens": 15}})
    return out


def response_object(text: str = "Hello from responses!") -> dict[str, Any]:
    return {"id": "resp_fake", "object": "response", "created_at": 1700000000,
            "model": MODEL, "status": "completed",
            "output": [{"type": "message", "id": "msg_1", "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": text,
                                     "annotations": []}]}],
            "usage": {"input_tokens": 9, "output_tokens": 4, "total_tokens": 13,
                      "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens_details": {"reasoning_tokens": 0}},
            "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}


def gemini_part(body: dict[str, Any]) -> dict[str, Any]:
    """A Gemini answer: text, or (as :func:`chat_completion`) a function call, then
    the final answer once a function response comes back."""
    contents = body.get("contents") or []
    answered = any("functionResponse" in part for c in contents if isinstance(c, dict)
                   for part in c.get("parts") or [])
    declared = [d for tool in body.get("tools") or [] for d in
                tool.get("functionDeclarations") or tool.get("function_declarations") or []]
    if answered:
        return {"text": FINAL_ANSWER}
    if declared:
        return {"functionCall": {"id": "call_1", "name": declared[0]["name"],
                                 "args": {"city": "Paris"}}}
    return {"text": "Hello from fake Gemini!"}


def anthropic_message(body: dict[str, Any]) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": "Hello from fake Claude!"}]
    stop = "end_turn"
    if body.get("tools"):
        content = [{"type": "tool_use", "id": "toolu_1", "name": body["tools"][0]["name"],
                    "input": {"city": "Paris"}}]
        stop = "tool_use"
    return {"id": "msg_fake", "type": "message", "role": "assistant", "model": CLAUDE,
            "content": content, "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 6,
                      "cache_read_input_tokens": 3, "cache_creation_input_tokens": 0}}


def anthropic_events() -> list[tuple[str, dict[str, Any]]]:
    msg: dict[str, Any] = {
        "id": "msg_stream", "type": "message", "role": "assistant", "model": CLAUDE,
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1}}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": msg}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}})]
    for piece in ["Hello", " streamed", " Claude"]:
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": piece}}))
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta",
                           "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 3}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


def mistral_completion(body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": "Bonjour from fake Mistral!",
                               "tool_calls": None, "prefix": False}
    finish = "stop"
    if body.get("tools"):
        message = {"role": "assistant", "content": "", "prefix": False, "tool_calls": [
            {"id": "mcall_1", "type": "function", "index": 0,
             "function": {"name": body["tools"][0]["function"]["name"],
                          "arguments": "{\"city\": \"Paris\"}"}}]}
        finish = "tool_calls"
    return {"id": "cmpl-mistral1", "object": "chat.completion", "created": 1700000000,
            "model": MISTRAL, "choices": [{"index": 0, "message": message,
                                           "finish_reason": finish}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}}


def mistral_chunks() -> list[dict[str, Any]]:
    base = {"id": "cmpl-mstream", "object": "chat.completion.chunk", "created": 1700000000,
            "model": MISTRAL}
    out = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                 "finish_reason": None}]}]
    for piece in ["Bonjour", " streamed", " Mistral"]:
        out.append({**base, "choices": [{"index": 0, "delta": {"content": piece},
                                         "finish_reason": None}]})
    out.append({**base, "choices": [{"index": 0, "delta": {"content": ""},
                                     "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}})
    return out


def cohere_chat(body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant",
                               "content": [{"type": "text", "text": "Hello from fake Cohere!"}]}
    finish = "COMPLETE"
    if body.get("tools"):
        message = {"role": "assistant", "tool_plan": "I will look up the weather.",
                   "tool_calls": [{"id": "ccall_1", "type": "function", "function": {
                       "name": body["tools"][0]["function"]["name"],
                       "arguments": "{\"city\": \"Paris\"}"}}]}
        finish = "TOOL_CALL"
    return {"id": "cohere-1", "finish_reason": finish, "message": message,
            "usage": {"billed_units": {"input_tokens": 8, "output_tokens": 5},
                      "tokens": {"input_tokens": 70, "output_tokens": 5}}}


def cohere_events() -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = [
        ("message-start", {"type": "message-start", "id": "cohere-s1",
                           "delta": {"message": {"role": "assistant"}}}),
        ("content-start", {"type": "content-start", "index": 0,
                           "delta": {"message": {"content": {"type": "text", "text": ""}}}})]
    for piece in ["Hello", " streamed", " Cohere"]:
        events.append(("content-delta", {"type": "content-delta", "index": 0,
                                         "delta": {"message": {"content": {"text": piece}}}}))
    events += [("content-end", {"type": "content-end", "index": 0}),
               ("message-end", {"type": "message-end", "delta": {
                   "finish_reason": "COMPLETE",
                   "usage": {"billed_units": {"input_tokens": 8, "output_tokens": 3},
                             "tokens": {"input_tokens": 70, "output_tokens": 3}}}})]
    return events


def bedrock_converse(model: str, body: dict[str, Any]) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"text": "Hello from fake Bedrock!"}]
    stop = "end_turn"
    if body.get("toolConfig"):
        name = body["toolConfig"]["tools"][0]["toolSpec"]["name"]
        content = [{"toolUse": {"toolUseId": "tu_1", "name": name, "input": {"city": "Paris"}}}]
        stop = "tool_use"
    return {"output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop, "metrics": {"latencyMs": 42},
            "usage": {"inputTokens": 9, "outputTokens": 6, "totalTokens": 15}}


def bedrock_converse_events() -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
    for piece in ["Hello", " streamed", " Bedrock"]:
        events.append(("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}}))
    events += [("contentBlockStop", {"contentBlockIndex": 0}),
               ("messageStop", {"stopReason": "end_turn"}),
               ("metadata", {"usage": {"inputTokens": 9, "outputTokens": 3, "totalTokens": 12},
                             "metrics": {"latencyMs": 40}})]
    return events


def event_stream_message(event_type: str, payload: bytes) -> bytes:
    """One message in AWS event-stream framing (the binary format Bedrock streams in)."""
    headers = b""
    for name, value in ((":event-type", event_type), (":content-type", "application/json"),
                        (":message-type", "event")):
        raw = value.encode()
        headers += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def discovery_answer(text: str, state: str = "SUCCEEDED") -> dict[str, Any]:
    return {"answer": {"name": "projects/p/locations/global/collections/c/engines/e/"
                               "sessions/s/answers/a1", "state": state, "answerText": text,
                       "citations": [{"startIndex": "0", "endIndex": "5",
                                      "sources": [{"referenceId": "0"}]}]},
            "answerQueryToken": "tok-1"}


class FakeLLM:
    """The fake provider. Use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.failures: list[tuple[int, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None

    def __enter__(self) -> FakeLLM:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        # A short poll interval: shutdown() waits for one, and every test stops a fake.
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def openai_url(self) -> str:
        return self.base + "/v1"

    @property
    def anthropic_url(self) -> str:
        return self.base

    @property
    def google_url(self) -> str:
        return self.base

    @property
    def mistral_url(self) -> str:
        return self.base + "/mistral"

    @property
    def cohere_url(self) -> str:
        return self.base + "/cohere"

    @property
    def hf_url(self) -> str:
        return self.base + "/hf"

    def fail_next(self, status: int, error: Optional[dict[str, Any]] = None) -> None:
        self.failures.append((status, error or {"error": {"message": "injected failure",
                                                          "type": "server_error"}}))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list[tuple[Optional[str], Any]], done: bool) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        for name, data in events:
            head = f"event: {name}\n" if name else ""
            self.wfile.write(f"{head}data: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()
        if done:
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def _event_stream(self, events: list[tuple[str, bytes]]) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/vnd.amazon.eventstream")
        self.send_header("connection", "close")
        self.end_headers()
        for name, payload in events:
            self.wfile.write(event_stream_message(name, payload))
            self.wfile.flush()
        self.close_connection = True

    def _ndjson(self, events: list[tuple[Optional[str], Any]]) -> None:
        # Cohere's v1 chat streams one JSON object a line.
        self.send_response(200)
        self.send_header("content-type", "application/stream+json")
        self.send_header("connection", "close")
        self.end_headers()
        for _, data in events:
            self.wfile.write(json.dumps(data).encode() + b"\n")
            self.wfile.flush()
        self.close_connection = True

    def _json_array_stream(self, items: list[Any]) -> None:
        # Google's REST transport streams a JSON array, one element at a time.
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(b"[")
        for i, item in enumerate(items):
            self.wfile.write((b"," if i else b"") + json.dumps(item).encode())
            self.wfile.flush()
        self.wfile.write(b"]")
        self.close_connection = True

    def _other_providers(self, path: str, body: Any, stream: bool) -> bool:
        """Mistral, Cohere, Hugging Face, Bedrock, Discovery Engine; False if no route."""
        if path in ("/mistral/v1/chat/completions", "/mistral/v1/agents/completions",
                    "/mistral/v1/fim/completions"):
            if stream:
                self._sse([(None, c) for c in mistral_chunks()], done=True)
            else:
                self._json(200, mistral_completion(body))
        elif path == "/mistral/v1/audio/transcriptions":
            usage = {"prompt_tokens": 40, "completion_tokens": 6, "total_tokens": 46}
            if stream:
                pieces = ["Bonjour ", "from audio."]
                heard: list[dict[str, Any]] = [
                    {"type": "transcription.text.delta", "text": p} for p in pieces]
                heard.append({"type": "transcription.done", "model": "voxtral-mini-2507",
                              "text": "".join(pieces), "usage": usage, "language": "fr"})
                self._sse([(e["type"], e) for e in heard], done=False)
            else:
                self._json(200, {"model": "voxtral-mini-2507", "text": "Bonjour from audio.",
                                 "usage": usage, "language": "fr", "segments": []})
        elif path == "/mistral/v1/audio/speech":
            audio = base64.b64encode(b"ID3" + bytes(range(200))).decode()
            usage = {"prompt_tokens": 5, "completion_tokens": 0, "total_tokens": 5}
            if stream:
                said: list[dict[str, Any]] = [
                    {"type": "speech.audio.delta", "audio_data": audio[:100]},
                    {"type": "speech.audio.delta", "audio_data": audio[100:]},
                    {"type": "speech.audio.done", "usage": usage}]
                self._sse([(e["type"], e) for e in said], done=False)
            else:
                self._json(200, {"audio_data": audio})
        elif path == "/mistral/v1/ocr":
            self._json(200, {"model": "mistral-ocr-2505", "pages": [
                {"index": 0, "markdown": "# Report", "images": [],
                 "dimensions": {"dpi": 200, "height": 100, "width": 80}}],
                "usage_info": {"pages_processed": 1, "doc_size_bytes": 4096}})
        elif path.startswith("/mistral/v1/conversations") and stream:
            events: list[tuple[Optional[str], Any]] = [
                ("conversation.response.started", {"type": "conversation.response.started",
                                                   "conversation_id": "conv_s"})]
            for piece in ["Sa", "lut", "!"]:
                events.append(("message.output.delta", {
                    "type": "message.output.delta", "id": "msg_s1", "output_index": 1,
                    "content": piece, "model": "mistral-medium-2505", "role": "assistant"}))
            events.insert(1, ("tool.execution.started", {
                "type": "tool.execution.started", "id": "tool_s1", "output_index": 0,
                "name": "web_search", "arguments": "{\"query\": \"salut\"}"}))
            events.insert(2, ("tool.execution.done", {
                "type": "tool.execution.done", "id": "tool_s1", "output_index": 0,
                "name": "web_search", "info": {"results": 3}}))
            events.append(("conversation.response.done", {
                "type": "conversation.response.done",
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}))
            self._sse(events, done=False)
        elif path.startswith("/mistral/v1/conversations"):
            self._json(200, {"object": "conversation.response", "conversation_id": "conv_1",
                             "outputs": [{"object": "entry", "type": "message.output",
                                          "role": "assistant", "content": "Salut!",
                                          "model": "mistral-medium-2505", "id": "msg_c1",
                                          "created_at": "2026-01-01T00:00:00Z"}],
                             "usage": {"prompt_tokens": 5, "completion_tokens": 2,
                                       "total_tokens": 7}})
        elif path == "/mistral/v1/embeddings":
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            self._json(200, {"id": "emb-1", "object": "list", "model": "mistral-embed",
                             "data": [{"object": "embedding", "index": i,
                                       "embedding": [0.1, 0.2, 0.3, 0.4]}
                                      for i, _ in enumerate(inputs)],
                             "usage": {"prompt_tokens": 6, "completion_tokens": 0,
                                       "total_tokens": 6}})
        elif path == "/cohere/v2/audio/transcriptions":
            self._json(200, {"text": "Bonjour from fake Cohere audio."})
        elif path == "/cohere/v2/chat":
            if stream:
                self._sse(list(cohere_events()), done=False)
            else:
                self._json(200, cohere_chat(body))
        elif path == "/cohere/v1/chat" and not stream:
            self._json(200, {"response_id": "r-v1", "generation_id": "g-v1",
                             "text": "Hello from Cohere v1!", "finish_reason": "COMPLETE",
                             "meta": {"api_version": {"version": "1"},
                                      "billed_units": {"input_tokens": 6, "output_tokens": 4}}})
        elif path == "/cohere/v1/chat":
            v1_events: list[tuple[Optional[str], Any]] = [
                (None, {"event_type": "stream-start", "generation_id": "g-v1s",
                        "is_finished": False})]
            v1_events += [(None, {"event_type": "text-generation", "text": t,
                               "is_finished": False}) for t in ["Hello", " v1"]]
            v1_events.append((None, {"event_type": "stream-end", "is_finished": True,
                                  "finish_reason": "COMPLETE", "response": {
                                      "response_id": "r-v1s", "generation_id": "g-v1s",
                                      "text": "Hello v1", "finish_reason": "COMPLETE",
                                      "meta": {"billed_units": {"input_tokens": 6,
                                                                "output_tokens": 2}}}}))
            self._ndjson(v1_events)
        elif path == "/cohere/v2/embed":
            self._json(200, {"id": "emb-c", "response_type": "embeddings_by_type",
                             "texts": body.get("texts"),
                             "embeddings": {"float": [[0.1, 0.2, 0.3]
                                                      for _ in body.get("texts") or []]},
                             "meta": {"billed_units": {"input_tokens": 4}}})
        elif path == "/cohere/v2/rerank":
            self._json(200, {"id": "rr-1", "results": [
                {"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.2}],
                "meta": {"billed_units": {"search_units": 1}}})
        elif path == "/hf/v1/chat/completions":
            if stream:
                self._sse([(None, c) for c in chat_chunks()], done=True)
            else:
                self._json(200, chat_completion(body))
        elif path == "/hf/embed":
            self._json(200, [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]])
        elif path == "/hf/similarity":
            self._json(200, [0.9, 0.1])
        elif path == "/hf/tgi":
            if stream:
                tokens = ["Once", " upon", " a time"]
                self._sse([(None, {"index": i + 1, "token": {"id": i, "text": t,
                                                             "logprob": -0.1,
                                                             "special": False},
                                   "generated_text": "Once upon a time"
                                   if i == len(tokens) - 1 else None,
                                   "details": {"finish_reason": "length",
                                               "generated_tokens": 3, "seed": None}
                                   if i == len(tokens) - 1 else None})
                           for i, t in enumerate(tokens)], done=False)
            else:
                self._json(200, [{"generated_text": "Once upon a time",
                                  "details": {"finish_reason": "length",
                                              "generated_tokens": 4, "seed": 7,
                                              "prefill": [{"id": 1, "text": "Tell"},
                                                          {"id": 2, "text": " me"}],
                                              "tokens": []}}])
        elif path.startswith("/model/"):
            model, _, action = path[len("/model/"):].rpartition("/")
            if action == "converse":
                self._json(200, bedrock_converse(model, body))
            elif action == "converse-stream":
                self._event_stream([(n, json.dumps(e).encode())
                                    for n, e in bedrock_converse_events()])
            elif action == "invoke" and model == "truncated":
                # The connection drops mid-body: reading the body fails.
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "1000")
                self.end_headers()
                self.wfile.write(b'{"id": "msg_')
                self.wfile.flush()
                self.close_connection = True
            elif action == "invoke":
                self._json(200, anthropic_message(body))
            elif action == "invoke-with-response-stream":
                self._event_stream([
                    ("chunk", json.dumps({"bytes": base64.b64encode(
                        json.dumps(event).encode()).decode()}).encode())
                    for _, event in anthropic_events()])
            else:
                return False
        elif path.endswith(":answer"):
            self._json(200, discovery_answer("Paris is the capital of France."))
        elif path.endswith(":streamAnswer"):
            self._json_array_stream([
                discovery_answer("Paris is", "STREAMING"),
                discovery_answer(" the capital.", "STREAMING"),
                discovery_answer("Paris is the capital.")])
        elif path.endswith(":converse"):
            self._json(200, {"reply": {"summary": {
                "summaryText": "Paris, as before.",
                "summaryWithMetadata": {"summary": "Paris, as before.",
                                        "references": [{"title": "Atlas",
                                                        "document": "d1"}]}}},
                "conversation": {"name": "c1"}})
        elif path.endswith(":check"):
            self._json(200, {"supportScore": 0.75, "citedChunks": [{"chunkText": "Paris"}],
                             "claims": [{"claimText": "Paris is the capital",
                                         "startPos": 0, "endPos": 20}]})
        elif path.endswith(":rank"):
            self._json(200, {"records": [{"id": "2", "title": "B", "score": 0.8},
                                         {"id": "1", "title": "A", "score": 0.1}]})
        else:
            return False
        return True

    def do_POST(self) -> None:
        fake: FakeLLM = self.server.fake  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("content-type", "").startswith("multipart/form-data"):
            # An uploaded file (audio); the form's stream field says whether to stream.
            body: Any = {"multipart_bytes": len(raw),
                         "stream": b'name="stream"\r\n\r\ntrue' in raw}
        else:
            body = json.loads(raw or b"{}")
        path = self.path.split("?")[0]
        with fake.lock:
            fake.requests.append({"path": path, "body": body, "headers": dict(self.headers)})
            failure = fake.failures.pop(0) if fake.failures else None
        if failure is not None:
            self._json(*failure)
            return
        stream = isinstance(body, dict) and bool(body.get("stream"))
        if self._other_providers(path, body, stream):
            return
        if path == "/v1/chat/completions":
            if stream:
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                chunks = (tool_call_chunks(body["tools"][0], usage=include_usage)
                          if body.get("tools") and not answered(body)
                          else chat_chunks(final=answered(body)))
                self._sse([(None, c) for c in chunks], done=True)
            else:
                self._json(200, chat_completion(body))
        elif path == "/v1/embeddings":
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            self._json(200, {"object": "list", "model": "text-embedding-3-small",
                             "data": [{"object": "embedding", "index": i,
                                       "embedding": [0.1, 0.2, 0.3]}
                                      for i, _ in enumerate(inputs)],
                             "usage": {"prompt_tokens": 4, "total_tokens": 4}})
        elif path == "/v1/moderations":
            self._json(200, {"id": "modr-1", "model": "omni-moderation-latest",
                             "results": [{"flagged": False, "categories": {},
                                          "category_scores": {}}]})
        elif path == "/v1/responses":
            if stream:
                final = response_object("Hello streamed responses")
                events: list[tuple[Optional[str], Any]] = [
                    ("response.created", {"type": "response.created", "sequence_number": 0,
                                          "response": {**final, "status": "in_progress",
                                                       "output": []}})]
                for i, piece in enumerate(["Hello", " streamed", " responses"]):
                    events.append(("response.output_text.delta", {
                        "type": "response.output_text.delta", "sequence_number": i + 1,
                        "item_id": "msg_1", "output_index": 0, "content_index": 0,
                        "delta": piece, "logprobs": []}))
                events.append(("response.completed", {"type": "response.completed",
                                                      "sequence_number": 9,
                                                      "response": final}))
                self._sse(events, done=False)
            else:
                self._json(200, response_object())
        elif ":generateContent" in path or ":streamGenerateContent" in path:
            model = path.rsplit("/", 1)[-1].split(":")[0]
            if ":streamGenerateContent" in path:
                pieces = ["Hello", " streamed", " Gemini"]
                gemini_chunks: list[tuple[Optional[str], Any]] = [
                    (None, {"candidates": [{"content": {"role": "model",
                                                       "parts": [{"text": p}]},
                                           "index": 0}], "modelVersion": model})
                    for p in pieces]
                gemini_chunks[-1][1]["candidates"][0]["finishReason"] = "STOP"
                gemini_chunks[-1][1]["usageMetadata"] = {"promptTokenCount": 5,
                                                  "candidatesTokenCount": 3,
                                                  "totalTokenCount": 8}
                self._sse(gemini_chunks, done=False)
            else:
                self._json(200, {"candidates": [{"content": {"role": "model", "parts": [
                    gemini_part(body)]}, "finishReason": "STOP",
                    "index": 0}], "usageMetadata": {"promptTokenCount": 5,
                                                    "candidatesTokenCount": 4,
                                                    "totalTokenCount": 9},
                    "modelVersion": model, "responseId": "gem-1"})
        elif path == "/v1/messages":
            if stream:
                self._sse([(n, d) for n, d in anthropic_events()], done=False)
            else:
                self._json(200, anthropic_message(body))
        else:
            self._json(404, {"error": {"message": f"no route {path}"}})


def main() -> None:
    """Runs the fake provider in its own process (for benchmarks); prints its base URL."""
    import sys

    with FakeLLM() as server:
        print(server.base, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()


class FakeDiscoveryGrpc:
    """Discovery Engine's conversational search over gRPC on 127.0.0.1 (for async clients).

    Answers with the same messages as the REST routes of :class:`FakeLLM`.
    """

    def __init__(self) -> None:
        self.address = ""
        self._server: Any = None

    def __enter__(self) -> FakeDiscoveryGrpc:
        from concurrent import futures

        import grpc
        from google.cloud.discoveryengine_v1 import AnswerQueryRequest, AnswerQueryResponse

        def answer(request: Any, context: Any) -> Any:
            return AnswerQueryResponse.from_json(json.dumps(discovery_answer(
                "Paris is the capital of France.")))

        def stream(request: Any, context: Any) -> Any:
            for text, state in (("Paris is", "STREAMING"), (" the capital.", "STREAMING"),
                                ("Paris is the capital.", "SUCCEEDED")):
                yield AnswerQueryResponse.from_json(json.dumps(discovery_answer(text, state)))

        handler = grpc.method_handlers_generic_handler(
            "google.cloud.discoveryengine.v1.ConversationalSearchService", {
                "AnswerQuery": grpc.unary_unary_rpc_method_handler(
                    answer, request_deserializer=AnswerQueryRequest.deserialize,
                    response_serializer=AnswerQueryResponse.serialize),
                "StreamAnswerQuery": grpc.unary_stream_rpc_method_handler(
                    stream, request_deserializer=AnswerQueryRequest.deserialize,
                    response_serializer=AnswerQueryResponse.serialize)})
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        self._server.add_generic_rpc_handlers((handler,))
        port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        self.address = f"127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.stop(grace=None)
