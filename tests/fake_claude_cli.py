"""A stand-in for the ``claude`` CLI that the Claude Agent SDK runs as a subprocess.

It speaks the CLI's stream-json protocol on stdin/stdout: it answers the SDK's
``initialize`` control request, and for each user message it prints a
scripted run (``system/init``, assistant messages one content block each as
the CLI sends them, tool results, ``result``). The prompt picks the script:
one with ``subagent`` delegates to an ``Agent`` tool whose subagent calls a
tool (with ``tracked``, announced by ``task_started`` / ``task_progress`` /
``task_notification`` system messages, as CLIs from 2.1 do); one with ``fail``
ends in an error result; any other asks an MCP weather tool and answers
:data:`FINAL_ANSWER`, calling the SDK's ``PreToolUse`` hook callbacks (if it
registered any) before running the tool, as the CLI does. Given
``--include-partial-messages``, it streams each model message's
``message_start`` / ``message_delta`` / ``message_stop`` events (with
:data:`STREAM_USAGE` and the output count :data:`STREAM_OUTPUT_TOKENS`)
around its blocks. It exits when stdin closes.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Optional

MODEL = "claude-sonnet-4-5-20250929"
FINAL_ANSWER = "It is sunny in Paris."
SESSION = "sess-1"
#: The in-process MCP servers the SDK offers (``--mcp-config``, type ``sdk``).
SDK_SERVERS: set[str] = set()
#: Hook event -> the SDK's callback ids, from its initialize request.
HOOKS: dict[str, list[str]] = {}
USAGE = {"input_tokens": 30, "output_tokens": 12, "cache_read_input_tokens": 5,
         "cache_creation_input_tokens": 0, "service_tier": "standard"}
#: A streamed message's usage at message_start, and its final output count (message_delta).
STREAM_USAGE: dict[str, Any] = {"input_tokens": 20, "output_tokens": 1,
                                "cache_read_input_tokens": 4, "cache_creation_input_tokens": 0,
                                "service_tier": "standard"}
STREAM_OUTPUT_TOKENS = 9
PARTIAL = "--include-partial-messages" in sys.argv


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def assistant(message_id: str, block: dict[str, Any], parent: Optional[str] = None) -> None:
    emit({"type": "assistant", "parent_tool_use_id": parent, "session_id": SESSION,
          "uuid": f"{message_id}-{block['type']}",
          "message": {"id": message_id, "type": "message", "role": "assistant", "model": MODEL,
                      "content": [block], "stop_reason": None,
                      "usage": {"input_tokens": 10, "output_tokens": 1}}})


def stream_start(message_id: str, parent: Optional[str] = None) -> None:
    """A streamed message's first event (with partial messages only)."""
    if PARTIAL:
        emit({"type": "stream_event", "uuid": f"{message_id}-start", "session_id": SESSION,
              "parent_tool_use_id": parent, "event": {"type": "message_start", "message": {
                  "id": message_id, "type": "message", "role": "assistant", "model": MODEL,
                  "content": [], "usage": dict(STREAM_USAGE)}}})


def stream_end(message_id: str, parent: Optional[str] = None) -> None:
    """A streamed message's last events: its final usage, then its stop."""
    if PARTIAL:
        emit({"type": "stream_event", "uuid": f"{message_id}-delta", "session_id": SESSION,
              "parent_tool_use_id": parent, "event": {
                  "type": "message_delta", "delta": {"stop_reason": "end_turn"},
                  "usage": {"output_tokens": STREAM_OUTPUT_TOKENS}}})
        emit({"type": "stream_event", "uuid": f"{message_id}-stop", "session_id": SESSION,
              "parent_tool_use_id": parent, "event": {"type": "message_stop"}})


def task_message(subtype: str, **fields: Any) -> None:
    emit({"type": "system", "subtype": subtype, "session_id": SESSION,
          "uuid": f"{subtype}-1", "task_id": "task-1", "tool_use_id": "toolu_agent", **fields})


def tool_result(tool_use_id: str, text: str, parent: Optional[str] = None,
                is_error: bool = False) -> None:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_use_id,
                             "content": [{"type": "text", "text": text}]}
    if is_error:
        block["is_error"] = True
    emit({"type": "user", "parent_tool_use_id": parent, "session_id": SESSION,
          "uuid": f"result-{tool_use_id}",
          "message": {"role": "user", "content": [block]}})


def result(text: str, turns: int, is_error: bool = False) -> None:
    emit({"type": "result", "subtype": "error_during_execution" if is_error else "success",
          "duration_ms": 1234, "duration_api_ms": 1000, "is_error": is_error,
          "num_turns": turns, "session_id": SESSION, "total_cost_usd": 0.0123,
          "stop_reason": "end_turn", "usage": USAGE, "result": text, "uuid": "res-1"})


