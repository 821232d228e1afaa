"""braintrust.wrappers.langsmith_wrapper: LangSmith's traceable and evaluate on Braintrust.

Each test runs in a fresh interpreter, since setup_langsmith patches the
langsmith module for the whole process. LangSmith's own service is never
reached: its tracing is off (no ``LANGSMITH_TRACING``), and evaluate runs
standalone (tandem evaluate would call LangSmith's API).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_python, stored_rows

pytest.importorskip("langsmith")

_ENV = {"LANGSMITH_TRACING": "false", "LANGCHAIN_TRACING_V2": "false",
        "LANGCHAIN_PROJECT": "ls-proj"}


def _run(code: str, tmp_path: Path) -> dict[str, Any]:
    done = run_python(code, tmp_path, env=_ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def test_traceable_functions_become_spans_and_stay_langsmith_traceable(tmp_path: Path) -> None:
    out = _run("""
        import json
        import braintrust
        from braintrust.wrappers.langsmith_wrapper import setup_langsmith
        assert setup_langsmith() is True
        import langsmith
        from langsmith import traceable
        from langsmith.run_helpers import is_traceable_function

        @traceable
        def double(x):
            return {"result": x * 2}

        @traceable(name="outer step", run_type="chain")
        def outer(x):
            return double(x)["result"] + 1

        assert outer(3) == 7
        braintrust.flush()
        # Tandem: LangSmith's decorator is still applied underneath.
        print(json.dumps({"tandem": is_traceable_function(outer.__wrapped__)}))
    """, tmp_path)
    assert out["tandem"] is True
    rows = stored_rows(tmp_path / "sub.sqlite", "ls-proj")  # LANGCHAIN_PROJECT names it
    by_name = {r["span_attributes"]["name"]: r for r in rows}
    assert set(by_name) == {"outer step", "double"}
    outer, inner = by_name["outer step"], by_name["double"]
    assert inner["span_parents"] == [outer["span_id"]]
    assert outer["input"] == {"x": 3} and outer["output"] == 7
    assert inner["input"] == {"x": 3} and inner["output"] == {"result": 6}


def test_evaluate_runs_a_braintrust_experiment_with_langsmith_evaluators(tmp_path: Path) -> None:
    out = _run("""
        import asyncio, json
        import braintrust
        from braintrust.wrappers.langsmith_wrapper import (
            get_braintrust_results, setup_langsmith)
        assert setup_langsmith(project_name="p", standalone=True) is True
        import langsmith
        from langsmith import Client

        def target(inputs):  # one parameter: it gets the inputs dict
            return {"result": inputs["x"] * 2}

        def spread(x, y):  # several: the inputs are spread over them
            return {"result": x * y}

        def correct(inputs, outputs, reference_outputs):
            return {"key": "correct", "score": outputs == reference_outputs,
                    "metadata": {"seen": inputs["x"]}}

        data = [{"inputs": {"x": 1}, "outputs": {"result": 2}},
                {"inputs": {"x": 2}, "outputs": {"result": 5}}]
        # Client() is never asked to reach LangSmith: standalone runs only Braintrust.
        sync = Client(api_key="unused", api_url="http://127.0.0.1:9").evaluate(
            target, data=data, evaluators=[correct], experiment_prefix="from-client")
        async_result = asyncio.run(langsmith.aevaluate(
            spread, data=[{"inputs": {"x": 1, "y": 2}, "outputs": {"result": 2}},
                          {"inputs": {"x": 2, "y": 2}, "outputs": {"result": 5}}],
            evaluators=[correct], experiment_prefix="from-aevaluate"))
        braintrust.flush()
        def scores(result):  # cases run concurrently: in input order
            return [r.scores for r in sorted(result.results, key=lambda r: r.input["x"])]

        print(json.dumps({"scores": scores(sync), "async": scores(async_result),
                          "kept": len(get_braintrust_results())}))
    """, tmp_path)
    assert out["scores"] == [{"correct": 1.0}, {"correct": 0.0}]
    assert out["async"] == [{"correct": 1.0}, {"correct": 0.0}]
    assert out["kept"] == 2

    from braintrust_otel.store import Store

    store = Store(tmp_path / "sub.sqlite")
    project = store.find_project(name="p")
    assert project is not None
    experiments = {e["name"]: e for e in store.experiments(project["id"])}
    assert set(experiments) == {"from-client", "from-aevaluate"}
    rows = [r.data for r in store.rows("experiment", experiments["from-client"]["id"])]
    evals = sorted((r for r in rows if r["span_attributes"]["type"] == "eval"),
                   key=lambda r: r["input"]["x"])
    assert [r["input"] for r in evals] == [{"x": 1}, {"x": 2}]
    assert [r["output"] for r in evals] == [{"result": 2}, {"result": 4}]
    # The whole LangSmith example is the expected value; evaluators read its outputs.
    assert evals[1]["expected"] == {"inputs": {"x": 2}, "outputs": {"result": 5}}
    [score] = [r for r in rows if r["span_attributes"]["type"] == "score"
               and r["root_span_id"] == evals[0]["root_span_id"]]
    assert score["span_attributes"]["name"] == "correct"
    assert score["scores"] == {"correct": 1.0}


def test_setup_without_langsmith_reports_false(tmp_path: Path) -> None:
    out = _run("""
        import json, sys
        sys.modules["langsmith"] = None  # as if not installed
        from braintrust.wrappers.langsmith_wrapper import setup_langsmith
        print(json.dumps({"on": setup_langsmith(project_name="p")}))
    """, tmp_path)
    assert out["on"] is False
