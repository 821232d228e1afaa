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