def call_hooks(event: str, tool_use_id: str, tool_name: str, tool_input: Any) -> None:
    """Asks the SDK to run its callbacks for ``event`` and waits for each answer."""
    for n, callback_id in enumerate(HOOKS.get(event, [])):
        request_id = f"cli_hook_{tool_use_id}_{n}"
        emit({"type": "control_request", "request_id": request_id, "request": {
            "subtype": "hook_callback", "callback_id": callback_id, "tool_use_id": tool_use_id,
            "input": {"session_id": SESSION, "transcript_path": "/tmp/transcript.jsonl",
                      "cwd": "/tmp", "hook_event_name": event, "tool_name": tool_name,
                      "tool_input": tool_input}}})
        for line in sys.stdin:
            data = json.loads(line)
            if data.get("type") == "control_response" \
                    and data["response"].get("request_id") == request_id:
                break


def control(request: dict[str, Any], request_id: str, wait: bool = True) -> Any:
    """Sends the SDK a control request and returns its answer."""
    emit({"type": "control_request", "request_id": request_id, "request": request})
    if not wait:
        return None
    for line in sys.stdin:
        data = json.loads(line)
        if data.get("type") == "control_response" \
                and data["response"].get("request_id") == request_id:
            return data["response"].get("response")
    return None


def sdk_tool(server: str, name: str, arguments: Any) -> str:
    """Calls a tool of an in-process (SDK) MCP server over the control protocol."""
    def mcp(message: dict[str, Any], request_id: str, wait: bool = True) -> Any:
        return control({"subtype": "mcp_message", "server_name": server,
                        "message": {"jsonrpc": "2.0", **message}}, request_id, wait)

    mcp({"id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "fake-claude", "version": "1"}}}, "cli_mcp_init")
    mcp({"method": "notifications/initialized"}, "cli_mcp_ready", wait=False)
    answer = mcp({"id": 1, "method": "tools/call",
                  "params": {"name": name, "arguments": arguments}}, "cli_mcp_call")
    content = answer["mcp_response"]["result"]["content"]
    return "".join(part.get("text", "") for part in content)


def weather_run() -> None:
    stream_start("msg_1")
    assistant("msg_1", {"type": "text", "text": "Let me check."})
    assistant("msg_1", {"type": "tool_use", "id": "toolu_1",
                        "name": "mcp__weather__get_weather", "input": {"city": "Paris"}})
    stream_end("msg_1")
    call_hooks("PreToolUse", "toolu_1", "mcp__weather__get_weather", {"city": "Paris"})
    # The SDK's own MCP server, when the application gave one named "weather".
    answer = sdk_tool("weather", "get_weather", {"city": "Paris"}) \
        if "weather" in SDK_SERVERS else "sunny"
    tool_result("toolu_1", answer)
    stream_start("msg_2")
    assistant("msg_2", {"type": "text", "text": FINAL_ANSWER})
    stream_end("msg_2")
    result(FINAL_ANSWER, 2)


def subagent_run(tracked: bool = False) -> None:
    assistant("msg_1", {"type": "tool_use", "id": "toolu_agent", "name": "Agent",
                        "input": {"description": "Look up weather",
                                  "subagent_type": "researcher",
                                  "prompt": "Find the weather in Paris"}})
    if tracked:
        task_message("task_started", description="Weather lookup task",
                     task_type="local_agent")
    assistant("msg_s1", {"type": "tool_use", "id": "toolu_read", "name": "Read",
                         "input": {"file_path": "/tmp/weather.txt"}}, parent="toolu_agent")
    tool_result("toolu_read", "no such file", parent="toolu_agent", is_error=True)
    if tracked:
        task_message("task_progress", description="Weather lookup task",
                     usage={"total_tokens": 50, "tool_uses": 1, "duration_ms": 10},
                     last_tool_name="Read")
    assistant("msg_s2", {"type": "text", "text": "Sunny."}, parent="toolu_agent")
    if tracked:
        task_message("task_notification", status="completed", output_file="/tmp/out.md",
                     summary="Found: sunny.",
                     usage={"total_tokens": 80, "tool_uses": 1, "duration_ms": 20})
    tool_result("toolu_agent", "Sunny.")
    assistant("msg_2", {"type": "text", "text": FINAL_ANSWER})
    result(FINAL_ANSWER, 3)


def main() -> None:
    if "--mcp-config" in sys.argv:
        config = json.loads(sys.argv[sys.argv.index("--mcp-config") + 1])
        SDK_SERVERS.update(name for name, server in config.get("mcpServers", {}).items()
                           if server.get("type") == "sdk")
    for line in sys.stdin:
        if not line.strip():
            continue
        data = json.loads(line)
        if data.get("type") == "control_request":
            for event, matchers in (data["request"].get("hooks") or {}).items():
                for matcher in matchers:
                    HOOKS.setdefault(event, []).extend(matcher.get("hookCallbackIds", []))
            emit({"type": "control_response",
                  "response": {"subtype": "success", "request_id": data["request_id"],
                               "response": {"commands": [], "models": []}}})
        elif data.get("type") == "user":
            prompt = str(data["message"]["content"])
            emit({"type": "system", "subtype": "init", "session_id": SESSION, "uuid": "init-1",
                  "model": MODEL, "tools": ["Read", "Agent"], "cwd": "/tmp",
                  "claude_code_version": "2.1.300"})
            if "subagent" in prompt:
                subagent_run(tracked="tracked" in prompt)
            elif "fail" in prompt:
                result("The model refused.", 1, is_error=True)
            else:
                weather_run()


if __name__ == "__main__":
    main()
