"""A fake LLM provider on 127.0.0.1: the OpenAI and Anthropic endpoints the clients call.

JSON and server-sent-event streaming answers; ``fail_next`` makes the next
request fail with a given status. Point the real clients at ``openai_url`` /
``anthropic_url``.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

MODEL = "gpt-4o-mini-2024-07-18"
CLAUDE = "claude-3-5-sonnet-20241022"
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


def chat_completion(body: dict[str, Any]) -> dict[str, Any]:
    tools = body.get("tools")
    message: dict[str, Any] = {"role": "assistant", "content": "Hello from fake server!"}
    finish = "stop"
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema" and fmt["json_schema"].get("name") != "Broken":
        message = {"role": "assistant", "content": "{\"city\": \"Paris\"}"}
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
    msg = {"id": "msg_stream", "type": "message", "role": "assistant", "model": CLAUDE,
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
        threading.Thread(target=server.serve_forever, daemon=True).start()
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

    def do_POST(self) -> None:
        fake: FakeLLM = self.server.fake  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.loads(raw or b"{}")
        path = self.path.split("?")[0]
        with fake.lock:
            fake.requests.append({"path": path, "body": body, "headers": dict(self.headers)})
            failure = fake.failures.pop(0) if fake.failures else None
        if failure is not None:
            self._json(*failure)
            return
        stream = bool(body.get("stream"))
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
                chunks: list[tuple[Optional[str], Any]] = [
                    (None, {"candidates": [{"content": {"role": "model",
                                                       "parts": [{"text": p}]},
                                           "index": 0}], "modelVersion": model})
                    for p in pieces]
                chunks[-1][1]["candidates"][0]["finishReason"] = "STOP"
                chunks[-1][1]["usageMetadata"] = {"promptTokenCount": 5,
                                                  "candidatesTokenCount": 3,
                                                  "totalTokenCount": 8}
                self._sse(chunks, done=False)
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
