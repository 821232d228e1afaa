"""Eval, EvalAsync, scorers, experiments, summaries and the `braintrust eval` CLI."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from autoevals import ExactMatch, Levenshtein

import braintrust
from braintrust import EvalCase, EvalHooks, Score
from tests.conftest import StoreHelper


def exact(output: Any, expected: Any) -> bool:
    return bool(output == expected)


DATA = [{"input": "a", "expected": "A"}, {"input": "b", "expected": "X"}]


def _upper(s: str) -> str:
    return s.upper()


def _experiment_rows(store: StoreHelper, project: str) -> list[dict[str, Any]]:
    braintrust.flush()
    proj = store.store.find_project(name=project)
    assert proj is not None
    [exp] = store.store.experiments(proj["id"])[-1:]
    return [r.data for r in store.store.rows("experiment", exp["id"])]


def test_eval_logs_a_trace_per_case(store: StoreHelper) -> None:
    result = braintrust.Eval("ev", data=DATA, task=_upper, scores=[exact], quiet=True)
    assert [r.output for r in result.results] == ["A", "B"]
    assert [r.scores for r in result.results] == [{"exact": 1.0}, {"exact": 0.0}]
    assert result.summary is not None
    assert result.summary.scores["exact"].score == 0.5
    rows = _experiment_rows(store, "ev")
    assert len(rows) == 6
    roots = [r for r in rows if r["span_attributes"]["type"] == "eval"]
    assert len(roots) == 2
    for root in roots:
        trace = [r for r in rows if r["root_span_id"] == root["root_span_id"]]
        task = next(r for r in trace if r["span_attributes"]["type"] == "task")
        score = next(r for r in trace if r["span_attributes"]["type"] == "score")
        assert root["span_attributes"]["name"] == "eval" and root["span_parents"] is None
        assert root["output"] == root["input"].upper()
        assert root["expected"] in ("A", "X") and "scores" not in root
        assert task["span_parents"] == [root["span_id"]]
        assert task["input"] == root["input"] and task["output"] == root["output"]
        assert score["span_attributes"] == {"name": "exact", "type": "score",
                                            "purpose": "scorer"}
        assert score["span_parents"] == [root["span_id"]]
        assert set(score["scores"]) == {"exact"}
        assert score["input"]["output"] == root["output"]
    assert result.results[0].id in {r["id"] for r in roots}
    assert result.summary.experiment_id == rows[0]["experiment_id"]


@pytest.mark.parametrize("form", ["list", "cases", "callable", "generator", "iterator",
                                  "dataset"])
def test_every_data_form(store: StoreHelper, form: str) -> None:
    class Dataset:
        id = "ds-1"

        def __iter__(self) -> Iterator[dict[str, Any]]:
            return iter(DATA)

    def gen() -> Iterator[dict[str, Any]]:
        yield from DATA

    data: Any = {
        "list": DATA,
        "cases": [EvalCase(input="a", expected="A"), EvalCase(input="b", expected="X")],
        "callable": lambda: DATA,
        "generator": gen(),
        "iterator": iter(DATA),
        "dataset": Dataset(),
    }[form]
    result = braintrust.Eval("forms", data=data, task=_upper, scores=[exact], quiet=True)
    assert [r.scores["exact"] for r in result.results] == [1.0, 0.0]


def test_async_generator_data_and_async_task_with_eval_async(store: StoreHelper) -> None:
    async def cases() -> AsyncIterator[dict[str, Any]]:
        for item in DATA:
            yield item

    async def task(s: str) -> str:
        await asyncio.sleep(0)
        return s.upper()

    async def scorer(output: str, expected: str) -> float:
        return 1.0 if output == expected else 0.0

    result = asyncio.run(braintrust.EvalAsync("async", data=cases(), task=task,
                                              scores=[scorer], quiet=True))
    assert [r.scores["scorer"] for r in result.results] == [1.0, 0.0]


def test_task_with_hooks(store: StoreHelper) -> None:
    seen: list[Any] = []

    @braintrust.traced
    def helper(x: str) -> str:
        return x * 2

    def task(input: str, hooks: EvalHooks) -> str:
        seen.append((hooks.expected, dict(hooks.metadata), hooks.parameters, hooks.trial_index))
        hooks.meta(extra=True)
        hooks.span.log(metadata={"from_task": 1})
        return helper(input)

    braintrust.Eval("hooks", data=[{"input": "a", "expected": "aa", "metadata": {"m": 1}}],
                    task=task, scores=[exact], parameters={"p": 2}, quiet=True)
    assert seen == [("aa", {"m": 1}, {"p": 2}, 0)]
    rows = _experiment_rows(store, "hooks")
    by_name = {r["span_attributes"]["name"]: r for r in rows}
    assert by_name["helper"]["span_parents"] == [by_name["task"]["span_id"]]
    assert by_name["task"]["metadata"] == {"from_task": 1}
    assert by_name["eval"]["metadata"] == {"m": 1, "extra": True}


def test_every_scorer_form(store: StoreHelper) -> None:
    scorers = [
        lambda output: 0.25,
        lambda: True,
        lambda input: None,
        lambda output, expected: {"name": "as_dict", "score": 0.5, "metadata": {"why": "x"}},
        lambda expected: Score("as_score", 0.75),
        lambda **kw: [Score("first", 1), {"name": "second", "score": 0}],
        ExactMatch(),
        Levenshtein,
    ]
    result = braintrust.Eval("scorers", data=[{"input": "a", "expected": "A"}], task=_upper,
                             scores=scorers, quiet=True)
    [r] = result.results
    assert r.error is None
    # Lambdas are named by their place, as the official SDK names them.
    assert r.scores == {"scorer_0": 0.25, "scorer_1": 1.0, "as_dict": 0.5, "as_score": 0.75,
                        "first": 1.0, "second": 0.0, "ExactMatch": 1.0, "Levenshtein": 1.0}
    rows = _experiment_rows(store, "scorers")
    as_dict = next(r for r in rows if (r.get("scores") or {}).get("as_dict") is not None)
    assert as_dict["metadata"] == {"why": "x"}


def test_autoevals_levenshtein_partial_score(store: StoreHelper) -> None:
    result = braintrust.Eval("lev", data=[{"input": "abc", "expected": "ABD"}], task=_upper,
                             scores=[Levenshtein], quiet=True)
    assert result.results[0].scores["Levenshtein"] == pytest.approx(2 / 3)


def test_bad_cases_and_scorers_are_reported_and_the_run_goes_on(
    store: StoreHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    def says_text(output: str) -> str:
        return "great"

    def too_big(output: str) -> float:
        return 1.5

    def boom(output: str) -> float:
        raise RuntimeError("scorer bug")

    data = [{"input": "a", "expected": "A"}, {"expected": "no input"},
            {"input": "b", "expected": "B"}]
    result = braintrust.Eval("bad", data=data, task=_upper,
                             scores=[exact, says_text, too_big, boom], quiet=True)
    err = capsys.readouterr().err
    assert "case 1 has no 'input'" in err
    assert "scorer 'says_text' returned str" in err
    assert "scorer 'too_big' gave score 'too_big' the value 1.5, outside [0, 1]" in err
    good = [r for r in result.results if r.input is not None]
    assert len(good) == 2 and all(r.scores["exact"] == 1.0 for r in good)
    assert "scorer 'boom' failed: RuntimeError: scorer bug" in err
    # As in the official SDK, a failing scorer does not fail the case: its
    # traceback is in the case's metadata (scorer_errors).
    assert all(r.error is None for r in good)
    assert all("RuntimeError: scorer bug" in r.metadata["scorer_errors"]["boom"] for r in good)
    assert set(good[0].metadata["scorer_errors"]) == {"says_text", "too_big", "boom"}
    assert result.summary is not None and result.summary.errors == 1


def test_failing_task_is_recorded_and_others_run(store: StoreHelper) -> None:
    def task(s: str) -> str:
        if s == "b":
            raise ValueError("cannot do b")
        return s.upper()

    result = braintrust.Eval("failing", data=DATA, task=task, scores=[exact], quiet=True)
    assert result.results[0].error is None and result.results[0].scores == {"exact": 1.0}
    # As the official SDK: the exception itself, and its traceback beside it.
    error = result.results[1].error
    assert isinstance(error, ValueError) and str(error) == "cannot do b"
    assert (result.results[1].exc_info or "").startswith("Traceback")
    assert "raise ValueError" in (result.results[1].exc_info or "")
    assert result.results[1].scores == {}
    roots = [r for r in _experiment_rows(store, "failing")
             if r["span_attributes"]["type"] == "eval"]
    failed = next(r for r in roots if r["input"] == "b")
    assert "ValueError: cannot do b" in failed["error"]


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="task must be callable"):
        braintrust.Eval("x", data=DATA, task="not callable", scores=[], quiet=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="scorer 0"):
        braintrust.Eval("x", data=DATA, task=_upper, scores=["nope"], quiet=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        braintrust.Eval("x", data=DATA, task=_upper, scores=[], bogus=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="data must be"):
        braintrust.Eval("x", data=42, task=_upper, scores=[], no_send_logs=True, quiet=True)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_max_concurrency_is_respected(store: StoreHelper, kind: str) -> None:
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def enter() -> None:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])

    def leave() -> None:
        with lock:
            state["now"] -= 1

    def sync_task(x: int) -> int:
        enter()
        time.sleep(0.02)
        leave()
        return x

    async def async_task(x: int) -> int:
        enter()
        await asyncio.sleep(0.02)
        leave()
        return x

    task = sync_task if kind == "sync" else async_task
    braintrust.Eval("conc", data=[{"input": i} for i in range(12)], task=task, scores=[],
                    max_concurrency=3, no_send_logs=True, quiet=True)
    assert state["peak"] == 3


def test_timeout_is_for_the_whole_run(store: StoreHelper) -> None:
    # As the official SDK: ``timeout`` bounds the whole evaluation. Past it the
    # cancel event is set, running cases stop, and Eval raises TimeoutError.
    cancel = threading.Event()
    seen: list[bool] = []

    async def task(x: str, hooks: EvalHooks) -> str:
        if x == "slow":
            await asyncio.sleep(5)
        return x

    def scorer(output: str) -> float:
        seen.append(cancel.is_set())
        return 1.0

    with pytest.raises(asyncio.TimeoutError, match="Evaluator timed out"):
        braintrust.Eval("timeout", data=[{"input": "fast"}, {"input": "slow"}],
                        task=task, scores=[scorer], timeout=0.5, cancel_event=cancel,
                        quiet=True)
    assert cancel.is_set() and seen == [False]
    rows = _experiment_rows(store, "timeout")
    roots = {r["input"]: r for r in rows if r["span_attributes"]["type"] == "eval"}
    assert roots["fast"]["output"] == "fast" and not roots["fast"].get("error")
    assert "Evaluator timed out" in roots["slow"]["error"]
    assert roots["slow"].get("output") is None


def test_trials(store: StoreHelper) -> None:
    result = braintrust.Eval("trials", data=DATA, task=lambda s, hooks: hooks.trial_index,
                             scores=[], trial_count=3, quiet=True)
    assert sorted(r.output for r in result.results) == [0, 0, 1, 1, 2, 2]


def test_comparison_with_the_previous_experiment(store: StoreHelper) -> None:
    data = [{"input": x} for x in "abc"]
    first = {"a": 1.0, "b": 0.0, "c": 1.0}
    second = {"a": 1.0, "b": 1.0, "c": 0.5}
    braintrust.Eval("cmp", data=data, task=lambda x: x,
                    scores=[lambda output: first[output]], experiment_name="base", quiet=True)
    result = braintrust.Eval("cmp", data=data, task=lambda x: x,
                             scores=[lambda output: second[output]], quiet=True)
    summary = result.summary
    assert summary is not None
    assert summary.comparison_experiment_name == "base"
    s = summary.scores["scorer_0"]
    assert s.score == pytest.approx(2.5 / 3)
    assert s.diff == pytest.approx(2.5 / 3 - 2 / 3)
    assert (s.improvements, s.regressions) == (1, 1)
    text = str(summary)
    assert "compared to base:" in text
    assert "83.33% (+16.67%) 'scorer_0' score\t(1 improvement, 1 regression)" in text


def test_explicit_base_experiment_by_name(store: StoreHelper) -> None:
    data = [{"input": "a"}]
    braintrust.Eval("named", data=data, task=lambda x: x, scores=[lambda: 0.0],
                    experiment_name="zero", quiet=True)
    braintrust.Eval("named", data=data, task=lambda x: x, scores=[lambda: 1.0],
                    experiment_name="one", quiet=True)
    result = braintrust.Eval("named", data=data, task=lambda x: x, scores=[lambda: 1.0],
                             base_experiment_name="zero", quiet=True)
    assert result.summary is not None
    assert result.summary.comparison_experiment_name == "zero"
    assert result.summary.scores["scorer_0"].diff == pytest.approx(1.0)


def test_summary_text_format() -> None:
    from braintrust import ExperimentSummary, MetricSummary, ScoreSummary

    summary = ExperimentSummary(
        "p", "pid", "exp-1", "eid", experiment_url="http://x/app/o/p/p/experiments/exp-1",
        scores={"exact": ScoreSummary("exact", 0.5, longest_name=10),
                "score_dict": ScoreSummary("score_dict", 0.25, longest_name=10)},
        metrics={"duration": MetricSummary("duration", 0.0123, "s"),
                 "tokens": MetricSummary("tokens", 12)})
    assert str(summary) == (
        "\n=========================SUMMARY=========================\n"
        "50.00% 'exact'      score\n"
        "25.00% 'score_dict' score\n\n"
        "0.01s duration\n12 tokens\n\n"
        "See results for exp-1 at http://x/app/o/p/p/experiments/exp-1")


def test_eval_prints_the_summary(store: StoreHelper, capsys: pytest.CaptureFixture[str]) -> None:
    braintrust.Eval("printed", data=DATA, task=_upper, scores=[exact])
    out, err = capsys.readouterr()
    assert "=========================SUMMARY=========================" in out
    assert "50.00% 'exact' score" in out
    assert "See results for experiment-1 at http://127.0.0.1:8000/app/local/p/printed" in out
    assert "Experiment experiment-1 is running at" in err


def test_no_send_logs_stores_nothing(store: StoreHelper) -> None:
    result = braintrust.Eval("nolog", data=DATA, task=_upper, scores=[exact],
                             no_send_logs=True, quiet=True)
    assert result.summary is not None and result.summary.scores["exact"].score == 0.5
    assert store.store.find_project(name="nolog") is None


def test_custom_reporter(store: StoreHelper) -> None:
    seen: list[Any] = []

    def report_eval(evaluator: Any, result: Any, verbose: bool, jsonl: bool) -> bool:
        seen.append((evaluator.eval_name, len(result.results)))
        return False

    reporter = braintrust.Reporter("mine", report_eval=report_eval)
    braintrust.Eval("rep", data=DATA, task=_upper, scores=[exact], reporter=reporter,
                    quiet=True)
    assert seen == [("rep", 2)]
    assert reporter.report_run([False]) is False and reporter.report_run([True]) is True


def test_init_experiment_log_feedback_and_summarize(store: StoreHelper) -> None:
    exp = braintrust.init(project="manual", experiment="by-hand", metadata={"model": "m"})
    assert braintrust.init_experiment is braintrust.init
    row_id = exp.log(input="q", output="a", expected="a", scores={"ok": 1.0})
    with exp.start_span(name="spanned") as span:
        span.log(input="q2", output="b", scores={"ok": 0.0})
    exp.log_feedback(row_id, scores={"human": 1.0}, comment="nice", tags=["reviewed"])
    summary = exp.summarize()
    assert summary.experiment_name == "by-hand"
    assert summary.scores["ok"].score == 0.5
    assert summary.scores["human"].score == 1.0
    rows = {r["id"]: r for r in _experiment_rows(store, "manual")}
    assert rows[row_id]["span_attributes"] == {"name": "root", "type": "eval"}
    assert rows[row_id]["scores"] == {"ok": 1.0, "human": 1.0}
    [comment] = [r for r in rows.values() if r.get("origin") == {"id": row_id}]
    assert comment["comment"] == {"text": "nice"}  # a row of its own, as the official
    assert rows[row_id]["tags"] == ["reviewed"]
    assert rows[span.id]["span_attributes"]["type"] == "eval"
    again = braintrust.init(project="manual", experiment="by-hand", update=True)
    assert again.id == exp.id
    fresh = braintrust.init(project="manual", experiment="by-hand")
    assert fresh.id != exp.id and fresh.name == "by-hand-2"
    with pytest.raises(TypeError, match="experiment must be a str"):
        braintrust.init(project="manual", experiment=3)  # type: ignore[call-overload]


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(tmp_path / "cli.sqlite"))
    env.pop("BRAINTRUST_API_KEY", None)
    return subprocess.run([sys.executable, "-m", "braintrust", "eval", *args],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path),
                          timeout=120)


def test_cli_runs_lists_filters_and_fails(tmp_path: Path) -> None:
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "eval_words.py").write_text(
        "import braintrust\n"
        "def exact(output, expected):\n    return output == expected\n"
        "braintrust.Eval('words', data=[{'input': 'a', 'expected': 'A'},\n"
        "    {'input': 'b', 'expected': 'B'}], task=lambda s: s.upper(), scores=[exact])\n"
        "if __name__ == '__main__':\n    raise SystemExit('must not run as a script')\n")
    (tmp_path / "evals" / "helper.py").write_text("raise SystemExit('not an eval file')\n")
    listed = _cli(tmp_path, "--list", "evals")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split("\t")[0] == "words"
    ran = _cli(tmp_path, "evals")
    assert ran.returncode == 0, ran.stderr
    assert "100.00% 'exact' score" in ran.stdout
    filtered = _cli(tmp_path, "--jsonl", "--no-send-logs", "--filter", "input=^b$", "evals")
    assert filtered.returncode == 0, filtered.stderr
    line = json.loads(filtered.stdout.strip().splitlines()[-1])
    assert line["eval"] == "words" and line["summary"]["scores"]["exact"]["score"] == 1.0
    (tmp_path / "eval_bad.py").write_text(
        "import braintrust\n"
        "braintrust.Eval('bad', data=[{'input': 1}], task=lambda x: 1 / 0, scores=[])\n")
    failed = _cli(tmp_path, "eval_bad.py")
    assert failed.returncode == 1
    assert "ZeroDivisionError" in failed.stderr


def test_sync_lambda_returning_a_coroutine(store: StoreHelper) -> None:
    async def shout(s: str) -> str:
        return s.upper()

    result = braintrust.Eval("coro", data=DATA, task=lambda s: shout(s), scores=[exact],
                             quiet=True, no_send_logs=True)
    assert [r.output for r in result.results] == ["A", "B"]


def test_tasks_taking_hooks_by_keyword_or_not_at_all(store: StoreHelper) -> None:
    def kw_only(input: str, *, hooks: EvalHooks) -> str:
        return f"{input}:{hooks.trial_index}"

    def var_kw(input: str, **kwargs: Any) -> str:
        return f"{input}:{type(kwargs['hooks']).__name__}"

    def plain(input: str) -> str:
        return input

    for task, expected in ((kw_only, "a:0"), (var_kw, "a:EvalHooks"), (plain, "a")):
        result = braintrust.Eval("hooks-kinds", data=[{"input": "a"}], task=task, scores=[],
                                 no_send_logs=True, quiet=True)
        assert result.results[0].error is None, result.results[0].error
        assert result.results[0].output == expected


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_timed_out_case_stays_as_returned(store: StoreHelper, kind: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    scored: list[str] = []

    def sync_task(x: str) -> str:
        time.sleep(0.6)
        return "late"

    async def async_task(x: str) -> str:
        await asyncio.sleep(0.6)
        return "late"

    def scorer(output: str) -> float:
        scored.append(output)
        return 1.0

    with pytest.raises(asyncio.TimeoutError):
        braintrust.Eval("late", data=[{"input": "x"}],
                        task=sync_task if kind == "sync" else async_task,
                        scores=[scorer], timeout=0.1, quiet=True)
    # A sync task's thread cannot be interrupted: Eval waited for it (as the
    # official SDK does), then stopped the case before its scorers.
    assert scored == []
    assert "Failed to detach context" not in capsys.readouterr().err
    rows = _experiment_rows(store, "late")
    task_row = next(r for r in rows if r["span_attributes"]["type"] == "task")
    assert "TimeoutError" in task_row["error"] and "GeneratorExit" not in task_row["error"]
