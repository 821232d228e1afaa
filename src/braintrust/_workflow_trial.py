"""Workflow evals: moving a run forward, trial by trial: ordinary tasks and
scorers, classifiers, the rows of each stage, and the run's summary."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from . import _state
from ._eval_case import hooks_mode
from ._span import safe_str
from ._summary import CaseStats, ExperimentSummary, input_key, summarize_cases
from ._workflow_rows import _Rows
from ._workflow_submit import _Submissions
from ._workflow_types import (
    WorkflowEvalResult,
)
from ._workflow_util import (
    _bind,
    _classes_of,
    _digest,
    _grouped,
    _is_processor,
    _json_value,
    _raise_all,
    _scores_of,
)


class _Trials(_Submissions):
    """Advances each trial as far as it can go now and finalizes a finished run."""

    async def advance(self, run: Mapping[str, Any], *, experiment: Any = None,
                      only: Sequence[str] | None = None) -> WorkflowEvalResult:
        run = await self.run_record(run["run_id"])
        run_id = run["run_id"]
        if run["status"] == "completed":
            return await self.status(run_id)
        if len(set(self.score_names)) != len(self.score_names):
            raise ValueError("Workflow evaluation scorer names must be unique")
        if len(set(self.class_names)) != len(self.class_names):
            raise ValueError("Workflow evaluation classifier names must be unique")
        if experiment is None:
            experiment = self.experiment(run)
        items = list(only) if only is not None else list(run["case_ids"])
        errors: list[BaseException] = []

        async def each_case() -> None:
            outcomes = await asyncio.gather(*(self.advance_case(run, i, experiment)
                                              for i in items), return_exceptions=True)
            errors.extend(o for o in outcomes if isinstance(o, BaseException))

        if self.task_proc is not None:
            await self.schedule(run, "task", self.task_proc)
        await each_case()
        for stage, proc in self.stages():
            if stage != "task":
                try:
                    await self.schedule(run, stage, proc)
                except Exception as exc:
                    errors.append(exc)
        # Logs results that arrived and trials whose scorers were all plain.
        await each_case()
        if errors:
            _raise_all(errors)
        done = await self.store.get_set_size(self.key(run_id, "progress", "cases"))
        if done != len(run["case_ids"]):
            return await self.waiting(run)
        if not await self.claim(run_id, "finalize"):
            return await self.status(run_id)
        return await self.save_completed(run, await self.summary(run, experiment))

    async def advance_case(self, run: Mapping[str, Any], item_id: str, experiment: Any) -> bool:
        run_id = run["run_id"]
        case = await self.case(run_id, item_id)
        rows = _Rows(experiment.parent, run_id, item_id) if experiment is not None else None
        logged_key = self.key(run_id, "logged", "task", item_id)
        task = await self.task_result(run_id, item_id)
        ran = False
        if task is None:
            if self.task_proc is not None or not await self.claim(run_id, f"task:{item_id}"):
                return False
            task, ran = await self.run_task(run, case, rows), True
        if await self.store.read(logged_key) is None:
            if rows is not None:
                if not ran:  # a task result from a provider, or a run cut short before
                    self.log_task(rows, run, case, task, opened=False)
                await self.deliver()
            await self.write(logged_key, True)
        complete = True
        if task.get("error") is None:
            for scorer, name in zip(self.scorers, self.score_names):
                complete &= await self.score(run, case, task, rows, experiment, scorer, name)
            for classifier, name in zip(self.c.classifiers, self.class_names):
                complete &= await self.classify(run, case, task, rows, experiment, classifier,
                                                name)
        if complete:
            await self.store.add_to_set(self.key(run_id, "progress", "cases"), item_id)
        return complete

    def root_fields(self, run: Mapping[str, Any], case: Mapping[str, Any]) -> dict[str, Any]:
        datum = case["datum"]
        fields: dict[str, Any] = {
            "input": datum.get("input"), "expected": datum.get("expected"),
            "metadata": {**(datum.get("metadata") or {}), "workflow_eval": {
                "run_id": run["run_id"], "case_id": case["case_id"],
                "trial_index": case["trial_index"]}}}
        if datum.get("tags") is not None:
            fields["tags"] = datum["tags"]
        if datum.get("origin") is not None:
            fields["origin"] = datum["origin"]
        return fields

    def log_task(self, rows: _Rows, run: Mapping[str, Any], case: Mapping[str, Any],
                 task: Mapping[str, Any], opened: bool) -> None:
        """The root and task rows of a trial whose task result is known (merges, so
        writing them again changes nothing)."""
        if not opened:
            rows.open("root", "eval", "eval", self.root_fields(run, case))
            rows.open("task", "task", "task", {"input": case["datum"].get("input")})
        if task.get("error") is not None:
            rows.close("task", {"error": task["error"]})
            rows.close("root", {"error": task["error"]})
        else:
            rows.close("task", {"output": task["output"]})
            end: dict[str, Any] = {"output": task["output"], "metadata": task["metadata"]}
            if task.get("tags") is not None:
                # The official SDK's root span unions the tags it was opened with and
                # the result's (its merges of one span's logs union tags).
                end["tags"] = list(dict.fromkeys([*(case["datum"].get("tags") or []),
                                                  *task["tags"]]))
            rows.close("root", end)

    async def run_task(self, run: Mapping[str, Any], case: Mapping[str, Any],
                       rows: Optional[_Rows]) -> dict[str, Any]:
        """Runs an ordinary task function, its spans nesting under the task row."""
        from ._eval import EvalCase, EvalHooks
        from ._span import NOOP_SPAN

        datum = case["datum"]
        span = rows.span("task") if rows is not None else NOOP_SPAN
        if rows is not None:
            rows.open("root", "eval", "eval", self.root_fields(run, case))
            rows.open("task", "task", "task", {"input": datum.get("input")})
        hooks = EvalHooks(EvalCase(input=datum.get("input"), expected=datum.get("expected"),
                                   metadata=datum.get("metadata"), tags=datum.get("tags")),
                          span, run.get("parameters") or {}, case["trial_index"])
        mode = hooks_mode(self.c.task)
        args = (datum.get("input"), hooks) if mode == "positional" else (datum.get("input"),)
        kwargs = {"hooks": hooks} if mode == "keyword" else {}
        try:
            with span:
                output = await self.call(self.c.task, *args, **kwargs)
            result: dict[str, Any] = {"output": _json_value(output),
                                      "metadata": _json_value(hooks.metadata),
                                      "tags": list(hooks.tags) or None}
        except Exception as exc:
            print(f"WorkflowEval: task failed for {case['id']!r}: {type(exc).__name__}: "
                  f"{safe_str(exc)}", file=sys.stderr)
            result = {"output": None, "metadata": {}, "tags": None,
                      "error": f"{type(exc).__name__}: {safe_str(exc)}"}
        await self.write(self.key(run["run_id"], "task", case["id"]), result)
        if rows is not None:
            self.log_task(rows, run, case, result, opened=True)
        return result

    def scorer_args(self, case: Mapping[str, Any], task: Mapping[str, Any]) -> dict[str, Any]:
        datum = case["datum"]
        return {"input": datum.get("input"), "output": task["output"],
                "expected": datum.get("expected"), "metadata": task["metadata"],
                "id": case["case_id"], "tags": task.get("tags")}

    def trace(self, experiment: Any, rows: Optional[_Rows]) -> Any:
        if experiment is None or rows is None:
            return None
        from ._experiment import rows_of
        from ._trace import EvalTrace

        def read() -> list[dict[str, Any]]:
            _state.deliver()
            return rows_of(experiment.id)

        return EvalTrace("experiment", experiment.id, rows.ids("root")[2], read)

    async def score(self, run: Mapping[str, Any], case: Mapping[str, Any],
                    task: Mapping[str, Any], rows: Optional[_Rows], experiment: Any,
                    scorer: Any, name: str) -> bool:
        run_id, item_id = run["run_id"], case["id"]
        stage = f"score:{name}"
        key = self.result_key(run_id, stage, item_id)
        result = await self.read(key)
        if result is None:
            if _is_processor(scorer):
                return False  # collected by poll or a webhook
            if not await self.claim(run_id, f"{stage}:{item_id}"):
                return False
            offered = {**self.scorer_args(case, task), "trace": self.trace(experiment, rows)}
            try:
                raw = await self.call(scorer, **_bind(scorer, offered))
                result = {"scores": _json_value(_scores_of(name, raw))}
            except Exception as exc:
                print(f"WorkflowEval: scorer {name!r} failed for {item_id!r}: "
                      f"{type(exc).__name__}: {safe_str(exc)}", file=sys.stderr)
                result = {"error": f"{type(exc).__name__}: {safe_str(exc)}"}
            await self.write(key, result)
        logged_key = self.key(run_id, "logged", _digest(stage)[:32], item_id)
        if await self.store.read(logged_key) is None:
            if rows is not None:
                rows.open(stage, name, "score", {"input": self.scorer_args(case, task)})
                if result.get("error") is not None:
                    rows.close(stage, {"error": result["error"]})
                    rows.write("root", {"metadata": {"scorer_errors": {name: result["error"]}}})
                else:
                    scores = result["scores"]
                    values = {s["name"]: s["score"] for s in scores}
                    meta = _grouped(scores, lambda s: s.get("metadata") or {}) if scores else None
                    rows.close(stage, {"output": _grouped(scores, lambda s: {"score": s["score"]})
                                       if scores else {}, "scores": values, "metadata": meta})
                    if values:
                        rows.write("root", {"scores": values})
                await self.deliver()
            await self.write(logged_key, True)
        return True

    async def classify(self, run: Mapping[str, Any], case: Mapping[str, Any],
                       task: Mapping[str, Any], rows: Optional[_Rows], experiment: Any,
                       classifier: Any, name: str) -> bool:
        run_id, item_id = run["run_id"], case["id"]
        stage = f"classifier:{name}"
        key = self.result_key(run_id, stage, item_id)
        result = await self.read(key)
        if result is None:
            if not await self.claim(run_id, f"{stage}:{item_id}"):
                return False
            offered = {**self.scorer_args(case, task), "trace": self.trace(experiment, rows)}
            try:
                result = {"classes": _classes_of(
                    name, await self.call(classifier, **_bind(classifier, offered)))}
            except Exception as exc:
                result = {"error": f"{type(exc).__name__}: {safe_str(exc)}"}
            await self.write(key, result)
        logged_key = self.key(run_id, "logged", _digest(stage)[:32], item_id)
        if await self.store.read(logged_key) is None:
            if rows is not None:
                rows.open(stage, name, "classifier", {"input": self.scorer_args(case, task)})
                if result.get("error") is not None:
                    rows.close(stage, {"error": result["error"]})
                elif result["classes"]:
                    classes = result["classes"]

                    def item(c: dict[str, Any]) -> dict[str, Any]:
                        return {k: v for k, v in c.items() if k != "name"}

                    meta = [c["metadata"] for c in classes if c.get("metadata") is not None]
                    rows.close(stage, {"output": _grouped(classes, item),
                                       "metadata": meta[0] if len(classes) == 1 and meta
                                       else None})
                    grouped: dict[str, list[Any]] = {}
                    for c in classes:
                        grouped.setdefault(c["name"], []).append(item(c))
                    rows.write("root", {"classifications": grouped})
                else:
                    rows.close(stage, {"output": {}})
                await self.deliver()
            await self.write(logged_key, True)
        return True

    # -- the end --------------------------------------------------------------------------------

    async def summary(self, run: Mapping[str, Any], experiment: Any) -> ExperimentSummary:
        if experiment is not None:
            return await asyncio.get_running_loop().run_in_executor(
                None, lambda: experiment.summarize(
                    summarize_scores=self.c.summarize_scores,
                    comparison_experiment_id=self.c.base_experiment_id))
        stats = []
        for item_id in run["case_ids"]:
            case = await self.case(run["run_id"], item_id)
            task = await self.task_result(run["run_id"], item_id) or {}
            scores: dict[str, Optional[float]] = {}
            for name in self.score_names:
                found = await self.read(self.result_key(run["run_id"], f"score:{name}",
                                                        item_id))
                for s in (found or {}).get("scores") or []:
                    scores[s["name"]] = s["score"]
            stats.append(CaseStats(input_key(case["datum"].get("input")), scores, {},
                                   error=task.get("error") is not None))
        score_summaries, metrics = (summarize_cases(stats) if self.c.summarize_scores
                                    else ({}, {}))
        return ExperimentSummary(self.c.project_name, None, run["experiment_name"], None,
                                 scores=score_summaries, metrics=metrics,
                                 errors=sum(1 for s in stats if s.error),
                                 skipped_reason=None if self.c.summarize_scores
                                 else "Score summarization was disabled")

