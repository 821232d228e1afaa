"""combine_rows without merge rows hands every row on, in order, in a new list."""

from __future__ import annotations

from typing import Any

from braintrust_otel.merge import combine_rows


def test_batch_without_merges_is_kept_whole() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "a", "project_id": "p", "log_id": "g", "input": 1},
        {"id": "a", "project_id": "p", "log_id": "g", "input": 2},  # a full rewrite: kept
        {"id": "b", "project_id": "p", "log_id": "g", "_is_merge": False},
    ]
    out = combine_rows(rows)
    assert out == rows and out is not rows
    assert [r["input"] for r in out[:2]] == [1, 2]


def test_one_merge_anywhere_still_folds() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "a", "project_id": "p", "log_id": "g", "input": 1},
        {"id": "b", "project_id": "p", "log_id": "g", "input": 3},
        {"id": "a", "project_id": "p", "log_id": "g", "output": 2, "_is_merge": True},
    ]
    out = combine_rows(rows)
    assert [r["id"] for r in out] == ["a", "b"]
    assert out[0]["input"] == 1 and out[0]["output"] == 2 and not out[0].get("_is_merge")
