"""The Claude Agent SDK, for real, driving a fake ``claude`` CLI (tests/fake_claude_cli.py).

The SDK runs the CLI as a subprocess and reads its stream-json output, so the
fake CLI is the provider here: it scripts a run with a tool call, one with a
subagent, and a failed one. The SDK's wheel bundles a 370 MB CLI, hence a
virtualenv of its own (``.venv-claude``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import stored_rows
from tests.fake_claude_cli import FINAL_ANSWER, MODEL, STREAM_OUTPUT_TOKENS, STREAM_USAGE, USAGE
from tests.framework_venv import ancestors, framework_python, run_script

PACKAGES = ["claude-agent-sdk==0.2.184"]

SCRIPT = """
import asyncio, json, os
import braintrust

braintrust.init_logger(project="p")
turned_on = braintrust.auto_instrument()
from claude_agent_sdk import (ClaudeAgentOptions, ClaudeSDKClient, HookMatcher,
                              create_sdk_mcp_server, query, tool)

options = ClaudeAgentOptions(cli_path=os.environ["FAKE_CLAUDE"], model="claude-sonnet-4-5")

async def one_shot():
    return [type(m).__name__ async for m in query(prompt="Weather in Paris?", options=options)]

async def with_client(prompt):
    async with ClaudeSDKClient(options=options) as client:
        await client.query(prompt)
        return [type(m).__name__ async for m in client.receive_response()]

with braintrust.start_span(name="request") as root:
    kinds = asyncio.run(one_shot())
subagent = asyncio.run(with_client("Use a subagent for the weather"))
failed = asyncio.run(with_client("This run will fail"))

async def check_tool(input_data, tool_use_id, context):
    with braintrust.start_span(name="policy check"):
        return {"systemMessage": "allowed", "continue_": True}

hooked = ClaudeAgentOptions(cli_path=os.environ["FAKE_CLAUDE"],
                            hooks={"PreToolUse": [HookMatcher(hooks=[check_tool])]})

async def with_hook():
    async with ClaudeSDKClient(options=hooked) as client:
        await client.query("Weather in Paris, checked?")
        return [type(m).__name__ async for m in client.receive_response()]

hook_run = asyncio.run(with_hook())

@tool("get_weather", "The weather in a city.", {"city": str})
async def get_weather(args):
    with braintrust.start_span(name="weather lookup"):
        return {"content": [{"type": "text", "text": f"sunny in {args['city']}"}]}

served = ClaudeAgentOptions(
    cli_path=os.environ["FAKE_CLAUDE"],
    mcp_servers={"weather": create_sdk_mcp_server("weather", tools=[get_weather])})

async def with_sdk_tool():
    async with ClaudeSDKClient(options=served) as client:
        await client.query("Weather in Paris, from my tool?")
        return [type(m).__name__ async for m in client.receive_response()]

tool_run = asyncio.run(with_sdk_tool())

partial = ClaudeAgentOptions(cli_path=os.environ["FAKE_CLAUDE"], include_partial_messages=True)

async def streamed_query():
    return [type(m).__name__ async for m in query(prompt="Weather in Paris, streamed?",
                                                  options=partial)]

