"""The Cursor SDK, for real, driving a fake bridge (tests/fake_cursor_bridge.py).

``cursor_sdk`` launches its bridge as a subprocess and speaks ConnectRPC
(JSON over HTTP on loopback) to it; ``Client.launch_bridge`` is given the
fake instead of the bundled Node bridge, so the SDK's own launch, discovery,
stream parsing, run state and custom-tool callback server all run. The same
script runs under the official SDK 0.48.1 too, and both sets of rows are
compared field by field.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import twin
from tests.fake_cursor_bridge import CUSTOM_TOOL, FAILED_MESSAGE, FINAL_ANSWER, MODEL, THINKING
from tests.official_sdk import official_python

BRIDGE = Path(__file__).resolve().parents[2] / "fake_cursor_bridge.py"
PACKAGE = "cursor-sdk==1.1.0"

SCRIPT = f"""
import asyncio, json, os, sys
import braintrust
from cursor_sdk import AsyncClient, Client, CustomTool, LocalAgentOptions

braintrust.init_logger(project="p")
turned_on = braintrust.auto_instrument()
bridge = [sys.executable, {str(BRIDGE)!r}]
# The official SDK tracks a run only once send() has returned, so the bridge calls
# the custom tool after this script says so (a file); otherwise its rows vary with timing.
gated = bridge + ["--gate", os.path.abspath("tool.gate")]


def weather(args, context):
    with braintrust.start_span(name="weather lookup"):
        return "sunny in " + args["city"]


tools = {{{CUSTOM_TOOL!r}: CustomTool(execute=weather, description="The weather in a city.",
                                     input_schema={{"type": "object"}})}}
client = Client.launch_bridge(gated)
agent = client.agents.create(model={MODEL!r}, api_key="key",
                             local=LocalAgentOptions(cwd=".", custom_tools=tools))
with braintrust.start_span(name="request"):
    sent = agent.send("What is the weather in Paris?")
    open("tool.gate", "w").close()
    first = sent.wait()
texts = list(agent.send("Read the file", {{"model": {{"id": "gpt-5"}}}}).iter_text())
failed = agent.send("This run will fail").wait()
abandoned = agent.send("Read the file; nobody waits")
agent.close()
client.close()


async def main():
    aclient = await AsyncClient.launch_bridge(bridge)
    aagent = await aclient.agents.create(model={MODEL!r}, api_key="key")
    run = await aagent.send("Weather in Paris, async?")
    kinds = [m.type async for m in run.stream()]
    await aagent.close()
    await aclient.aclose()
    return kinds

kinds = asyncio.run(main())
braintrust.flush()
print(json.dumps({{"turned_on": turned_on["cursor_sdk"], "first": first.result,
                  "texts": texts, "failed": failed.status, "kinds": kinds}}))
"""

#: Runs only this package traces as described (the official SDK differs, see each test).
OURS_ONLY = f"""
import asyncio, json, sys
import braintrust
from cursor_sdk import AsyncClient, Client, CustomTool, LocalAgentOptions

braintrust.init_logger(project="p")
braintrust.auto_instrument()


def weather(args, context):
    with braintrust.start_span(name="weather lookup"):
        return "sunny in " + args["city"]


tools = {{{CUSTOM_TOOL!r}: CustomTool(execute=weather, description="The weather in a city.",
                                     input_schema={{"type": "object"}})}}
client = Client.launch_bridge([sys.executable, {str(BRIDGE)!r}])
agent = client.agents.create(model={MODEL!r}, api_key="key",
                             local=LocalAgentOptions(cwd=".", custom_tools=tools))
agent.send("Weather at once?").wait()
agent.send("Do it in two turns").wait()
run = agent.send("Weather, observed")
events = iter(run)
read = [next(events).kind for _ in range(4)]
observed = [event.kind for event in run.observe()]
run.wait()
try:
    list(agent.send("This will crash").messages())  # read as a stream, not wait()ed
    crashed = None
except Exception as exc:
    crashed = type(exc).__name__
run = agent.send("Read the file, then cancel")
kept = len(agent.__dict__["_braintrust_cursor_runs"])  # the ended runs are not kept
run.cancel()
agent.close()
client.close()


async def forecast(args, context):
    with braintrust.start_span(name="async lookup"):
        await asyncio.sleep(0)
        return "sunny in " + args["city"]


async def main():
    aclient = await AsyncClient.launch_bridge([sys.executable, {str(BRIDGE)!r}])
    async_tools = {{{CUSTOM_TOOL!r}: CustomTool(execute=forecast, description="The weather.",
                                               input_schema={{"type": "object"}})}}
    aagent = await aclient.agents.create(
        model={MODEL!r}, api_key="key", local=LocalAgentOptions(cwd=".", custom_tools=async_tools))
    result = await (await aagent.send("Weather in Paris, async tool?")).wait()
    await aagent.close()
    await aclient.aclose()
    return result.result

