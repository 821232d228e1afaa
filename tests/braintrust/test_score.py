"""Score: the official SDK's fields, serialisation and range check."""

from __future__ import annotations

import json
import math

import pytest

import braintrust
from braintrust import Score
from tests.conftest import StoreHelper


def test_serialisation_matches_the_official() -> None:
    score = Score("a", 0.5, {"x": 1})
    assert score.as_dict() == {"name": "a", "score": 0.5, "metadata": {"x": 1}}
    assert json.loads(score.as_json()) == score.as_dict()
    assert score.as_json(indent=2).startswith("{\n")
    assert score["score"] == 0.5 and score["name"] == "a"
    assert Score.from_dict({"name": "b", "score": 1, "unknown": 2}) == Score("b", 1)
    assert Score("skipped") == Score("skipped", None, {}, None)


def test_range_is_checked_like_the_official() -> None:
    for bad in (1.5, -0.1):
        with pytest.raises(ValueError, match=r"must be between 0 and 1"):
            Score("c", bad)
    with pytest.raises(ValueError, match="between 0 and 1"):
        Score.from_dict({"name": "c", "score": 2})
    with pytest.raises(TypeError, match="score must be a number"):
        Score("c", "0.5")  # type: ignore[arg-type]
    assert Score("c", True).score is True  # accepted by the official too
    assert math.isnan(Score("c", float("nan")).score or 0.0)


def test_error_field_is_deprecated_and_left_out() -> None:
    with pytest.warns(UserWarning, match="deprecated"):
        score = Score("e", 0, error=RuntimeError("boom"))
    assert isinstance(score.error, RuntimeError)
    assert score.as_dict() == {"name": "e", "score": 0, "metadata": {}}


def test_scores_returned_by_scorers_reach_the_experiment(store: StoreHelper) -> None:
    result = braintrust.Eval(
        "p", data=[{"input": 1, "expected": 1}], task=lambda x: x, quiet=True,
        scores=[lambda output, expected: Score.from_dict(
            {"name": "exact", "score": float(output == expected), "metadata": {"why": "eq"}})])
    assert result.results[0].scores == {"exact": 1.0}
    with pytest.raises(ValueError):
        Score("bad", 3)
