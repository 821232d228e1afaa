"""One bad value never costs other rows: encoding, bisecting, times and odd arguments."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext

import braintrust
from braintrust import _state
from braintrust._summary import input_key
from braintrust_otel import diagnostics
from braintrust_otel.api import ApiConnection
from braintrust_otel.exporter import BraintrustSpanExporter, map_span
from braintrust_otel.mapping import fallback_row
from braintrust_otel.serialize import dumps, loads, repair
from braintrust_otel.sinks.http import HttpSink
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.spool import Spool
from braintrust_otel.store import Store
from tests.conftest import StoreHelper
from tests.fake_braintrust import GOOD_KEY, FakeBraintrust
from tests.served import Running

BAD = "bad \ud800 value"
FIXED = "bad \ufffd value"


def _log_ten(bad_at: int = 3) -> list[str]:
    logger = braintrust.init_logger(project="p")
    return [logger.log(input=BAD if i == bad_at else f"ok {i}", output=i) for i in range(10)]


# -- item 1: a value UTF-8 cannot hold ---------------------------------------------------

def test_a_lone_surrogate_costs_no_other_row_in_the_store(store: StoreHelper) -> None:
    ids = _log_ten()
    assert braintrust.flush() is True
    rows = {r["id"]: r for r in store.rows()}
    assert set(rows) == set(ids)
    assert rows[ids[3]]["input"] == FIXED
    assert rows[ids[4]]["input"] == "ok 4"
    counts = diagnostics.counts()
    assert counts["encoding"] == 1 and "dropped" not in counts


def test_surrogates_in_keys_ids_and_paired_halves_are_repaired(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    logger.log(input={"k\udc80": "x"}, output="\ud83d\ude00", id="row-\ud800")
    logger.log(input="fine")
    rows = store.rows()
    assert len(rows) == 2
    odd = next(r for r in rows if r["input"] != "fine")
    assert odd["id"] == "row-\ufffd" and odd["input"] == {"k\ufffd": "x"}
    assert odd["output"] == "\U0001f600"  # a surrogate pair is the character it stands for
    assert repair("ok") == ("ok", 0)


def test_a_row_the_store_cannot_take_is_kept_in_rejected_and_the_rest_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    diagnostics.reset()
    sink = LocalSink(tmp_path / "s.sqlite", notice=False, spool=Spool(tmp_path / "spool"))
    rows: list[dict[str, Any]] = [
        {"id": f"r{i}", "input": i, "_parent": "project_name:p"} for i in range(9)
    ]
    rows.insert(5, {"id": {"not": "a str"}, "input": "unstorable", "_parent": "project_name:p"})
    sink.write(rows)
    project = sink.store.find_project(name="p")
    assert project is not None
    stored = {r.data["id"] for r in sink.store.rows("project_logs", project["id"])}
    assert stored == {f"r{i}" for i in range(9)}
    [kept] = (tmp_path / "spool" / "rejected").iterdir()
    [line] = kept.read_text().splitlines()
    assert json.loads(line)["input"] == "unstorable"
    assert diagnostics.counts()["rejected"] == 1
    assert "rejected" in capsys.readouterr().err


def test_store_write_each_bisects_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    triples: list[tuple[str, str, dict[str, Any]]] = [
        ("project_logs", "p", {"id": "a", "input": 1}),
        ("project_logs", "p", {"id": ["bad"], "input": 2}),
        ("project_logs", "p", {"id": "a", "_is_merge": True, "output": 3}),
        ("project_logs", "p", {"id": "b", "input": BAD}),
    ]
    rejected = store.write_each(triples)
    assert [t[2]["input"] for t, _ in rejected] == [2]
    data = {r.data["id"]: r.data for r in store.rows("project_logs", "p")}
    assert data["a"]["input"] == 1 and data["a"]["output"] == 3  # the merge saw its row
    assert data["b"]["input"] == FIXED


@pytest.fixture
def fake() -> Iterator[FakeBraintrust]:
    with FakeBraintrust(payload_limit=2000) as server:
        yield server


@pytest.fixture
def api(fake: FakeBraintrust, tmp_path: Path) -> Iterator[HttpSink]:
    braintrust.flush()
    conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=5)
    sink = HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01, backoff_cap=0.05,
                    cooldown_cap=0.2)
    _state.exporter().sink = sink
    _state.current_logger = None
    diagnostics.reset()
    yield sink
    braintrust.flush()
    sink._start_closing()
    _state.exporter().sink = LocalSink(tmp_path / "after.sqlite", notice=False)
    _state.current_logger = None


def test_a_lone_surrogate_costs_no_other_row_over_http(
    api: HttpSink, fake: FakeBraintrust
) -> None:
    ids = _log_ten()
    big = braintrust.init_logger(project="p").log(input=BAD + "x" * 3000)  # via overflow
    assert braintrust.flush() is True
    assert set(fake.rows) == {*ids, big}
    assert fake.rows[ids[3]]["input"] == FIXED
    assert fake.rows[big]["input"] == FIXED + "x" * 3000
    assert "POST /logs3/overflow" in fake.paths()
    counts = diagnostics.counts()
    assert counts["encoding"] == 2 and "dropped" not in counts and "rejected" not in counts


def test_the_spool_keeps_a_lone_surrogate_exactly(
    api: HttpSink, fake: FakeBraintrust, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "other-spool")
    spool.put([{"id": "a", "input": BAD}, {"id": "b", "input": "ok"}])
    taken = spool.take()
    assert taken is not None
    assert [r["input"] for r in taken[1]] == [BAD, "ok"]
    # Spooled while the service is down, delivered (repaired) when it is back.
    fake.fail("/logs3", 503, times=api.attempts)
    ids = _log_ten()
    braintrust.flush(timeout=0.5)
    assert "dropped" not in diagnostics.counts()
    assert braintrust.flush() is True
    assert set(ids) <= set(fake.rows)
    assert fake.rows[ids[3]]["input"] == FIXED


def test_the_server_stores_the_other_rows_of_a_request(tmp_path: Path) -> None:
    store = Store(tmp_path / "served.sqlite")
    running = Running(store)
    try:
        pid = requests.post(f"{running.url}/v1/project", json={"name": "srv"},
                            timeout=10).json()["id"]
        rows = [{"id": f"r{i}", "project_id": pid, "log_id": "g", "input": "\\ud800" if i == 2
                 else i} for i in range(5)]
        # Escapes in JSON text are how a lone surrogate arrives over the wire.
        body = json.dumps({"rows": rows}).replace('"\\\\ud800"', '"\\ud800"')
        resp = requests.post(f"{running.url}/logs3", data=body, timeout=10,
                             headers={"Content-Type": "application/json"})
        assert resp.status_code == 200, resp.text
        otlp = {"resourceSpans": [{"scopeSpans": [{"spans": [{
            "traceId": "5b8efff798038103d269b633813fc60c", "spanId": f"eee19b7ec3c1b17{i}",
            "name": "s\\ud800" if i == 1 else f"s{i}", "startTimeUnixNano": "1700000000000000000",
            "endTimeUnixNano": "1700000001000000000",
            "attributes": [{"key": "braintrust.parent",
                            "value": {"stringValue": "project_name:srv"}}]} for i in range(3)]}]}]}
        text = json.dumps(otlp).replace("\\\\ud800", "\\ud800")
        resp = requests.post(f"{running.url}/otel/v1/traces", data=text, timeout=10,
                             headers={"Content-Type": "application/json"})
        assert resp.status_code == 200, resp.text
    finally:
        running.stop()
    data = [r.data for r in store.rows("project_logs", pid)]
    assert sorted(r["id"] for r in data if r["id"].startswith("r")) == [f"r{i}" for i in range(5)]
    assert next(r for r in data if r["id"] == "r2")["input"] == "\ufffd"
    names = sorted(r["span_attributes"]["name"] for r in data if "span_id" in r)
    assert names == ["s0", "s2", "s\ufffd"]


# -- item 3: times in the wrong unit -----------------------------------------------------

@pytest.mark.parametrize("bad", [time.time() * 1000, time.time() * 1e9, 1e300, math.inf,
                                 -math.inf, math.nan, -1.0, 10**5000],
                         ids=["ms", "ns", "1e300", "inf", "-inf", "nan", "negative", "huge-int"])
def test_span_times_are_checked_naming_the_argument(store: StoreHelper, bad: float) -> None:
    logger = braintrust.init_logger(project="p")
    with pytest.raises(ValueError, match="start_time must be seconds since the epoch"):
        braintrust.start_span(name="s", start_time=bad)
    with pytest.raises(ValueError, match="start_time"):
        logger.start_span(name="s", start_time=bad)
    span = logger.start_span(name="ok")
    with pytest.raises(ValueError, match="end_time must be seconds since the epoch"):
        span.end(end_time=bad)
    span.end()  # the span is still open after the refused call
    assert [r["span_attributes"]["name"] for r in store.rows()] == ["ok"]


def test_milliseconds_are_named_in_the_message(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with pytest.raises(ValueError, match="milliseconds"):
        braintrust.start_span(start_time=time.time() * 1000)


def test_a_foreign_span_with_absurd_times_still_has_ids(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    tracer = _state.tracer()
    now_ms = int(time.time() * 1000)
    span = tracer.start_span("foreign", start_time=now_ms * 10**9)  # ms taken for seconds
    span.end(end_time=(now_ms + 5) * 10**9)
    [row] = store.rows()
    ctx = span.get_span_context()
    assert row["span_id"] == f"{ctx.span_id:016x}" and row["root_span_id"] == f"{ctx.trace_id:032x}"
    assert row["created"].startswith("9999-12-31")
    assert "mapping" not in diagnostics.counts()


def test_the_fallback_row_always_has_ids() -> None:
    class Weird(ReadableSpan):
        @property
        def attributes(self) -> Any:
            raise RuntimeError("broken attributes")

    ctx = SpanContext(trace_id=7, span_id=9, is_remote=False)
    for span in (Weird(name="w", context=ctx, start_time=10**400), ReadableSpan(name="no ctx")):
        row = fallback_row(span, RuntimeError("boom"))
        assert row["id"] and row["span_id"] and row["root_span_id"]
        assert "boom" in row["error"]
    assert map_span(Weird(name="w", context=ctx))["span_id"] == "0000000000000009"



def test_a_span_the_mapping_fails_on_costs_only_its_own_row() -> None:
    # The batch is mapped in one pass; one span that breaks the mapping must
    # leave the others' rows whole and get a minimal row of its own, reported once.
    class Broken(ReadableSpan):
        @property
        def attributes(self) -> Any:
            raise RuntimeError("broken attributes")

    class Collect:
        rows: list[dict[str, Any]] = []

        def write(self, rows: Any) -> None:
            self.rows = list(rows)

        def flush(self, timeout: float | None = None) -> bool:
            return True

        def shutdown(self) -> None:
            pass

    diagnostics.reset()
    sink = Collect()
    spans = [ReadableSpan(name=name, context=SpanContext(trace_id=7, span_id=i + 1,
                                                         is_remote=False),
                          attributes={"braintrust.metadata": '{"n": 1}'},
                          start_time=10**18, end_time=10**18 + 1)
             for i, name in enumerate(("first", "broken", "last"))]
    spans[1] = Broken(name="broken", context=spans[1].context, start_time=10**18)
    BraintrustSpanExporter(sink).export(spans)
    first, broken, last = sink.rows
    assert [first["metadata"], last["metadata"]] == [{"n": 1}, {"n": 1}]
    assert "broken attributes" in broken["error"] and broken["span_id"] == "0000000000000002"
    assert diagnostics.counts()["mapping"] == 1

# -- item 10: arguments and values from a fuzz ------------------------------------------

class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr is broken")

    def __str__(self) -> str:
        raise RuntimeError("str is broken")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: braintrust.start_span(type=["llm"]), TypeError, "type must be a str"),  # type: ignore[arg-type]
        (lambda: braintrust.traced(type={"x": 1}), TypeError, "type must be a str"),  # type: ignore[call-overload]
        (lambda: braintrust.start_span(type=BadRepr()), TypeError, "type must be a str"),  # type: ignore[arg-type]
        (lambda: braintrust.start_span(span_attributes={BadRepr(): 1}), TypeError,  # type: ignore[dict-item]
         "span_attributes keys must be str"),
        (lambda: braintrust.current_span().log(tags=[BadRepr()]), TypeError, "tags"),  # type: ignore[list-item]
        (lambda: braintrust.init_dataset(project="p", version=BadRepr()), TypeError, "version"),  # type: ignore[arg-type]
        (lambda: braintrust.init_dataset(project="p", version=10**5000 * -1), ValueError,
         "version must be a transaction id"),
        (lambda: braintrust.init(project=BAD), ValueError, "project holds characters"),
        (lambda: braintrust.init(project="p", experiment=BAD), ValueError, "experiment"),
        (lambda: braintrust.init_dataset(project="p", name=BAD), ValueError, "name holds"),
        (lambda: braintrust.init_logger(project=BAD), ValueError, "project holds"),
        (lambda: braintrust.load_prompt(project=BAD, slug="s"), ValueError, "project holds"),
        (lambda: braintrust.Eval(BAD, data=[], task=str, scores=[]), ValueError, "name"),
        (lambda: braintrust.Eval("e", data=[], task=str, scores=5), TypeError, "scores"),  # type: ignore[arg-type]
        (lambda: braintrust.Eval("e", data=[], task=str, scores=[],
                                 trial_count="2"),  # type: ignore[arg-type]
         TypeError, "trial_count"),
        (lambda: braintrust.Eval("e", data=[], task=str, scores=[], timeout=math.nan),
         ValueError, "timeout"),
        (lambda: braintrust.init(project="p").log_feedback(id="x", scores=5), TypeError,  # type: ignore[arg-type]
         "scores must be a dict"),
        (lambda: braintrust.init(project="p").log_feedback(id="x", metadata=[1]), TypeError,  # type: ignore[arg-type]
         "metadata must be a dict"),
    ],
)
def test_bad_arguments_name_the_argument_even_with_hostile_values(
    store: StoreHelper, call: Any, error: type[Exception], message: str
) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s"), pytest.raises(error, match=message):
        call()


def test_scores_with_an_unprintable_int_name_the_argument(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s") as span, pytest.raises(ValueError, match="scores"):
        span.log(scores={"a": 10**5000})


def test_values_too_large_to_print_are_logged_as_markers(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    logger.log(input={"n": 10**5000, "ok": 1}, output=-(10**6000), metrics={"big": 10**5000})
    [row] = store.rows()
    assert row["input"]["ok"] == 1 and row["input"]["n"].startswith("<int of 5001 digits")
    assert row["output"].startswith("<int of 6001 digits: -1.0")
    assert loads(dumps(10**5000)).startswith("<int of")
    assert input_key({"n": 10**5000}).startswith('{"n": "<int of')


def test_an_eval_with_unprintable_inputs_finishes(store: StoreHelper) -> None:
    data = [{"input": 10**5000, "expected": 1}, {"input": BadRepr(), "expected": 2},
            {"input": "plain", "expected": 3}]
    def same(output: Any, expected: Any) -> float:
        return float(output == expected)

    result = braintrust.Eval("fuzzed", data=data, task=lambda x: 1, scores=[same], quiet=True)
    assert len(result.results) == 3 and not any(r.error for r in result.results)
    assert result.summary is not None
    assert result.summary.scores["same"].score == pytest.approx(1 / 3)


def test_a_row_the_service_refuses_costs_no_other_row(
    api: HttpSink, fake: FakeBraintrust
) -> None:
    fake.poison = "poison"
    logger = braintrust.init_logger(project="p")
    ids = [logger.log(input="poison" if i == 300 else i) for i in range(512)]
    assert braintrust.flush() is False  # one row was set aside, and flush() says so
    assert set(fake.rows) == set(ids) - {ids[300]}
    [kept] = (api.spool.directory / "rejected").iterdir()
    [line] = kept.read_text().splitlines()
    assert json.loads(line)["id"] == ids[300]
    assert diagnostics.counts()["rejected"] == 1
    holding = [b for b in fake.logs3_bodies() if any(r["id"] == ids[300] for r in b["rows"])]
    assert len(holding) <= 1 + 9  # one halving per level: at most log2(512) more requests


def test_halving_a_refused_batch_is_bounded(tmp_path: Path) -> None:
    diagnostics.reset()
    with FakeBraintrust() as fake:
        fake.poison = "poison"
        sink = HttpSink(ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=5),
                        Spool(tmp_path / "spool"))
        sink.write([{"id": f"r{i}", "input": "poison", "_parent": "project_name:p"}
                    for i in range(1000)])
        sink.flush()  # write() hands the rows to the sender thread
        sink._start_closing()
        assert not fake.rows
        assert len(fake.logs3_bodies()) == 1 + 64
    [kept] = (tmp_path / "spool" / "rejected").iterdir()
    assert len(kept.read_text().splitlines()) == 1000
    assert diagnostics.counts()["rejected"] == 1000


def test_object_metadata_with_a_lone_surrogate_is_stored_repaired(store: StoreHelper) -> None:
    exp = braintrust.init(project="p", experiment="x", metadata={"note": BAD})
    ds = braintrust.init_dataset(project="p", name="d", metadata={"note": BAD})
    found = store.store.find_experiment(id=exp.id)
    assert found is not None and found["metadata"] == {"note": FIXED}
    assert ds.id and diagnostics.counts()["encoding"] == 2


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("str is broken")


@pytest.mark.parametrize("masked", [False, True])
def test_an_exception_whose_str_raises_is_still_recorded(store: StoreHelper, masked: bool) -> None:
    if masked:
        braintrust.set_masking_function(lambda v: v)
    braintrust.init_logger(project="p")

    @braintrust.traced
    def fails() -> None:
        raise UnprintableError()

    with pytest.raises(UnprintableError):
        fails()
    [row] = store.rows()
    assert "UnprintableError" in row["error"]
    assert "log" not in diagnostics.counts()


def test_a_batch_of_surrogate_rows_is_repaired_in_one_retry(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    rejected = store.write_each([("project_logs", "p", {"id": f"r{i}", "input": BAD})
                                 for i in range(100)])
    assert rejected == []
    stored = list(store.rows("project_logs", "p"))
    assert len(stored) == 100 and {r.data["input"] for r in stored} == {FIXED}
    assert len({r.xact_id for r in stored}) == 1  # one transaction, not one per row