streamed = asyncio.run(streamed_query())
tracked = asyncio.run(with_client("Use a tracked subagent for the weather"))
braintrust.flush()
print(json.dumps({"turned_on": turned_on, "root": root.span_id, "kinds": kinds,
                  "subagent": subagent, "failed": failed, "hook_run": hook_run,
                  "tool_run": tool_run, "streamed": streamed, "tracked": tracked}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("claude", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"the Claude Agent SDK cannot be installed here: {exc}")


@pytest.fixture(scope="module")
def run(python: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any],
                                                                           list[dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("claude")
    cli = tmp / "claude"
    fake = Path(__file__).resolve().parents[2] / "fake_claude_cli.py"
    cli.write_text(f'#!/bin/sh\nexec {sys.executable} {fake} "$@"\n')
    cli.chmod(0o755)
    out = run_script(python, SCRIPT, tmp / "store.sqlite", {"FAKE_CLAUDE": str(cli)})
    return out, stored_rows(tmp / "store.sqlite", "p")


def _runs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((r for r in rows if r["span_attributes"]["name"] == "Claude Agent"),
                  key=lambda r: r["metrics"]["start"])


def _children(rows: list[dict[str, Any]], parent: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted((r for r in rows if r["span_parents"] == [parent["span_id"]]),
                  key=lambda r: r["metrics"]["start"])


def test_a_query_is_a_run_with_one_llm_row_per_model_turn_and_a_tool_row(run: Any) -> None:
    out, rows = run
    assert out["turned_on"]["claude_agent_sdk"] is True
    assert out["kinds"] == ["SystemMessage", "AssistantMessage", "AssistantMessage",
                            "UserMessage", "AssistantMessage", "ResultMessage"]
    agent = _runs(rows)[0]
    assert agent["span_parents"] == [out["root"]]
    assert agent["span_attributes"]["type"] == "task"
    assert agent["input"] == "Weather in Paris?"
    assert agent["output"] == FINAL_ANSWER
    md = agent["metadata"]
    assert (md["num_turns"], md["session_id"], md["stop_reason"], md["total_cost_usd"],
            md["duration_ms"], md["duration_api_ms"]) == (2, "sess-1", "end_turn", 0.0123,
                                                          1234, 1000)
    assert md["usage_service_tier"] == "standard"
    assert md["task_events"][0]["subtype"] == "init"
    # The run's usage: cached input counts as prompt tokens, as Anthropic bills it.
    m = agent["metrics"]
    assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"],
            m["prompt_cached_tokens"]) == (35, 12, 47, 5)

    first, second = _children(rows, agent)
    for llm in (first, second):
        assert llm["span_attributes"] == {"name": "anthropic.messages.create", "type": "llm"}
        assert llm["metadata"]["provider"] == "anthropic"
        assert llm["metadata"]["model"] == MODEL
        assert llm["metadata"]["usage_output_tokens_unknown"] is True
        assert llm["metrics"]["time_to_first_token"] >= 0
        assert "prompt_tokens" not in llm["metrics"]  # counted once, on the run
    # The CLI sent the first turn's two blocks as two messages: one row holds both.
    tool_use = {"type": "tool_use", "id": "toolu_1", "name": "mcp__weather__get_weather",
                "input": {"city": "Paris"}}
    assert first["input"] == [{"content": "Weather in Paris?", "role": "user"}]
    assert first["output"] == [{"role": "assistant", "content": [
        {"type": "text", "text": "Let me check."}, tool_use]}]
    assert second["input"] == [
        {"content": "Weather in Paris?", "role": "user"},
        {"role": "assistant", "content": [{"type": "text", "text": "Let me check."}, tool_use]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                      "content": "sunny"}]}]
    assert second["output"] == [{"role": "assistant",
                                 "content": [{"type": "text", "text": FINAL_ANSWER}]}]

    [tool] = _children(rows, first)
    assert tool["span_attributes"] == {"name": "get_weather", "type": "tool"}
    assert tool["input"] == {"city": "Paris"}
    assert tool["output"] == {"content": "sunny"}
    assert tool["metadata"] == {"gen_ai.tool.name": "get_weather", "gen_ai.tool.call.id": "toolu_1",
                                "raw_tool_name": "mcp__weather__get_weather",
                                "gen_ai.operation.name": "execute_tool",
                                "mcp.method.name": "tools/call", "mcp.server": "weather"}
    assert tool["metrics"]["end"] <= second["metrics"]["start"]


def test_a_subagent_is_a_task_under_its_agent_tool(run: Any) -> None:
    _, rows = run
    agent = _runs(rows)[1]
    assert not agent["span_parents"]  # no span was current: a trace of its own
    assert agent["input"] == "Use a subagent for the weather"
    assert agent["metadata"]["num_turns"] == 3
    first, last = _children(rows, agent)
    [agent_tool] = _children(rows, first)
    assert agent_tool["span_attributes"] == {"name": "Agent", "type": "tool"}
    assert agent_tool["output"] == {"content": "Sunny."}
    [task] = _children(rows, agent_tool)
    assert task["span_attributes"] == {"name": "Look up weather", "type": "task"}
    assert task["metadata"] == {"tool_use_id": "toolu_agent", "task_type": "researcher"}
    sub_first, sub_second = _children(rows, task)
    assert [r["span_attributes"]["type"] for r in (sub_first, sub_second)] == ["llm", "llm"]
    [read] = _children(rows, sub_first)
    assert ancestors(rows, read) == ["anthropic.messages.create", "Look up weather", "Agent",
                                     "anthropic.messages.create", "Claude Agent"]
    assert read["output"] == {"content": "no such file", "is_error": True}
    assert read["error"] == "no such file"
    assert last["output"][0]["content"] == [{"type": "text", "text": FINAL_ANSWER}]


def test_a_failed_run_carries_the_error(run: Any) -> None:
    out, rows = run
    assert out["failed"] == ["SystemMessage", "ResultMessage"]
    agent = _runs(rows)[2]
    assert agent["error"] == "The model refused."
    assert agent["output"] == "The model refused."
    assert not _children(rows, agent)


def test_a_hook_callback_is_a_function_span_under_its_tool(run: Any) -> None:
    out, rows = run
    assert out["hook_run"][-1] == "ResultMessage"
    agent = _runs(rows)[3]
    assert agent["input"] == "Weather in Paris, checked?"
    first, _ = _children(rows, agent)
    [tool] = _children(rows, first)
    [hook] = _children(rows, tool)
    assert hook["span_attributes"] == {"name": "PreToolUse hook", "type": "function"}
    # Only the hook protocol's fields: no working directory or transcript path.
    assert hook["input"] == {"session_id": "sess-1", "hook_event_name": "PreToolUse",
                             "tool_name": "mcp__weather__get_weather",
                             "tool_input": {"city": "Paris"}}
    assert hook["output"] == {"systemMessage": "allowed"}
    assert hook["metadata"] == {
        "claude_agent_sdk.hook.event_name": "PreToolUse",
        "claude_agent_sdk.hook.callback_name": "check_tool",
        "claude_agent_sdk.hook.tool_use_id": "toolu_1",
        "claude_agent_sdk.hook.tool_name": "mcp__weather__get_weather",
        "claude_agent_sdk.hook.session_id": "sess-1"}
    [check] = [r for r in rows if r["span_attributes"]["name"] == "policy check"]
    assert check["span_parents"] == [hook["span_id"]]


def test_an_sdk_mcp_tool_handler_runs_inside_its_tool_span(run: Any) -> None:
    out, rows = run
    assert out["tool_run"][-1] == "ResultMessage"
    agent = _runs(rows)[4]
    assert agent["input"] == "Weather in Paris, from my tool?"
    first, second = _children(rows, agent)
    [tool] = _children(rows, first)
    assert tool["output"] == {"content": "sunny in Paris"}  # the handler's answer
    [lookup] = _children(rows, tool)
    assert lookup["span_attributes"]["name"] == "weather lookup"
    assert second["input"][-1]["content"][0]["content"] == "sunny in Paris"


def test_partial_messages_give_each_turn_its_tokens(run: Any) -> None:
    # With include_partial_messages the CLI streams message_start/message_delta events:
    # each llm row gets its turn's tokens (the final output count from message_delta),
    # and the run shows its total as metadata instead of counting it a second time.
    out, rows = run
    assert out["streamed"].count("StreamEvent") == 6
    agent = _runs(rows)[5]
    assert agent["input"] == "Weather in Paris, streamed?"
    assert agent["output"] == FINAL_ANSWER
    assert agent["metadata"]["model_usage"] == {
        k: USAGE[k] for k in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                              "cache_creation_input_tokens")}
    assert not {"prompt_tokens", "completion_tokens", "tokens"} & set(agent["metrics"])
    first, second = _children(rows, agent)
    prompt = int(STREAM_USAGE["input_tokens"]) + int(STREAM_USAGE["cache_read_input_tokens"])
    for llm in (first, second):
        m = llm["metrics"]
        assert (m["prompt_tokens"], m["prompt_cached_tokens"], m["completion_tokens"],
                m["tokens"]) == (prompt, STREAM_USAGE["cache_read_input_tokens"],
                                 STREAM_OUTPUT_TOKENS, prompt + STREAM_OUTPUT_TOKENS)
        assert "usage_output_tokens_unknown" not in llm["metadata"]
    # The turn's blocks are still one row (the stream events name the same message).
    assert [b["type"] for b in first["output"][0]["content"]] == ["text", "tool_use"]


