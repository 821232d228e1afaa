"""Eval's options as the official SDK (0.48.1) takes and treats them.

The twin test runs one script under the official SDK and under this package
and compares what each recorded, types included (``True`` is not ``1``, ``1``
is not ``1.0``). The others check each option in-process on the embedded store.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import braintrust
from braintrust import EvalCase, EvalHooks, RepoInfo
from braintrust.framework import EvalScorerArgs, set_thread_pool_max_workers
from tests.conftest import StoreHelper
from tests.twin import both, run, spans


def _experiments(store: StoreHelper, project: str) -> list[dict[str, Any]]:
    braintrust.flush()
    proj = store.store.find_project(name=project)
    assert proj is not None
    return store.store.experiments(proj["id"])


def _rows(store: StoreHelper, project: str) -> list[dict[str, Any]]:
    [*_, exp] = _experiments(store, project)
    return [r.data for r in store.store.rows("experiment", exp["id"])]


def _by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["span_attributes"]["name"]: r for r in rows}


OPTIONS = """
import braintrust
from braintrust import Score

def ok(output):
    return True

def two(output):
    return [Score(name="a", score=0.5, metadata={"why": 1}), Score(name="b", score=1)]

def as_dict(output):
    return {"score": 0, "metadata": {"m": "x"}}

def task(x, hooks):
    hooks.tags = [*hooks.tags, "seen"]
    if x == "bad":
        raise ValueError("no")
    return x * 2

def handler(root_span, data, unhandled):
    return {u: 0 for u in unhandled}

started = []
result = braintrust.Eval(
    "opts", [{"input": "ab", "metadata": {"k": 1}, "tags": ["t"]},
             {"input": "bad", "metadata": {"k": 2}}], task, [ok, two, as_dict], None, "e1",
    error_score_handler=handler, on_start=started.append)
good, bad = sorted(result.results, key=lambda r: r.input)
print("RESULT", json.dumps([good.scores, bad.scores, type(bad.error).__name__,
                            bad.exc_info.splitlines()[0], len(started),
                            started[0].experiment_name]))
