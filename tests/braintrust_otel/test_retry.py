"""One retry policy for every loop: how many tries, the waits between, what it gives up with."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from braintrust_otel import diagnostics
from braintrust_otel.retry import RetryPolicy
from braintrust_otel.sinks import local
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.store import Store


def _flaky(failures: int, result: str = "ok") -> tuple[list[int], Any]:
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise OSError(f"failure {len(calls)}")
        return result

    return calls, fn


def test_retries_until_it_succeeds_waiting_between_tries() -> None:
    waits: list[float] = []
    calls, fn = _flaky(2)
    policy = RetryPolicy(attempts=4, base=0.5, cap=10.0)
    assert policy.call(fn, sleep=waits.append) == "ok"
    assert len(calls) == 3
    # Exponential with jitter: each wait is within [nominal/2, nominal].
    assert 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0


def test_gives_up_with_the_last_error_and_no_wait_after_it() -> None:
    waits: list[float] = []
    calls, fn = _flaky(10)
    with pytest.raises(OSError, match="failure 3"):
        RetryPolicy(attempts=3, base=0.1).call(fn, sleep=waits.append)
    assert len(calls) == 3 and len(waits) == 2


def test_an_error_not_worth_retrying_is_raised_at_once() -> None:
    waits: list[float] = []
    calls, fn = _flaky(10)
    with pytest.raises(OSError):
        RetryPolicy(attempts=5, base=0.1).call(fn, retry_on=lambda e: False, sleep=waits.append)
    assert len(calls) == 1 and waits == []


def test_the_cap_and_retry_after_bound_the_wait() -> None:
    policy = RetryPolicy(attempts=10, base=1.0, cap=2.0)
    assert policy.delay(8, rand=lambda: 0.999) <= 2.0
    assert policy.delay(0, retry_after=7.0) == 7.0


class _BusyStore(Store):
    """A real store whose first ``busy`` writes fail as a locked database does."""

    def __init__(self, path: Path, busy: int) -> None:
        super().__init__(path)
        self.busy = busy

    def write_each(self, rows: Sequence[tuple[str, str, dict[str, Any]]]
                   ) -> list[tuple[tuple[str, str, dict[str, Any]], Exception]]:
        if self.busy:
            self.busy -= 1
            raise sqlite3.OperationalError("database is locked")
        return super().write_each(rows)


def _rows() -> list[dict[str, Any]]:
    return [{"id": "r1", "_parent": "project_name:p", "input": 1}]


def _reports(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    # Only this test's reports: other tests' background threads may report too.
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(diagnostics, "report",
                        lambda kind, message, exc=None, n=1: seen.append((kind, message)))
    return seen


def test_local_sink_retries_a_busy_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "_BUSY", RetryPolicy(attempts=5, base=0.001))
    reports = _reports(monkeypatch)
    store = _BusyStore(tmp_path / "s.sqlite", busy=4)
    LocalSink(store, notice=False).write(_rows())
    project = store.find_project(name="p")
    assert project is not None and store.count("project_logs", project["id"]) == 1
    assert reports == []


def test_local_sink_counts_rows_dropped_after_every_try(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "_BUSY", RetryPolicy(attempts=5, base=0.001))
    reports = _reports(monkeypatch)
    store = _BusyStore(tmp_path / "s.sqlite", busy=5)
    LocalSink(store, notice=False).write(_rows())
    assert store.busy == 0  # all five tries were made
    assert [kind for kind, _ in reports] == ["dropped"]
    assert "could not write 1 rows" in reports[0][1]


def test_http_sink_retries_by_the_shared_policy(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from braintrust_otel.api import ApiConnection
    from braintrust_otel.sinks.http import HttpSink
    from braintrust_otel.spool import Spool

    monkeypatch.setenv("BRAINTRUST_NUM_RETRIES", "2")
    conn = ApiConnection(api_key="k", app_url="http://127.0.0.1:9")
    sink = HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.25, backoff_cap=4.0)
    try:
        assert sink.retry == RetryPolicy(attempts=3, base=0.25, cap=4.0)
        assert sink.attempts == 3
    finally:
        sink._start_closing()
