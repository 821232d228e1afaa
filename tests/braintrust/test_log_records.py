"""Log records (the official SDK 0.48's ``Logger.emit_log``, ``trace`` ... ``fatal`` and
``BraintrustLogHandler``): the rows they write, on the embedded store and on the
fake service on 127.0.0.1.

The expected rows are the ones the official SDK 0.48.1 sent to the reference
capture server (/work/shared/reference/capture_server.py) for the same calls:
a row of type ``log`` with the level in ``span_attributes.log_level``, the body
as ``output``, start and end metrics at the moment of the record, no
``span_parents``, and the current span's own ``span_id`` and ``root_span_id``
(outside a span: a new span id under one trace id per logger).
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
from typing import Any

import pytest

import braintrust
import braintrust.logger
import braintrust.logs
from braintrust_otel._version import VERSION
from braintrust_otel.merge import merge_row
from tests.fake_braintrust import FakeBraintrust


def _rows(where: FakeBraintrust | None, request: pytest.FixtureRequest,
          project: str) -> dict[str, dict[str, Any]]:
    """A project's rows by row id (the service's partial rows merged by id)."""
    if where is None:
        return {r["id"]: r for r in request.getfixturevalue("store").rows(project)}
    braintrust.flush()
    merged: dict[str, dict[str, Any]] = {}
    for body in where.logs3_bodies():
        for row in body["rows"]:
            merge_row(merged.setdefault(row["id"], {}), row)
    return merged


def test_log_levels_write_log_rows_as_the_official(where: FakeBraintrust | None,
                                                   request: pytest.FixtureRequest) -> None:
    logger = braintrust.init_logger(project="logrec")
    first = logger.info("hello {who}, {missing}", metadata={"k": 1}, who="world")
    plain = logger.warn("plain")
    data = logger.emit_log({"a": 1}, "debug")
    with logger.start_span(name="outer") as span:
        inside = logger.error("inside span")
    others = [logger.trace("t"), logger.debug("d"), logger.fatal("f")]
    rows = _rows(where, request, "logrec")

    row = rows[first]
    assert row["output"] == "hello world, {missing}"  # a missing placeholder stays
    assert row["metadata"] == {"k": 1, "braintrust.template": "hello {who}, {missing}",
                               "braintrust.template.parameter.who": "world"}
    assert row["span_attributes"] == {"type": "log", "log_level": "info"}
    assert row["metrics"]["start"] == row["metrics"]["end"]
    assert not row.get("span_parents")
    assert row["context"]["caller_functionname"] == "test_log_levels_write_log_rows_as_the_official"
    assert row["context"]["span_origin"]["name"] == "braintrust.sdk.python"
    assert row["context"]["span_origin"]["version"] == VERSION
    assert row["context"]["span_origin"]["instrumentation"] == {
        "name": "braintrust-python-logger"}
    assert rows[data]["output"] == {"a": 1} and "metadata" not in rows[data]
    assert rows[data]["span_attributes"]["log_level"] == "debug"
    # Outside a span: a span id of its own, under the logger's one trace id.
    outside = [rows[i] for i in (first, plain, data)]
    assert len({r["span_id"] for r in outside}) == 3
    assert {r["root_span_id"] for r in outside} == {logger.log_trace_id}
    # Inside a span: that span's own ids, on a row of its own.
    assert (rows[inside]["span_id"], rows[inside]["root_span_id"]) == (
        span.span_id, span.root_span_id)
    assert rows[span.id]["span_attributes"]["name"] == "outer"  # the span's row is intact
    assert "log_level" not in rows[span.id]["span_attributes"]
    assert [rows[i]["span_attributes"]["log_level"] for i in others] == [
        "trace", "debug", "fatal"]


def test_log_records_keep_the_official_errors(store: Any) -> None:
    logger = braintrust.init_logger(project="logrec-errors")
    with pytest.raises(ValueError, match="level"):
        logger.emit_log("x", "verbose")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="body must be a str"):
        logger.info({"a": 1}, who="x")
    with pytest.raises(TypeError, match="metadata"):
        logger.info("x", metadata=["not", "a", "dict"])  # type: ignore[arg-type]
    # A malformed template is logged as it is, never raised.
    row_id = logger.info("{0:zz} {", value=1)
    assert {r["id"]: r for r in store.rows("logrec-errors")}[row_id]["output"] == "{0:zz} {"


def test_log_handler_sends_python_log_records(where: FakeBraintrust | None,
                                              request: pytest.FixtureRequest) -> None:
    assert braintrust.BraintrustLogHandler is braintrust.logger.BraintrustLogHandler
    assert braintrust.logs.BraintrustLogHandler is braintrust.BraintrustLogHandler
    logger = braintrust.init_logger(project="logrec-handler")
    app = logging.getLogger("myapp.handler-test")
    app.setLevel(logging.DEBUG)
    handler = braintrust.BraintrustLogHandler(logger)
    app.addHandler(handler)
    ours = logging.getLogger("braintrust_otel.handler-test")
    ours.addHandler(handler)
    try:
        app.info("user %s did %d things", "bob", 3, extra={"user_id": "u1"})
        app.warning("named %(who)s", {"who": "ann"})
        with logger.start_span(name="in-span") as span:
            app.critical("inside")
        ours.warning("never sent: our own records would loop")
    finally:
        app.removeHandler(handler)
        ours.removeHandler(handler)
    rows = list(_rows(where, request, "logrec-handler").values())
    logs = {r["output"]: r for r in rows if r["span_attributes"].get("type") == "log"}
    assert set(logs) == {"user bob did 3 things", "named ann", "inside"}
    row = logs["user bob did 3 things"]
    assert row["span_attributes"]["log_level"] == "info"
    line = row["metadata"].pop("code.line.number")
    assert isinstance(line, int) and line > 0
    assert row["metadata"] == {
        "user_id": "u1", "braintrust.template": "user %s did %d things",
        "braintrust.template.parameter.0": "bob", "braintrust.template.parameter.1": 3,
        "logger.name": "myapp.handler-test", "code.file.path": __file__,
        "code.function.name": "test_log_handler_sends_python_log_records"}
    assert logs["named ann"]["metadata"]["braintrust.template.parameter.who"] == "ann"
    assert logs["named ann"]["span_attributes"]["log_level"] == "warn"
    assert logs["inside"]["span_attributes"]["log_level"] == "fatal"
    assert (logs["inside"]["span_id"], logs["inside"]["root_span_id"]) == (
        span.span_id, span.root_span_id)
    assert logs["user bob did 3 things"]["root_span_id"] == logger.log_trace_id


def test_log_handler_files_a_record_under_the_span_it_was_made_in(store: Any) -> None:
    # A QueueHandler hands records to another thread: the span is the one current
    # when the record was made, not the one (none) on the handler's thread.
    logger = braintrust.init_logger(project="logrec-queue")
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    app = logging.getLogger("myapp.queue-test")
    app.setLevel(logging.INFO)
    app.addHandler(logging.handlers.QueueHandler(records))
    listener = logging.handlers.QueueListener(records, braintrust.BraintrustLogHandler(logger))
    try:
        with logger.start_span(name="s") as span:
            app.info("queued")
        listener.start()
    finally:
        listener.stop()
        app.handlers.clear()
    [row] = [r for r in store.rows("logrec-queue") if r.get("output") == "queued"]
    assert (row["span_id"], row["root_span_id"]) == (span.span_id, span.root_span_id)


def test_log_handler_takes_a_logger_only() -> None:
    with pytest.raises(TypeError, match="logger"):
        braintrust.BraintrustLogHandler("not a logger")  # type: ignore[arg-type]


def test_a_log_record_does_not_drain_the_span_queue(store: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Log records are rows of their own: writing one must not make the caller's thread
    # deliver every finished span first (an app logging a lot would pay that each time).
    from braintrust import _state

    logger = braintrust.init_logger(project="logrec-cost")
    calls: list[float] = []
    real = _state.deliver

    def counting(timeout: float = 30.0) -> bool:
        calls.append(timeout)
        return real(timeout)

    monkeypatch.setattr(_state, "deliver", counting)
    with logger.start_span(name="s"):
        logger.info("one")
    logger.warn("two")
    assert calls == []
    monkeypatch.undo()
    assert {r.get("output") for r in store.rows("logrec-cost")} >= {"one", "two"}


def test_log_records_and_comments_are_not_listed_as_traces(store: Any) -> None:
    # They share a span's ids (or have none): the trace list shows the span's trace once.
    logger = braintrust.init_logger(project="logrec-list")
    logger.info("outside any span")
    with logger.start_span(name="s") as span:
        logger.info("inside")
    logger.log_feedback(span.id, comment="a comment")
    rows = store.rows("logrec-list")
    assert len(rows) == 4  # the span, two log records, the comment
    project = store.store.find_project(name="logrec-list")
    assert store.store.recent_traces("project_logs", project["id"]) == [span.root_span_id]


TWIN = """
import logging
import braintrust

