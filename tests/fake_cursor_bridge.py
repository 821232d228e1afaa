"""A stand-in for ``cursor-sdk-bridge``, the Node process the Cursor SDK drives.

The ``cursor_sdk`` package is a Python client of a bridge it launches (its
wheel bundles Node and ``@cursor/sdk``): the bridge prints a discovery line on
stderr (``cursor-sdk-bridge ready {json}``: URL and bearer token) and then
answers ConnectRPC calls with JSON bodies over HTTP on loopback. The real one
sends every run to Cursor's service, so this one takes its place: give it to
``Client.launch_bridge([sys.executable, __file__])`` and it listens on
127.0.0.1 and plays scripted runs.

It answers ``SdkAgentService`` ``CreateAgent``, ``ResumeAgent``,
``CloseAgent``, ``CancelRun`` and the server-streamed ``Send`` and
``ObserveRun`` (Connect envelopes: a flags byte, a 4-byte length, JSON), and
the control service's ``Shutdown``; it also stops when the process that
launched it is gone. A run streams what the bridge's converters make of the
local agent's updates (``@cursor/sdk``'s ``sendUpdate``): ``system``/``init``,
the user message, ``thinking`` deltas, one ``assistant`` message per text
delta, ``tool_call`` messages (``running``, then ``completed`` or ``error``),
one ``usage`` message at the turn's end, then a ``result`` envelope (proto
JSON: enum names, 64-bit integers as strings) and ``done``.

The message text picks the script: one with ``fail`` ends in an error
result; one with ``crash`` breaks the stream off with a Connect error; one
with ``file`` calls the built-in ``read`` tool, which fails; one with ``two
turns`` reports usage twice (a turn with a tool call, then one answering);
any other asks :data:`CUSTOM_TOOL` for the weather and answers
:data:`FINAL_ANSWER`. When the agent registered that custom tool, the bridge
calls the host's ``SdkCustomToolCallbackService/CallCustomTool`` (the URL
and token it was launched with) between the ``running`` and ``completed``
messages, as the real bridge runs a host tool, and reports the host's result
(with ``at once`` in the message, before it streams anything). The tool
call's name and arguments are the custom tool's own (the real bridge routes
custom tools through Cursor's MCP tool; what it names that call is not
observable offline). ``ObserveRun`` replays a run's stream, offsets and all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import struct
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

MODEL = "composer-2"
CUSTOM_TOOL = "get_weather"
FINAL_ANSWER = "It is sunny in Paris."
THINKING = "The user wants the weather; I should call the tool."
#: The turn's usage as the ``usage`` message and the result report it.
USAGE = {"inputTokens": 120, "outputTokens": 40, "cacheReadTokens": 30,
         "cacheWriteTokens": 10, "totalTokens": 160, "reasoningTokens": 8}
FAILED_MESSAGE = "The model refused."
AGENT_SERVICE = "sdk.v1.SdkAgentService"
CONTROL_SERVICE = "sdk.v1.SdkBridgeControlService"
END_STREAM = 0x02


class Bridge:
    """The fake bridge's state: agents, their custom tools, the host's callback."""

    def __init__(self, token: str, callback_url: Optional[str],
                 callback_token: Optional[str], gate: Optional[str] = None) -> None:
        self.token = token
        self.callback_url = callback_url
        # A file the host makes once ``send()`` has returned: a mid-run tool call
        # waits for it, so where the host is when the call comes is not left to timing.
        self.gate = gate
        self.callback_token = callback_token
        self.agents: dict[str, dict[str, Any]] = {}
        self.runs = 0
        #: Each run's stream messages, for ObserveRun, and whether the run is over.
        self.streams: dict[str, tuple[list[dict[str, Any]], threading.Event]] = {}
        self.lock = threading.Lock()
        self.server: Optional[ThreadingHTTPServer] = None

    def create_agent(self, request: dict[str, Any]) -> dict[str, Any]:
        options = request.get("options") or {}
        with self.lock:
            agent_id = str(options.get("agentId") or f"agent-{len(self.agents) + 1}")
            custom = ((options.get("local") or {}).get("customTools") or {})
            self.agents[agent_id] = {"tools": set(custom), "model": options.get("model")}
        return {"agentId": agent_id, "model": options.get("model") or {"id": MODEL}}

    def call_host_tool(self, agent_id: str, call_id: str, args: dict[str, Any]) -> Any:
        """Runs the host's custom tool through its callback service, as the bridge does."""
        assert self.callback_url and self.callback_token
        body = json.dumps({"agentId": agent_id, "toolName": CUSTOM_TOOL, "args": args,
                           "toolCallId": call_id}).encode()
        request = urllib.request.Request(
            self.callback_url.rstrip("/") + "/sdk.v1.SdkCustomToolCallbackService/CallCustomTool",
            data=body, method="POST",
            headers={"Content-Type": "application/json", "Connect-Protocol-Version": "1",
                     "Authorization": f"Bearer {self.callback_token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["result"]

    def send(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """One ``Send``'s stream messages with their offsets, kept for ``ObserveRun``."""
        kept: list[dict[str, Any]] = []
        over = threading.Event()
        try:
            for offset, message in enumerate(self.run(request, (kept, over)), start=1):
                message = {**message, "offset": str(offset)}
                kept.append(message)
                yield message
        finally:
            over.set()

    def observe(self, run_id: str) -> Iterator[dict[str, Any]]:
        """A run's stream again (once the run is over), as ``ObserveRun`` replays it."""
        kept, over = self.streams.get(run_id, ([], threading.Event()))
        over.wait(30)
        yield from kept

    def run(self, request: dict[str, Any],
            kept: tuple[list[dict[str, Any]], threading.Event]) -> Iterator[dict[str, Any]]:
        """The stream messages of one ``Send`` (``kept`` is filed under the run id)."""
        agent_id = str(request.get("agentId") or "")
        text = str((request.get("message") or {}).get("text") or "")
        with self.lock:
            self.runs += 1
            run_id = f"run-{self.runs}"
            self.streams[run_id] = kept
        agent = self.agents.get(agent_id, {})
        model = ((request.get("options") or {}).get("model") or agent.get("model")
                 or {"id": MODEL})
        ids = {"agent_id": agent_id, "run_id": run_id}

        def sdk(message: dict[str, Any]) -> dict[str, Any]:
            return {"sdkMessage": {"type": message["type"], "message": {**message, **ids}}}

        def tool(call_id: str, name: str, status: str, args: Any, result: Any = None
                 ) -> dict[str, Any]:
            message = {"type": "tool_call", "call_id": call_id, "name": name,
                       "status": status, "args": args}
            if result is not None:
                message["result"] = result
            return sdk(message)

        yield sdk({"type": "system", "subtype": "init", "model": model,
                   "tools": ["read", "edit", "shell"]})
        yield sdk({"type": "user", "message": {"role": "user",
                                               "content": [{"type": "text", "text": text}]}})
        answer = FINAL_ANSWER
        early = None
        if "at once" in text and CUSTOM_TOOL in agent.get("tools", ()):
            early = self.call_host_tool(agent_id, "call_1", {"city": "Paris"})
        if "crash" in text:
            yield sdk({"type": "assistant", "message": {
                "role": "assistant", "content": [{"type": "text", "text": "Working"}]}})
            raise RuntimeError("the bridge lost its agent")
        if "two turns" in text:
            yield sdk({"type": "assistant", "message": {
                "role": "assistant", "content": [{"type": "text", "text": "Listing."}]}})
            yield tool("call_ls", "ls", "running", {"path": "."})
            yield tool("call_ls", "ls", "completed", {"path": "."}, {"files": ["a.txt"]})
            yield sdk({"type": "usage", "usage": USAGE})
            answer = "One file: a.txt."
        elif "fail" in text:
            yield sdk({"type": "assistant", "message": {
                "role": "assistant", "content": [{"type": "text", "text": "Working"}]}})
            yield from self._result(ids, model, "RUN_LIFECYCLE_STATUS_ERROR", "", usage=False,
                                    error=("model_error", FAILED_MESSAGE))
            return
        elif "file" in text:
            args: dict[str, Any] = {"path": "missing.txt"}
            yield sdk({"type": "assistant", "message": {
                "role": "assistant", "content": [{"type": "text", "text": "Reading it."}]}})
            yield tool("call_read", "read", "running", args)
            yield tool("call_read", "read", "error", args,
                       {"error": "File not found: missing.txt"})
            answer = "The file does not exist."
        else:
            yield sdk({"type": "thinking", "text": THINKING[:20]})
            yield sdk({"type": "thinking", "text": THINKING[20:]})
            yield sdk({"type": "thinking", "text": "", "thinking_duration_ms": 250})
            for delta in ("Let me check ", "the weather."):
                yield sdk({"type": "assistant", "message": {
                    "role": "assistant", "content": [{"type": "text", "text": delta}]}})
            args = {"city": "Paris"}
            yield tool("call_1", CUSTOM_TOOL, "running", args)
            if early is not None:
                result = early
            elif CUSTOM_TOOL in agent.get("tools", ()):
                self._wait_for_gate()
                result = self.call_host_tool(agent_id, "call_1", args)
            else:
                result = {"content": [{"type": "text", "text": "sunny"}]}
            yield tool("call_1", CUSTOM_TOOL, "completed", args, result)
        for delta in (answer[:6], answer[6:]):
            yield sdk({"type": "assistant", "message": {
                "role": "assistant", "content": [{"type": "text", "text": delta}]}})
        yield sdk({"type": "usage", "usage": USAGE})
        yield from self._result(ids, model, "RUN_LIFECYCLE_STATUS_FINISHED", answer)

    def _wait_for_gate(self, limit: float = 60.0) -> None:
        if self.gate is None:
            return
        deadline = time.monotonic() + limit
        while not os.path.exists(self.gate) and time.monotonic() < deadline:
            time.sleep(0.01)
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.gate)

    def _result(self, ids: dict[str, str], model: Any, status: str, text: str,
                usage: bool = True, error: Optional[tuple[str, str]] = None
                ) -> Iterator[dict[str, Any]]:
        result: dict[str, Any] = {"runId": ids["run_id"], "agentId": ids["agent_id"],
                                  "status": status, "result": text, "model": model,
                                  "durationMs": "2345", "createdAt": "2026-01-02T03:04:05Z"}
        if usage:
            result["usage"] = {k: str(v) for k, v in USAGE.items()}
        envelope: dict[str, Any] = {"agentId": ids["agent_id"], "runId": ids["run_id"],
                                    "status": status, "result": result}
        if error is not None:
            result.update(errorCode=error[0], errorMessage=error[1])
            envelope["errorCode"] = error[0]
        yield {"result": envelope}
        yield {"done": {"agentId": ids["agent_id"], "runId": ids["run_id"]}}


def envelope(payload: dict[str, Any], flags: int = 0) -> bytes:
    """One Connect stream envelope."""
    body = json.dumps(payload).encode()
    return bytes([flags]) + struct.pack(">I", len(body)) + body


def handler(bridge: Bridge) -> type[BaseHTTPRequestHandler]:
    """The HTTP handler class answering the bridge's Connect calls."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {bridge.token}":
                self._json(401, {"code": "unauthenticated", "message": "bad token"})
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            service, _, method = self.path.strip("/").partition("/")
            streamed = self.headers.get("Content-Type") == "application/connect+json"
            request = json.loads(body[5:] if streamed else body or b"{}")
            if service == AGENT_SERVICE and method == "Send":
                self._stream(bridge.send(request))
            elif service == AGENT_SERVICE and method == "ObserveRun":
                self._stream(bridge.observe(str(request.get("runId"))))
            elif service == AGENT_SERVICE and method in ("CreateAgent", "ResumeAgent"):
                if method == "ResumeAgent":
                    request = {"options": {**(request.get("options") or {}),
                                           "agentId": request.get("agentId")}}
                self._json(200, bridge.create_agent(request))
            elif service == AGENT_SERVICE and method in ("CloseAgent", "CancelRun"):
                self._json(200, {})
            elif service == CONTROL_SERVICE and method == "Shutdown":
                self._json(200, {})
                if bridge.server is not None:
                    threading.Thread(target=bridge.server.shutdown, daemon=True).start()
            else:
                self._json(404, {"code": "unimplemented", "message": f"{method} is not faked"})

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, messages: Iterator[dict[str, Any]]) -> None:
            # HTTP/1.0 without a length: the body ends when the connection closes.
            self.send_response(200)
            self.send_header("Content-Type", "application/connect+json")
            self.end_headers()
            try:
                for message in messages:
                    self.wfile.write(envelope(message))
                    self.wfile.flush()
                end: dict[str, Any] = {}
            except Exception as exc:
                end = {"error": {"code": "internal", "message": str(exc)}}
            self.wfile.write(envelope(end, END_STREAM))
            self.wfile.flush()

    return Handler


def _watch_parent(server: ThreadingHTTPServer, lifetime: float = 600.0) -> None:
    """Stops the bridge when the process that launched it is gone (or after ``lifetime``)."""
    parent = os.getppid()
    deadline = time.monotonic() + lifetime
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.5)
    server.shutdown()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool-callback-url")
    parser.add_argument("--tool-callback-auth-token")
    parser.add_argument("--gate")
    options, _ = parser.parse_known_args(argv)
    bridge = Bridge(secrets.token_hex(16), options.tool_callback_url,
                    options.tool_callback_auth_token, options.gate)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(bridge))
    server.daemon_threads = True
    bridge.server = server
    port = server.server_address[1]
    discovery = {"schemaVersion": 1, "transport": "tcp", "protocol": "connect",
                 "url": f"http://127.0.0.1:{port}", "authToken": bridge.token,
                 "serverVersion": "fake-1.1.0"}
    sys.stderr.write("cursor-sdk-bridge ready " + json.dumps(discovery) + "\n")
    sys.stderr.flush()
    threading.Thread(target=_watch_parent, args=(server,), daemon=True).start()
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
