"""Pure mapping of spans to rows, and the store's merge and transaction ids."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, Status, StatusCode

from braintrust_otel import span_to_row
from braintrust_otel.ids import row_id
from braintrust_otel.store import Store

TRACE, SPAN, PARENT = 0x0123456789ABCDEF0123456789ABCDEF, 0x1111222233334444, 0x5555666677778888


def _span(attrs: dict, parent: bool = True, **kw: object) -> ReadableSpan:  # type: ignore[type-arg]
    return ReadableSpan(
        name=str(kw.get("name", "op")),
        context=SpanContext(TRACE, SPAN, is_remote=False),
        parent=SpanContext(TRACE, PARENT, is_remote=False) if parent else None,
        attributes=attrs,
        events=kw.get("events", ()),  # type: ignore[arg-type]
        status=kw.get("status", Status(StatusCode.UNSET)),  # type: ignore[arg-type]
        start_time=1_700_000_000_000_000_000,
        end_time=1_700_000_001_500_000_000,
        instrumentation_scope=InstrumentationScope("some.lib", "1.2"),
    )


def test_braintrust_attributes_map_to_row_fields() -> None:
    row = span_to_row(_span({
        "braintrust.parent": "project_name:p",
        "braintrust.input_json": '{"q": 1}',
        "braintrust.output_json": '"a"',
        "braintrust.expected": '"b"',
        "braintrust.metadata": '{"m": 1}',
        "braintrust.metadata.flat": "yes",
        "braintrust.scores": '{"s": 0.5}',
        "braintrust.metrics": '{"tokens": 3}',
        "braintrust.span_attributes": '{"type": "llm", "purpose": "x"}',
        "braintrust.tags": ("t1", "t2"),
        "braintrust.context_json": '{"caller_lineno": 7}',
        "http.method": "GET",
    }, name="call"))
    assert row["id"] == row_id(TRACE, SPAN)
    assert row["span_id"] == "1111222233334444"
    assert row["root_span_id"] == "0123456789abcdef0123456789abcdef"
    assert row["span_parents"] == ["5555666677778888"]
    assert row["created"] == "2023-11-14T22:13:20+00:00"
    assert row["metrics"] == {"start": 1_700_000_000.0, "end": 1_700_000_001.5, "tokens": 3}
    assert row["input"] == {"q": 1} and row["output"] == "a" and row["expected"] == "b"
    assert row["metadata"] == {"m": 1, "flat": "yes", "http.method": "GET"}
    assert row["scores"] == {"s": 0.5}
    assert row["span_attributes"] == {"name": "call", "type": "llm", "purpose": "x"}
    assert row["tags"] == ["t1", "t2"]
    assert row["context"]["caller_lineno"] == 7
    assert row["context"]["span_origin"] == {"instrumentation": {"name": "some.lib",
                                                                 "version": "1.2"}}
    assert row["_parent"] == "project_name:p"


def test_foreign_span_error_and_defaults() -> None:
    exc = Event("exception", {"exception.type": "ValueError", "exception.message": "bad",
                              "exception.stacktrace": "Traceback...\nValueError: bad\n"})
    row = span_to_row(_span({"code.line.number": 3, "db.system": "sqlite"}, parent=False,
                            events=(exc,), status=Status(StatusCode.ERROR, "bad")))
    assert row["error"] == "Traceback...\nValueError: bad"
    assert row["span_attributes"] == {"name": "op", "type": "task"}
    assert row["span_parents"] is None
    assert row["metadata"] == {"db.system": "sqlite"}
    assert row["context"]["caller_lineno"] == 3
    assert row["_parent"] is None


def test_error_without_exception_event_uses_status() -> None:
    row = span_to_row(_span({}, status=Status(StatusCode.ERROR, "timeout")))
    assert row["error"] == "timeout"
    assert row["span_attributes"]["type"] == "function"
    assert "metadata" not in row


def test_explicit_row_id_and_bad_json_kept_as_text() -> None:
    row = span_to_row(_span({"braintrust.row_id": "custom", "braintrust.input_json": "{oops"}))
    assert row["id"] == "custom"
    assert row["input"] == "{oops"


def test_store_merges_rows_and_numbers_transactions(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    project = store.ensure_project(name="p")
    assert store.ensure_project(name="p") == project
    assert store.ensure_project(id=project["id"]) == project
    base = {"id": "r1", "span_id": "a", "root_span_id": "b", "span_parents": None,
            "created": "2024-01-01T00:00:00+00:00", "input": 1, "metadata": {"a": {"x": 1}}}
    x1 = store.write([("project_logs", project["id"], base)])
    x2 = store.write([("project_logs", project["id"], {
        "id": "r1", "_is_merge": True, "output": 2, "created": "later",
        "metadata": {"a": {"y": 2}, "b": 3}})])
    assert x2 > x1
    [stored] = list(store.rows("project_logs", project["id"]))
    assert stored.data["input"] == 1 and stored.data["output"] == 2
    assert stored.data["metadata"] == {"a": {"x": 1, "y": 2}, "b": 3}
    assert stored.data["created"] == "2024-01-01T00:00:00+00:00"
    assert "_is_merge" not in stored.data
    assert stored.xact_id == x2
    assert store.recent_traces("project_logs", project["id"]) == ["b"]
    assert [r["id"] for r in store.trace("project_logs", project["id"], "b")] == ["r1"]


def test_default_store_path_honours_env(monkeypatch: object, tmp_path: Path) -> None:
    import pytest

    from braintrust_otel.store import default_store_path

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    mp.setenv("BRAINTRUST_LOCAL_STORE", str(tmp_path / "x.db"))
    assert default_store_path() == tmp_path / "x.db"
    mp.delenv("BRAINTRUST_LOCAL_STORE")
    mp.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_store_path() == tmp_path / "data" / "braintrust" / "store.sqlite"


def test_combine_rows_folds_merges_into_earlier_writes() -> None:
    from braintrust_otel.merge import combine_rows

    rows = [
        {"id": "a", "project_id": "p", "input": 1, "metadata": {"x": 1}},
        {"id": "b", "project_id": "p", "_is_merge": True, "output": 1},
        {"id": "a", "project_id": "p", "_is_merge": True, "output": 2, "metadata": {"y": 2}},
        {"id": "a", "project_id": "other", "_is_merge": True, "output": 3},
        {"id": "b", "project_id": "p", "_is_merge": True, "scores": {"s": 1}},
    ]
    out = combine_rows(rows)
    assert out == [
        {"id": "a", "project_id": "p", "input": 1, "output": 2, "metadata": {"x": 1, "y": 2}},
        {"id": "b", "project_id": "p", "_is_merge": True, "output": 1, "scores": {"s": 1}},
        {"id": "a", "project_id": "other", "_is_merge": True, "output": 3},
    ]


def test_openllmetry_legacy_indexed_llm_span() -> None:
    row = span_to_row(_span({
        "llm.request.type": "chat",
        "gen_ai.system": "Anthropic",
        "gen_ai.request.model": "claude-3",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "be brief",
        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "weather?",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.finish_reason": "tool_use",
        "gen_ai.completion.0.tool_calls.0.id": "t1",
        "gen_ai.completion.0.tool_calls.0.name": "weather",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Paris"}',
        "gen_ai.usage.prompt_tokens": 7, "gen_ai.usage.completion_tokens": 3,
        "llm.usage.total_tokens": 10, "gen_ai.usage.cache_read_input_tokens": 2,
    }, name="anthropic.chat"))
    assert row["span_attributes"] == {"name": "anthropic.chat", "type": "llm"}
    assert row["input"] == [{"role": "system", "content": "be brief"},
                            {"role": "user", "content": "weather?"}]
    assert row["output"] == [{"index": 0, "finish_reason": "tool_use", "message": {
        "role": "assistant", "content": None,
        "tool_calls": [{"id": "t1", "type": "function",
                        "function": {"name": "weather", "arguments": '{"city": "Paris"}'}}]}}]
    assert row["metadata"]["provider"] == "Anthropic" and row["metadata"]["model"] == "claude-3"
    assert row["metadata"]["temperature"] == 0.5 and row["metadata"]["request_type"] == "chat"
    assert {k: row["metrics"][k] for k in ("prompt_tokens", "completion_tokens", "tokens",
                                           "prompt_cached_tokens")} == {
        "prompt_tokens": 7, "completion_tokens": 3, "tokens": 10, "prompt_cached_tokens": 2}
    assert not any(k.startswith(("gen_ai.", "llm.")) for k in row["metadata"])


def test_traceloop_workflow_and_tool_spans() -> None:
    workflow = span_to_row(_span({
        "traceloop.span.kind": "workflow", "traceloop.entity.name": "answer_question",
        "traceloop.entity.input": '{"args": ["hi"], "kwargs": {}}',
        "traceloop.entity.output": '"hello"', "traceloop.workflow.name": "qa",
        "traceloop.association.properties.user_id": "u1"}, parent=False))
    assert workflow["span_attributes"] == {"name": "answer_question", "type": "task"}
    assert workflow["input"] == {"args": ["hi"], "kwargs": {}}
    assert workflow["output"] == "hello"
    assert workflow["metadata"] == {"workflow": "qa", "user_id": "u1"}
    tool = span_to_row(_span({"traceloop.span.kind": "tool", "traceloop.entity.name": "search"}))
    assert tool["span_attributes"] == {"name": "search", "type": "tool"}


def test_genai_current_form_with_system_instructions_and_tool_span() -> None:
    row = span_to_row(_span({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude", "gen_ai.response.model": "claude-3-5",
        "gen_ai.system_instructions": '[{"type": "text", "content": "be brief"}]',
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", '
                                 '"content": "hi"}]}, {"role": "tool", "parts": [{"type": '
                                 '"tool_call_response", "id": "t1", "response": {"ok": 1}}]}]',
        "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "text", '
                                  '"content": "hello"}], "finish_reason": "stop"}]',
        "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 1,
        "gen_ai.response.time_to_first_chunk": 0.25,
    }))
    assert row["input"] == [{"role": "system", "content": "be brief"},
                            {"role": "user", "content": "hi"},
                            {"role": "tool", "tool_call_id": "t1", "content": '{"ok": 1}'}]
    assert row["output"] == [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "hello"}}]
    assert row["metadata"]["model"] == "claude-3-5"
    assert row["metrics"]["tokens"] == 4 and row["metrics"]["time_to_first_token"] == 0.25
    tool = span_to_row(_span({"gen_ai.operation.name": "execute_tool",
                              "gen_ai.tool.name": "search",
                              "gen_ai.tool.call.arguments": '{"q": "x"}',
                              "gen_ai.tool.call.result": '["r"]'}))
    assert tool["span_attributes"] == {"name": "search", "type": "tool"}
    assert tool["input"] == {"q": "x"} and tool["output"] == ["r"]


def test_genai_event_form() -> None:
    events = (Event("gen_ai.system.message", {"gen_ai.system": "openai", "content": "terse"}),
              Event("gen_ai.user.message", {"gen_ai.system": "openai", "content": "hi"}),
              Event("gen_ai.choice", {"index": 0, "finish_reason": "stop",
                                      "message": '{"role": "assistant", "content": "yo"}'}))
    row = span_to_row(_span({"gen_ai.system": "openai", "gen_ai.request.model": "m"},
                            events=events))
    assert row["input"] == [{"role": "system", "content": "terse"},
                            {"role": "user", "content": "hi"}]
    assert row["output"] == [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "yo"}}]
    assert row["span_attributes"]["type"] == "llm"


def test_openinference_chain_and_llm() -> None:
    chain = span_to_row(_span({"openinference.span.kind": "CHAIN",
                               "input.value": '{"question": "hi"}',
                               "input.mime_type": "application/json", "output.value": "hello",
                               "session.id": "s1", "tag.tags": ("a", "b")}))
    assert chain["span_attributes"]["type"] == "task"
    assert chain["input"] == {"question": "hi"} and chain["output"] == "hello"
    assert chain["metadata"] == {"session_id": "s1"} and chain["tags"] == ["a", "b"]


def test_a_batch_applies_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.write([
        ("project_logs", "p", {"id": "a", "input": 1, "metadata": {"x": 1}}),
        ("project_logs", "p", {"id": "a", "_is_merge": True, "output": 2,
                               "metadata": {"y": 2}}),
        ("project_logs", "p", {"id": "b", "input": "gone"}),
        ("project_logs", "p", {"id": "b", "_object_delete": True}),
        ("project_logs", "p", {"id": "c", "_object_delete": True}),
        ("project_logs", "p", {"id": "c", "input": "back"}),
    ])
    rows = {r.data["id"]: r.data for r in store.rows("project_logs", "p")}
    assert set(rows) == {"a", "c"}
    assert rows["a"]["input"] == 1 and rows["a"]["output"] == 2
    assert rows["a"]["metadata"] == {"x": 1, "y": 2}
    assert rows["c"]["input"] == "back"


def test_a_rolled_back_batch_does_not_leave_stale_object_ids(tmp_path: Path) -> None:
    import pytest

    db = tmp_path / "s.sqlite"
    a, b = Store(db), Store(db)
    with pytest.raises(KeyError):
        a.write([("experiment", "e1", {"no": "id"})])  # rolls back, e1 never stored
    b.write([("experiment", "e2", {"id": "r2", "input": 2})])
    a.write([("experiment", "e1", {"id": "r1", "input": 1})])
    fresh = Store(db)
    assert [r.data["id"] for r in fresh.rows("experiment", "e1")] == ["r1"]
    assert [r.data["id"] for r in fresh.rows("experiment", "e2")] == ["r2"]
