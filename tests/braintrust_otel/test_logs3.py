"""The pure parts of a /logs3 delivery: request bodies and where requests are cut."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from braintrust_otel import diagnostics
from braintrust_otel.api import ApiConnection
from braintrust_otel.sinks._logs3 import API_VERSION, Logs3Sender, cut_requests, logs3_body
from braintrust_otel.spool import Spool


def test_body_holds_the_rows_unread_and_the_api_version() -> None:
    body = logs3_body(['{"id":"a"}', '{"id":"b"}'])
    assert json.loads(body) == {"rows": [{"id": "a"}, {"id": "b"}], "api_version": API_VERSION}


def test_body_is_the_rows_joined_in_order_for_any_count() -> None:
    # The body is joined from per-row bytes: every count (none, one, many) and
    # non-ASCII text give exactly the text joining would, encoded once.
    for rows in ([], ['{"id":"a"}'], ['{"id":"a"}', '{"x":"\u00e9\u4e2d"}', '{"id":"c"}']):
        expected = '{"rows":[' + ",".join(rows) + f'],"api_version":{API_VERSION}}}'
        assert logs3_body(rows) == expected.encode()
        assert json.loads(logs3_body(rows))["rows"] == [json.loads(r) for r in rows]


def test_cuts_by_row_count() -> None:
    rows = [json.dumps({"id": str(i)}) for i in range(5)]
    assert cut_requests(rows, 10_000, batch_rows=2) == [2, 4, 5]


def test_cuts_by_bytes_with_the_body_overhead_and_a_large_row_alone() -> None:
    small, large = '"' + "a" * 8 + '"', '"' + "b" * 200 + '"'
    overhead = len(logs3_body([]))
    limit = overhead + 2 * (len(small) + 1)  # two small rows fit, a third does not
    assert cut_requests([small, small, small, large, small], limit, batch_rows=100) \
        == [2, 3, 4, 5]
    # Every request body is within the limit, except a single row larger than it.
    encoded = [small, small, small, large, small]
    start = 0
    for end in cut_requests(encoded, limit, batch_rows=100):
        assert len(logs3_body(encoded[start:end])) <= limit or end - start == 1
        start = end


def test_non_ascii_rows_count_their_utf8_bytes() -> None:
    row = '"' + "é" * 10 + '"'  # 12 characters, 22 bytes
    limit = len(logs3_body([])) + 2 * 23
    assert cut_requests([row, row, row], limit, batch_rows=100) == [2, 3]
    assert cut_requests([row, row, row], limit - 1, batch_rows=100) == [1, 2, 3]


def test_a_lone_surrogate_is_repaired_in_place_and_reported() -> None:
    diagnostics.reset()
    encoded = ['"ok"', '"bad \ud800"']
    assert cut_requests(encoded, 10_000, batch_rows=100) == [2]
    assert encoded[1] == '"bad \ufffd"'
    logs3_body(encoded)  # encodes now
    assert diagnostics.counts()["encoding"] == 1


def test_ascii_rows_are_cut_exactly_as_row_by_row() -> None:
    # ASCII rows (nearly all) are cut by bisecting running sizes summed in C; the
    # cuts must be the ones the row-by-row walk makes, for any sizes and limits.
    import random

    from braintrust_otel.sinks._logs3 import _cut_any, _cut_ascii

    rng = random.Random(18)
    for _ in range(2000):
        rows = ["x" * rng.randint(1, 60) for _ in range(rng.randint(0, 40))]
        room, batch = rng.randint(-5, 300), rng.randint(1, 12)
        assert _cut_ascii(rows, room, batch) == _cut_any(list(rows), room, batch), (
            [len(r) for r in rows], room, batch)


def _sender(tmp_path: Path, ids: Callable[[str], dict[str, str]]) -> Logs3Sender:
    conn = ApiConnection(api_key="k", app_url="http://127.0.0.1:9")  # never called here
    return Logs3Sender(conn, Spool(tmp_path / "spool"), {}, object_ids=ids,
                       closing=lambda: False, budget=lambda: None)


def test_rows_are_filed_under_their_parents_ids_each_parent_resolved_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRAINTRUST_PARENT", raising=False)
    asked: list[str] = []

    def ids(parent: str) -> dict[str, str]:
        asked.append(parent)
        return {"project_id": f"id-{parent}", "log_id": "g"}

    parents = ["project_name:a", None, "project_name:b", "project_name:a", "", None]
    # Every row names a parent (the mapping's rows), or some do not (rows of any source).
    for extra in ([], [{"id": "own", "experiment_id": "e"}, {"id": "bare"}]):
        asked.clear()
        rows: list[dict[str, Any]] = [{"id": str(i), "_parent": p} for i, p in enumerate(parents)]
        rows += [dict(r) for r in extra]
        _sender(tmp_path, ids).resolve(rows)
        default = "project_name:default-otel-project"
        expected = [f"id-{p or default}" for p in parents]
        assert [r.get("project_id") for r in rows[:len(parents)]] == expected
        assert all("_parent" not in r and r["log_id"] == "g" for r in rows[:len(parents)])
        if extra:
            assert rows[-2] == {"id": "own", "experiment_id": "e"}  # already filed: untouched
            assert rows[-1]["project_id"] == f"id-{default}"
        assert sorted(set(asked)) == sorted(asked)  # each parent asked for once


def test_a_parent_that_cannot_be_resolved_leaves_every_row_untouched(tmp_path: Path) -> None:
    def ids(parent: str) -> dict[str, str]:
        if parent == "project_name:down":
            raise RuntimeError("no answer")
        return {"project_id": "p", "log_id": "g"}

    rows: list[dict[str, Any]] = [{"id": "1", "_parent": "project_name:up"},
                                  {"id": "2", "_parent": "project_name:down"}]
    before = [dict(r) for r in rows]
    with pytest.raises(RuntimeError):
        _sender(tmp_path, ids).resolve(rows)
    assert rows == before