def test_task_messages_open_fill_and_end_the_subagents_task(run: Any) -> None:
    # CLIs from 2.1 announce a subagent with task_started, report task_progress and end
    # it with task_notification: the task row is made from them (name, metadata, output).
    out, rows = run
    assert out["tracked"][-1] == "ResultMessage"
    assert {"TaskStartedMessage", "TaskProgressMessage", "TaskNotificationMessage"} \
        <= set(out["tracked"])
    agent = _runs(rows)[6]
    assert agent["input"] == "Use a tracked subagent for the weather"
    first, _ = _children(rows, agent)
    [agent_tool] = _children(rows, first)
    assert agent_tool["span_attributes"] == {"name": "Agent", "type": "tool"}
    [task] = _children(rows, agent_tool)
    assert task["span_attributes"] == {"name": "Weather lookup task", "type": "task"}
    assert task["metadata"] == {
        "task_id": "task-1", "session_id": "sess-1", "tool_use_id": "toolu_agent",
        "task_type": "local_agent", "status": "completed", "last_tool_name": "Read",
        "usage": {"total_tokens": 80, "tool_uses": 1, "duration_ms": 20}}
    assert task["output"] == {"summary": "Found: sunny.", "output_file": "/tmp/out.md"}
    sub_first, sub_second = _children(rows, task)
    assert [r["span_attributes"]["type"] for r in (sub_first, sub_second)] == ["llm", "llm"]
    [read] = _children(rows, sub_first)
    assert read["span_attributes"]["name"] == "Read"
    # Ended by its notification, before the Agent tool's result arrived.
    assert task["metrics"]["end"] <= agent_tool["metrics"]["end"]
    subtypes = [e["subtype"] for e in agent["metadata"]["task_events"]]
    assert subtypes == ["init", "task_started", "task_progress", "task_notification"]