answered = asyncio.run(main())
braintrust.flush()
print(json.dumps({{"read": read, "observed": len(observed), "crashed": crashed,
                  "answered": answered, "kept": kept}}))
"""

Rows = list[dict[str, Any]]


def _with_cursor(python: Path) -> Path:
    if subprocess.run([str(python), "-c", "import cursor_sdk"],
                      capture_output=True).returncode != 0:
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", PACKAGE],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"{PACKAGE} cannot be installed for the official SDK: "
                        f"{done.stderr[-300:]}")
    return python


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Rows, Rows, str]:
    pytest.importorskip("cursor_sdk")
    tmp = tmp_path_factory.mktemp("cursor")
    try:
        official = _with_cursor(official_python())
    except RuntimeError as exc:
        pytest.skip(f"the official SDK cannot be installed here: {exc}")
    (tmp / "official").mkdir()
    (tmp / "ours").mkdir()
    theirs, _ = twin.run(str(official), SCRIPT, tmp / "official")
    ours, out = twin.run(sys.executable, SCRIPT, tmp / "ours")
    return theirs, ours, out


@pytest.fixture(scope="module")
def ours_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Rows, dict[str, Any]]:
    pytest.importorskip("cursor_sdk")
    rows, out = twin.run(sys.executable, OURS_ONLY, tmp_path_factory.mktemp("cursor_ours"))
    return rows, json.loads(out.strip().splitlines()[-1])


def _named(rows: Rows, name: str) -> Rows:
    return sorted((r for r in rows if r["span_attributes"]["name"] == name),
                  key=lambda r: r["metrics"]["start"])


def _children(rows: Rows, parent: dict[str, Any]) -> Rows:
    return sorted((r for r in rows if r.get("span_parents") == [parent["span_id"]]),
                  key=lambda r: r["metrics"]["start"])


TOKENS = {"prompt_tokens": 160, "completion_tokens": 40, "tokens": 200,
          "prompt_cached_tokens": 30, "prompt_cache_creation_tokens": 10,
          "completion_reasoning_tokens": 8}


def _tokens(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (row.get("metrics") or {}).items() if k in TOKENS}


def test_a_run_is_a_task_with_its_model_turn_and_tools_nested(both: Any) -> None:
    _, rows, out = both
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["turned_on"] is True
    assert summary["first"] == FINAL_ANSWER
    [request] = _named(rows, "request")
    agent = _named(rows, "Cursor Agent")[0]
    assert agent["span_parents"] == [request["span_id"]]
    assert agent["span_attributes"]["type"] == "task"
    question = {"role": "user", "content": "What is the weather in Paris?"}
    assert agent["input"] == [question]
    assert agent["output"] == FINAL_ANSWER
    assert _tokens(agent) == TOKENS

    [turn] = _children(rows, agent)
    assert turn["span_attributes"] == {"name": "Cursor Model Turn", "type": "llm"}
    assert turn["input"] == [question]
    call = {"id": "call_1", "type": "function",
            "function": {"name": CUSTOM_TOOL, "arguments": '{"city": "Paris"}'}}
    assert turn["output"] == [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": THINKING}]},
        {"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "Let me check the weather." + FINAL_ANSWER,
            "tool_calls": [call]}}]
    assert turn["metadata"] == {"model": MODEL, "provider": "cursor"}
    assert _tokens(turn) == TOKENS
    assert turn["metrics"]["time_to_first_token"] >= 0

    # The custom tool ran on the SDK's callback thread, inside its tool span.
    [tool] = _children(rows, turn)
    assert tool["span_attributes"] == {"name": CUSTOM_TOOL, "type": "tool"}
    assert tool["input"] == {"city": "Paris"}
    assert tool["output"] == {"content": [{"type": "text", "text": "sunny in Paris"}]}
    [lookup] = _children(rows, tool)
    assert lookup["span_attributes"]["name"] == "weather lookup"


def test_a_failing_tool_a_model_override_and_a_failed_run(both: Any) -> None:
    _, rows, out = both
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["texts"] == ["Reading it.", "The fi", "le does not exist."]
    assert summary["failed"] == "error"
    read_run, failed = _named(rows, "Cursor Agent")[1:3]
    assert not read_run["span_parents"]  # no span was current: a trace of its own
    [turn] = _children(rows, read_run)
    assert turn["metadata"]["model"] == "gpt-5"  # the send's override
    [read] = _children(rows, turn)
    assert read["span_attributes"] == {"name": "read", "type": "tool"}
    assert read["output"] == {"error": "File not found: missing.txt"}
    assert "File not found" in read["error"]

    assert failed["error"] == f"Cursor run error: {FAILED_MESSAGE}"
    assert "output" not in failed or failed["output"] is None
    [turn] = _children(rows, failed)
    assert turn["output"][0]["message"]["content"] == "Working"
    assert "prompt_tokens" not in turn["metrics"]


def test_closing_an_agent_ends_its_unread_run_as_cancelled(both: Any) -> None:
    _, rows, _ = both
    abandoned = _named(rows, "Cursor Agent")[3]
    assert abandoned["input"] == [{"role": "user", "content": "Read the file; nobody waits"}]
    assert abandoned["error"] == "Cursor run cancelled"
    assert not _children(rows, abandoned)  # only system/user events were read: no turn yet


def test_an_async_run_read_as_a_stream(both: Any) -> None:
    _, rows, out = both
    kinds = json.loads(out.strip().splitlines()[-1])["kinds"]
    assert kinds[:2] == ["system", "user"] and kinds[-1] == "usage"
    agent = _named(rows, "Cursor Agent")[4]
    assert agent["input"] == [{"role": "user", "content": "Weather in Paris, async?"}]
    assert agent["output"] == FINAL_ANSWER
    assert _tokens(agent) == TOKENS
    [turn] = _children(rows, agent)
    [tool] = _children(rows, turn)
    # No custom tool on this agent: the fake bridge answers the call itself.
    assert tool["output"] == {"content": [{"type": "text", "text": "sunny"}]}


def test_rows_match_the_official_sdk(both: Any) -> None:
    theirs, ours, _ = both
    # Where a custom tool's own spans land depends, in the official SDK, on whether
    # the bridge called the tool before send() returned (see test_a_tool_called_
    # before_send_returns_still_nests): compared apart from the rest.
    inner = [[r for r in rows if r["span_attributes"]["name"] == "weather lookup"]
             for rows in (theirs, ours)]
    assert [len(found) for found in inner] == [1, 1]
    assert twin.spans([r for r in ours if r not in inner[1]]) == \
        twin.spans([r for r in theirs if r not in inner[0]])
    for name in ("Cursor Agent", "Cursor Model Turn"):
        assert [_tokens(r) for r in _named(ours, name)] == \
            [_tokens(r) for r in _named(theirs, name)]
        assert [("time_to_first_token" in r["metrics"]) for r in _named(ours, name)] == \
            [("time_to_first_token" in r["metrics"]) for r in _named(theirs, name)]


def test_a_tool_called_before_send_returns_still_nests(ours_only: Any) -> None:
    # The bridge ran the custom tool while send() still waited for the stream's first
    # event: the run is findable from the start (the official SDK registers it only
    # once send() returns, so the tool's spans would start a trace of their own).
    rows, _ = ours_only
    agent = _named(rows, "Cursor Agent")[0]
    assert agent["input"][0]["content"] == "Weather at once?"
    [turn] = _children(rows, agent)
    [tool] = _children(rows, turn)
    assert tool["output"] == {"content": [{"type": "text", "text": "sunny in Paris"}]}
    [lookup] = _children(rows, tool)
    assert lookup["span_attributes"]["name"] == "weather lookup"


def test_a_second_turn_sees_the_call_before_its_result(ours_only: Any) -> None:
    rows, _ = ours_only
    agent = _named(rows, "Cursor Agent")[1]
    first, second = _children(rows, agent)
    call = {"id": "call_ls", "type": "function",
            "function": {"name": "ls", "arguments": '{"path": "."}'}}
    assert first["output"][0]["message"] == {"role": "assistant", "content": "Listing.",
                                              "tool_calls": [call]}
    # The assistant message that made the call comes before the call's result (the
    # official SDK appends it at the turn's end, after the result).
    assert second["input"] == [
        {"role": "user", "content": "Do it in two turns"},
        {"role": "assistant", "content": "Listing.", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_ls", "content": {"files": ["a.txt"]}}]
    assert second["output"][0]["message"]["content"] == "One file: a.txt."
    assert _tokens(first) == _tokens(second) == TOKENS
    assert _tokens(agent)["tokens"] == 2 * TOKENS["tokens"]  # the run's turns summed


def test_events_seen_twice_through_observe_are_traced_once(ours_only: Any) -> None:
    rows, out = ours_only
    assert out["read"] == ["sdk_message"] * 4
    assert out["observed"] == 14  # every event again, the four read ones included
    agent = _named(rows, "Cursor Agent")[2]
    [turn] = _children(rows, agent)
    assert turn["output"][0]["summary"][0]["text"] == THINKING  # not doubled
    assert turn["output"][1]["message"]["content"] == "Let me check the weather." + FINAL_ANSWER
    assert len(_children(rows, turn)) == 1


def test_a_stream_that_breaks_off_ends_the_run_with_its_error(ours_only: Any) -> None:
    rows, out = ours_only
    assert out["crashed"] == "InternalServerError"  # the SDK's error for the Connect one
    agent = _named(rows, "Cursor Agent")[3]
    assert "the bridge lost its agent" in agent["error"]
    [turn] = _children(rows, agent)
    assert turn["output"][0]["message"]["content"] == "Working"


def test_a_cancelled_run_ends_cancelled(ours_only: Any) -> None:
    rows, out = ours_only
    assert out["kept"] == 1  # an agent holds on to its runs under way only
    agent = _named(rows, "Cursor Agent")[4]
    assert agent["input"][0]["content"] == "Read the file, then cancel"
    assert agent["error"] == "Cursor run cancelled"


def test_usage_in_either_casing_becomes_braintrust_metrics() -> None:
    from braintrust_otel.instrumentation import _cursor

    wire = {"inputTokens": 100, "outputTokens": 20, "cacheReadTokens": 5,
            "cacheWriteTokens": 0, "totalTokens": 120}
    assert _cursor.usage_metrics(wire) == {
        "prompt_tokens": 105, "completion_tokens": 20, "tokens": 125,
        "prompt_cached_tokens": 5, "prompt_cache_creation_tokens": 0}
    assert _cursor.usage_metrics({"input_tokens": 7, "reasoning_tokens": 3}) == {
        "prompt_tokens": 7, "completion_reasoning_tokens": 3}
    assert _cursor.usage_metrics({"inputTokens": -1, "outputTokens": True}) == {}
    assert _cursor.usage_metrics(None) == {}


def test_a_message_with_images_is_a_list_of_parts() -> None:
    from braintrust_otel.attachments import Attachment
    from braintrust_otel.instrumentation import _cursor

    png = "iVBORw0KGgo="
    [message] = _cursor.user_messages({"text": "What is this?", "images": [
        {"url": "https://example.com/a.png"}, {"data": png, "mimeType": "image/png"},
        {"data": {"data": png, "mimeType": "image/png"}}]})
    text, url, inline, wire = message["content"]
    assert text == {"type": "text", "text": "What is this?"}
    assert url == {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    for part in (inline, wire):
        attachment = part["image_url"]["url"]
        assert isinstance(attachment, Attachment)
        assert attachment.reference["content_type"] == "image/png"
    assert _cursor.user_messages("hi") == [{"role": "user", "content": "hi"}]


def test_a_run_error_names_the_status_and_the_message() -> None:
    from braintrust_otel.instrumentation import _cursor

    assert _cursor.run_error("RUN_LIFECYCLE_STATUS_FINISHED") is None
    assert _cursor.run_error("finished") is None
    assert _cursor.run_error("RUN_LIFECYCLE_STATUS_EXPIRED") == "Cursor run expired"
    assert _cursor.run_error("error", "boom") == "Cursor run error: boom"
    assert _cursor.run_error("running", cancelled=True) == "Cursor run cancelled"


def test_an_async_custom_tool_runs_inside_its_tool_span(ours_only: Any) -> None:
    # The SDK runs an async execute on the application's event loop, from its
    # callback thread: the task it makes there starts in the tool span.
    rows, out = ours_only
    assert out["answered"] == FINAL_ANSWER
    agent = _named(rows, "Cursor Agent")[5]
    [turn] = _children(rows, agent)
    [tool] = _children(rows, turn)
    assert tool["output"] == {"content": [{"type": "text", "text": "sunny in Paris"}]}
    [lookup] = _children(rows, tool)
    assert lookup["span_attributes"]["name"] == "async lookup"


def test_uninstrument_restores_the_sdk() -> None:
    pytest.importorskip("cursor_sdk")
    import wrapt
    from cursor_sdk import _run_base, _tool_callback
    from cursor_sdk._agent import Agent
    from cursor_sdk._async_run import AsyncRun

    from braintrust_otel.instrumentation.cursor_sdk import CursorSDKInstrumentor

    instrumentor = CursorSDKInstrumentor()
    was_on = instrumentor.is_instrumented_by_opentelemetry
    if not was_on:
        instrumentor.instrument(skip_dep_check=True)
    try:
        assert isinstance(Agent.__dict__["send"], wrapt.FunctionWrapper)
        assert isinstance(_run_base._RunBase.__dict__["_apply_event_state"],
                          wrapt.FunctionWrapper)
        assert isinstance(_tool_callback.__dict__["_dispatch_tool_call"], wrapt.FunctionWrapper)
        instrumentor.uninstrument()
        for owner, name in ((Agent, "send"), (Agent, "close"), (AsyncRun, "_events"),
                            (_run_base._RunBase, "_apply_event_state")):
            assert not isinstance(owner.__dict__[name], wrapt.FunctionWrapper), name
        assert not isinstance(_tool_callback.__dict__["_dispatch_tool_call"],
                              wrapt.FunctionWrapper)
    finally:
        if was_on and not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(skip_dep_check=True)