""".replace("import braintrust\n", "import braintrust, json\n", 1)


def test_options_record_what_the_official_records(tmp_path: Path) -> None:
    official, ours = both(OPTIONS, tmp_path)
    expected = spans(official)
    got = spans(ours)
    # What the official SDK recorded, which the comparison then holds us to:
    [ok_span] = expected["eval/ok"]
    assert ok_span["output"] == {"score": True} and ok_span["scores"] == {"ok": 1}
    assert isinstance(ok_span["scores"]["ok"], int) and ok_span["output"]["score"] is True
    [two_span] = expected["eval/two"]
    assert two_span["output"] == {"a": {"score": 0.5}, "b": {"score": 1}}
    assert two_span["metadata"] == {"a": {"why": 1}, "b": {}}
    failed = [r for r in expected["eval"] if r["input"] == "bad"]
    assert failed[0]["error"] is True and "output" not in failed[0]
    assert "metadata" not in failed[0] and failed[0]["tags"] == ["seen"]
    # The task span's input is logged with its output: a failed task has none.
    assert any(r.get("error") and "input" not in r for r in expected["eval/task"])
    # Types count: json.dumps tells True from 1 and 1 from 1.0.
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_options_results_are_the_officials(tmp_path: Path) -> None:
    from tests.official_sdk import official_python

    try:
        python = str(official_python())
    except RuntimeError as exc:
        pytest.skip(f"the official SDK cannot be installed here: {exc}")
    (tmp_path / "o").mkdir()
    (tmp_path / "u").mkdir()
    import sys

    _, theirs = run(python, OPTIONS, tmp_path / "o")
    _, mine = run(sys.executable, OPTIONS, tmp_path / "u")
    line = next(x for x in theirs.splitlines() if x.startswith("RESULT"))
    assert json.loads(line[7:]) == [{"ok": True, "a": 0.5, "b": 1, "as_dict": 0},
                                    {"ok": 0, "two": 0, "as_dict": 0}, "ValueError",
                                    "Traceback (most recent call last):", 1, "e1"]
    assert next(x for x in mine.splitlines() if x.startswith("RESULT")) == line


def test_options_in_the_official_positions(store: StoreHelper) -> None:
    def scorer(output: Any) -> float:
        return 1.0

    def label(output: Any) -> dict[str, str]:
        return {"id": "x"}

    # name, data, task, scores, classifiers, experiment_name, trial_count, metadata, tags
    result = braintrust.Eval("positional", [{"input": 1}], lambda x: x, [scorer], [label],
                             "named", 2, {"model": "m"}, ["t"], quiet=True)
    assert len(result.results) == 2
    assert result.results[0].classifications == {"label": [{"id": "x"}]}
    [exp] = _experiments(store, "positional")
    assert exp["name"] == "named"


def test_bool_scores_stay_bool_in_results_and_are_1_or_0_in_rows(store: StoreHelper) -> None:
    result = braintrust.Eval("bools", [{"input": 1}, {"input": 2}], lambda x: x,
                             [lambda output: output == 1], quiet=True)
    values = sorted((r.input, r.scores["scorer_0"]) for r in result.results)
    assert values == [(1, True), (2, False)]
    assert all(type(v) is bool for _, v in values)
    rows = [r for r in _rows(store, "bools") if r["span_attributes"]["name"] == "scorer_0"]
    stored = sorted((r["input"]["input"], r["scores"]["scorer_0"], r["output"]["score"])
                    for r in rows)
    assert stored == [(1, 1, True), (2, 0, False)]
    assert all(type(s) is int and type(o) is bool for _, s, o in stored)


def test_on_start_gets_the_experiment_summary_before_cases_run(store: StoreHelper) -> None:
    seen: list[Any] = []

    def on_start(summary: braintrust.ExperimentSummary) -> None:
        seen.append(("start", summary))

    def task(x: int) -> int:
        seen.append(("task", x))
        return x

    braintrust.Eval("starting", [{"input": 1}], task, [lambda output: 1],
                    experiment_name="first", on_start=on_start, quiet=True)
    assert [kind for kind, _ in seen] == ["start", "task"]
    summary = seen[0][1]
    assert isinstance(summary, braintrust.ExperimentSummary)
    assert summary.experiment_name == "first" and summary.project_name == "starting"
    assert summary.scores == {} and summary.experiment_id is not None
    # No experiment (no_send_logs), no on_start, as the official SDK.
    braintrust.Eval("starting", [{"input": 1}], task, [], no_send_logs=True,
                    on_start=on_start, quiet=True)
    assert [kind for kind, _ in seen].count("start") == 1


def test_cancel_event_stops_new_cases_from_starting(store: StoreHelper) -> None:
    cancel = threading.Event()
    ran: list[int] = []

    def task(x: int) -> int:
        ran.append(x)
        cancel.set()  # the first case cancels the run
        return x

    with pytest.raises(asyncio.CancelledError, match="Evaluator cancelled"):
        braintrust.Eval("cancelling", [{"input": i} for i in range(6)], task, [],
                        max_concurrency=1, cancel_event=cancel, quiet=True)
    assert ran == [0]
    roots = [r for r in _rows(store, "cancelling") if r["span_attributes"]["type"] == "eval"]
    assert len(roots) == 1  # the case that ran; none started after the cancel


def test_stream_events_carry_the_evaluator_name_as_the_official(store: StoreHelper) -> None:
    events: list[dict[str, Any]] = []

    def task(x: str, hooks: EvalHooks) -> str:
        hooks.report_progress({"event": "text_delta", "data": x})
        return x

    braintrust.Eval("streamed", [{"input": "a"}], task, [], experiment_name="run1",
                    stream=events.append, quiet=True)
    assert [e["name"] for e in events] == ["streamed [experiment_name=run1]"]


def test_no_send_logs_prints_a_local_summary_and_stores_nothing(
    store: StoreHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    result = braintrust.Eval("local-only", [{"input": 1}, {"input": 2}], lambda x: x,
                             [lambda output: output == 1], no_send_logs=True,
                             summarize_scores=False)
    assert result.summary is not None
    assert result.summary.project_name == "local-only"
    assert result.summary.experiment_name == "local-only"
    assert result.summary.scores["scorer_0"].score == 0.5  # the official's local summary too
    assert "50.00% 'scorer_0' score" in capsys.readouterr().out
    assert store.store.find_project(name="local-only") is None


def test_summarize_scores_false_skips_the_score_summary(store: StoreHelper) -> None:
    result = braintrust.Eval("unsummarized", [{"input": 1}], lambda x: x,
                             [lambda output: 1], summarize_scores=False, quiet=True)
    assert result.summary is not None and result.summary.scores == {}
    assert result.summary.skipped_reason is not None
    assert result.results[0].scores == {"scorer_0": 1}


def test_update_continues_the_named_experiment(store: StoreHelper) -> None:
    for i in (1, 2):
        braintrust.Eval("updating", [{"input": i}], lambda x: x, [], experiment_name="same",
                        update=True, quiet=True)
    [exp] = _experiments(store, "updating")
    roots = [r for r in _rows(store, "updating") if r["span_attributes"]["type"] == "eval"]
    assert sorted(r["input"] for r in roots) == [1, 2] and exp["name"] == "same"


def test_reporter_is_told_verbosely_even_when_quiet(store: StoreHelper) -> None:
    calls: list[tuple[str, bool, bool]] = []

    def report_eval(evaluator: Any, result: Any, verbose: bool, jsonl: bool) -> str:
        calls.append((evaluator.eval_name, verbose, jsonl))
        return "report"

    reporter = braintrust.Reporter("mine", report_eval=report_eval)
    braintrust.Eval("reported", [{"input": 1}], lambda x: x, [], reporter=reporter,
                    quiet=True)
    assert calls == [("reported", True, False)]
    with pytest.raises(ValueError, match="not a name"):
        braintrust.Eval("reported", [{"input": 1}], lambda x: x, [],
                        reporter="mine")  # type: ignore[arg-type]


def test_error_score_handler_scores_a_failed_task(store: StoreHelper) -> None:
    calls: list[Any] = []

    def handler(root_span: Any, case: EvalCase, unhandled: list[str]) -> dict[str, int]:
        calls.append((case.input, unhandled))
        root_span.log(scores={u: 0 for u in unhandled})
        return {u: 0 for u in unhandled}

    def exact(output: Any) -> float:
        return 1.0

    def task(x: int) -> int:
        raise RuntimeError("down")

    result = braintrust.Eval("handled", [{"input": 1}], task, [exact],
                             error_score_handler=handler, quiet=True)
    assert calls == [(1, ["exact"])]
    assert result.results[0].scores == {"exact": 0}
    [root] = [r for r in _rows(store, "handled") if r["span_attributes"]["type"] == "eval"]
    assert root["scores"] == {"exact": 0} and "down" in root["error"]


def test_a_failing_classifier_is_recorded_on_the_case(store: StoreHelper) -> None:
    def broken(output: Any) -> Any:
        raise KeyError("nope")

    result = braintrust.Eval("classified", [{"input": 1}], lambda x: x, [],
                             classifiers=[broken], quiet=True)
    errors = result.results[0].metadata["classifier_errors"]
    assert errors["broken"].startswith("Traceback") and "KeyError" in errors["broken"]
    [root] = [r for r in _rows(store, "classified") if r["span_attributes"]["type"] == "eval"]
    assert root["metadata"]["classifier_errors"]["broken"] == errors["broken"]


def test_experiment_options_reach_the_experiment(store: StoreHelper) -> None:
    braintrust.Eval("described", [{"input": 1}], lambda x: x, [], experiment_name="x",
                    description="about", is_public=True, enable_cache=False,
                    repo_info=RepoInfo(commit="abc123", branch="main"), quiet=True)
    [exp] = _experiments(store, "described")
    assert exp["description"] == "about"
    assert exp["repo_info"]["commit"] == "abc123" and exp["public"] is True


def test_thread_pool_max_workers_bounds_every_eval(store: StoreHelper) -> None:
    from braintrust._eval_run import _reset_thread_pool

    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def task(x: int) -> int:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return x

    with pytest.raises(ValueError, match="at least 1"):
        set_thread_pool_max_workers(0)
    set_thread_pool_max_workers(2)
    try:
        async def two_evals() -> None:
            await asyncio.gather(*(braintrust.EvalAsync(
                f"pooled{i}", [{"input": n} for n in range(8)], task, [],
                max_concurrency=8, no_send_logs=True, quiet=True) for i in range(2)))

        asyncio.run(two_evals())
        # Two evals of 8 cases each, each allowed 8 at once: 2 threads in all.
        assert state["peak"] == 2
    finally:
        _reset_thread_pool()


def test_parameter_values_are_what_the_task_gets(store: StoreHelper) -> None:
    from braintrust._eval import collect, run_collected

    seen: list[Any] = []

    def task(x: int, hooks: EvalHooks) -> int:
        seen.append(hooks.parameters)
        return x

    [ev] = collect(lambda: braintrust.Eval("params", [{"input": 1}], task, [],
                                           parameters={"model": "default"}, quiet=True))
    assert ev.project_name == "params" and ev.eval_name == "params"
    ev.parameter_values = {"model": "chosen"}
    ev.no_send_logs = True
    run_collected(ev)
    assert seen == [{"model": "chosen"}]


def test_collected_evaluators_are_named_as_the_official(store: StoreHelper) -> None:
    from braintrust._eval import collect

    def declare() -> None:
        for _ in range(2):
            braintrust.Eval("proj", [{"input": 1}], lambda x: x, [], experiment_name="e")

    names = [ev.eval_name for ev in collect(declare)]
    assert names == ["proj [experiment_name=e]", "proj [experiment_name=e]_1"]


def test_eval_scorer_args_and_state() -> None:
    args = EvalScorerArgs(input=1, output=2)
    assert args.as_dict() == {"input": 1, "output": 2, "expected": None, "metadata": None,
                              "id": None, "tags": None}
    with pytest.raises(TypeError, match="BraintrustState"):
        braintrust.Eval("s", [{"input": 1}], lambda x: x, [], state=object())


def test_a_case_the_span_api_refuses_fails_alone(store: StoreHelper) -> None:
    # Tags must be strings: that case fails, with a message; the others run.
    result = braintrust.Eval("refused", [{"input": 1, "tags": [5]}, {"input": 2}],
                             lambda x: x, [], quiet=True)
    by_input = {r.input: r for r in result.results}
    assert isinstance(by_input[1].error, TypeError) and "tags" in str(by_input[1].error)
    assert by_input[2].error is None and by_input[2].output == 2


def test_the_default_reporter_reports_failures_as_the_official(
    store: StoreHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    def task(x: int) -> int:
        raise ZeroDivisionError("by zero")

    braintrust.Eval("reporting", [{"input": 1}, {"input": 2}], task, [], experiment_name="r")
    err = capsys.readouterr().err
    assert "Evaluator reporting [experiment_name=r] failed with 2 errors" in err
    # Eval reports verbosely: the tracebacks, not only their last lines.
    assert err.count("Traceback (most recent call last)") == 2


def test_data_may_be_a_class_of_iterables(store: StoreHelper) -> None:
    class Cases:
        def __iter__(self) -> Any:
            return iter([{"input": 1}, {"input": 2}])

    result = braintrust.Eval("classy", Cases, lambda x: x * 10, [], no_send_logs=True,
                             quiet=True)
    assert sorted(r.output for r in result.results) == [10, 20]


def test_a_dataset_as_data_is_the_experiments_dataset(store: StoreHelper) -> None:
    ds = braintrust.init_dataset(project="linked", name="cases")
    record = ds.insert(input="a", expected="A")
    ds.flush()
    braintrust.Eval("linked", ds, str.upper, [], quiet=True)
    [exp] = _experiments(store, "linked")
    assert exp["dataset_id"] == ds.id and exp.get("dataset_version")
    [root] = [r for r in _rows(store, "linked") if r["span_attributes"]["type"] == "eval"]
    assert root["origin"]["object_type"] == "dataset"
    assert root["origin"]["object_id"] == ds.id and root["origin"]["id"] == record


def test_a_malformed_origin_is_left_out_as_the_official(store: StoreHelper) -> None:
    good = {"object_type": "dataset", "object_id": "d1", "id": "r1", "_xact_id": "7"}
    bad = {"object_type": "spreadsheet", "object_id": "d1", "id": "r2"}
    result = braintrust.Eval("origins", [EvalCase(input=1, origin=good),
                                         EvalCase(input=2, origin=bad)], lambda x: x, [],
                             quiet=True)
    assert sorted((r.input, r.origin) for r in result.results) == [(1, good), (2, None)]
    roots = {r["input"]: r for r in _rows(store, "origins")
             if r["span_attributes"]["type"] == "eval"}
    assert roots[1]["origin"] == good and "origin" not in roots[2]


def test_saved_parameters_reach_the_task_and_the_experiment(store: StoreHelper) -> None:
    from braintrust import RemoteEvalParameters

    saved = RemoteEvalParameters(id="params-1", project_id=None, name="knobs", slug="knobs",
                                 version="7", schema={"type": "object"},
                                 data={"temperature": 0.2})
    seen: list[Any] = []

    def task(x: int, hooks: EvalHooks) -> int:
        seen.append(hooks.parameters)
        return x

    braintrust.Eval("knobbed", [{"input": 1}], task, [], parameters=saved, quiet=True)
    assert seen == [{"temperature": 0.2}]
    [exp] = _experiments(store, "knobbed")
    assert exp["parameters_id"] == "params-1" and exp["parameters_version"] == "7"