logger = braintrust.init_logger(project="twin-logs")
logger.info("hello {who} {gone}", metadata={"k": 1}, who="world")
logger.emit_log({"a": 1}, "debug")
with logger.start_span(name="outer") as span:
    logger.error("inside")
    app = logging.getLogger("twinapp")
    app.setLevel(logging.DEBUG)
    app.addHandler(braintrust.BraintrustLogHandler(logger))
    app.warning("user %s", "bob", extra={"user_id": "u1"})
chosen = logger.start_span(name="explicit", span_id="my-span-id", root_span_id="my-root-id")
chosen.start_span(name="child").end()
chosen.end()
row_id = logger.log(input="q", output="a", allow_concurrent_with_spans=True)
logger.log_feedback(row_id, comment="nice", scores={"q": 1}, metadata={"by": "me"})
logger.flush()
"""


def test_the_same_rows_as_the_official_sdk(tmp_path: Any) -> None:
    from tests.twin import both

    official, ours = both(TWIN, tmp_path)

    def shape(rows: list[dict[str, Any]]) -> dict[str, Any]:
        spans = {r["span_attributes"]["name"]: r for r in rows
                 if (r.get("span_attributes") or {}).get("name")}
        logs = {str(r["output"]): r for r in rows
                if (r.get("span_attributes") or {}).get("type") == "log"}
        outer = spans["outer"]
        answered = next(r for r in rows if r.get("input") == "q")
        [comment] = [r for r in rows if "comment" in r]
        return {
            "logs": {out: {"span_attributes": {k: v for k, v in r["span_attributes"].items()
                                               if k != "exec_counter"},
                           "metadata": {k: v for k, v in (r.get("metadata") or {}).items()
                                        if k != "code.file.path"},
                           "parents": r.get("span_parents"),
                           "in_outer": (r["span_id"], r["root_span_id"]) == (
                               outer["span_id"], outer["root_span_id"]),
                           "origin": {k: v for k, v in r["context"]["span_origin"].items()
                                      if k != "version"}}
                     for out, r in logs.items()},
            "outside_roots": len({r["root_span_id"] for r in logs.values()
                                  if r["root_span_id"] != outer["root_span_id"]}),
            "explicit": {n: (spans[n]["span_id"] if n == "explicit" else "",
                             spans[n]["root_span_id"], spans[n].get("span_parents"))
                         for n in ("explicit", "child")},
            "child_parent_is_explicit": spans["child"]["span_parents"] == ["my-span-id"],
            "origin": {k: v for k, v in outer["context"]["span_origin"].items()
                       if k != "version"},
            "feedback": (answered["scores"], answered.get("_audit_metadata"),
                         answered.get("_audit_source")),
            "comment": (comment["comment"], comment["origin"] == {"id": answered["id"]},
                        comment.get("_audit_metadata"), comment.get("_audit_source")),
        }

    assert shape(ours) == shape(official)


def test_log_records_are_written_in_batches_and_none_is_lost(tmp_path: Any) -> None:
    # Each write to the embedded store is a transaction: records go in batches (full,
    # a moment after the first, or at a delivery), and exit writes what waits.
    from tests.conftest import run_python, stored_rows

    proc = run_python("""
        import braintrust
        from braintrust import _state
        from braintrust_otel.sinks.local import LocalSink

        writes = []
        real = LocalSink.write
        def counting(self, rows):
            writes.append(len(rows))
            return real(self, rows)
        LocalSink.write = counting
        logger = braintrust.init_logger(project="batched")
        for i in range(1200):
            logger.info("record {i}", i=i)
        braintrust.flush()
        print(max(writes), len(writes))
        for i in range(5):
            logger.warn("at exit {i}", i=i)  # no flush: exit writes them
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr
    largest, count = map(int, proc.stdout.split())
    assert largest >= 100 and count <= 12  # batches, not one write per record
    outputs = {r["output"] for r in stored_rows(tmp_path / "sub.sqlite", "batched")}
    assert {f"record {i}" for i in range(1200)} | {f"at exit {i}" for i in range(5)} == outputs
