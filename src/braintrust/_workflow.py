"""Workflow evaluations: an eval whose task or scorers run as provider operations
(batch APIs, queues, humans) that finish after the process that started them.

``WorkflowEval.start`` persists the cases in a store and submits work;
``poll`` (for polled providers) and ``process_submission_result`` (from a
webhook) move a run forward in any later process. Everything a run needs is
in the store; every step is idempotent (claims and leases in the store decide
who does a step), so several processes may move one run.

Rows: each trial is a trace in the experiment, written as merge rows with ids
derived from (run id, trial, stage), so a step logged again by a later
process merges into the same rows instead of adding some. The eval root and
its task and score spans are therefore rows on the short path to the sink,
not OTel spans; spans an ordinary task starts nest under its task row (the
task runs with that row's span context current).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from ._span import safe_str
from ._summary import ExperimentSummary
from ._workflow_run import _Config
from ._workflow_store import WorkflowEvalStore
from ._workflow_trial import _Trials
from ._workflow_types import (
    WorkflowEvalResult,
    WorkflowSubmissionCompletionPoll,
    WorkflowSubmissionContext,
    WorkflowSubmissionPoll,
)
from ._workflow_util import (
    DEFAULT_MAX_CONCURRENCY,
    _as,
    _digest,
    _encode,
    _is_processor,
    _json_value,
    _positive,
    _raise_all,
)

__all__ = ["WorkflowEval", "define_workflow_eval"]

Input = TypeVar("Input")
Output = TypeVar("Output")
Expected = TypeVar("Expected")


class WorkflowEval(Generic[Input, Output, Expected]):
    """A workflow evaluation, made by :func:`define_workflow_eval`.

    Each method is a coroutine that moves a run as far as it can go now and
    returns a :class:`WorkflowEvalWaitingResult` (submissions still out) or a
    :class:`WorkflowEvalCompletedResult` (with the experiment's summary).
    """

    def __init__(self, config: _Config) -> None:
        self._config = config

    async def start(self, parameters: Mapping[str, Any] | None = None, *,
                    no_send_logs: bool = False) -> WorkflowEvalResult:
        """Starts a run: stores its cases, runs ordinary steps, submits the rest.

        Args:
            parameters: Given to tasks (``hooks.parameters``, ``item.parameters``).
            no_send_logs: Log nothing (the summary is computed from the store).

        Returns:
            The run's state; keep ``run_id`` to move it on later.
        """
        return await _Runner(self._config).start(parameters, no_send_logs)

    async def status(self, run_id: str) -> WorkflowEvalResult:
        """The run's state, without moving it.

        Raises:
            ValueError: No such run in the store.
        """
        return await _Runner(self._config).status(run_id)

    async def poll(self, run_id: str) -> WorkflowEvalResult:
        """Asks each polled submission of the run once, collects finished ones,
        retries failed submissions, and moves the run on.

        Raises:
            ValueError: No such run. A provider failure or callback error is
                raised after the other submissions have moved on.
        """
        return await _Runner(self._config).poll(run_id)

    async def process_submission_result(self, run_id: str | None = None, *,
                                        submission_id: str | None = None,
                                        external_id: str | None = None) -> WorkflowEvalResult:
        """Collects one finished submission (from a webhook) and moves its trials on.

        Args:
            run_id: The run; may be omitted with ``external_id``.
            submission_id: The submission (``context.submission_id``).
            external_id: The provider's id (what ``get_external_id`` returned).

        Raises:
            ValueError: Neither id given, or no (or an ambiguous) submission matches.
        """
        return await _Runner(self._config).process_result(run_id, submission_id, external_id)


def define_workflow_eval(
    project_name: str,
    *,
    store: WorkflowEvalStore,
    data: Any,
    task: Any,
    scores: Sequence[Any] | None = None,
    classifiers: Sequence[Any] | None = None,
    case_id: Callable[..., Any] | None = None,
    experiment_name: str | None = None,
    trial_count: int = 1,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    metadata: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    is_public: bool = False,
    project_id: str | None = None,
    base_experiment_name: str | None = None,
    base_experiment_id: str | None = None,
    git_metadata_settings: Any = None,
    repo_info: Any = None,
    description: str | None = None,
    summarize_scores: bool = True,
    parameters: Any = None,
    state: Any = None,
) -> WorkflowEval[Any, Any, Any]:
    """Defines an evaluation that can wait for provider operations between calls.

    The task is a plain task function (as for ``Eval``), a :class:`WorkflowTask`
    (one provider operation per trial) or a :class:`WorkflowBatchTask`; scores
    mix plain scorers with :class:`WorkflowScorer` and
    :class:`WorkflowBatchScorer`. What ``submit`` returns and what ``collect``
    returns must be JSON-able (they are kept in ``store``).

    Args:
        project_name: The project the experiment is logged in.
        store: Where runs are kept: :class:`WorkflowEvalMemoryStore` for one
            process, :class:`WorkflowEvalRedisStore` across processes.
        data: Cases, as for ``Eval`` (each needs an ``id``, or ``case_id``).
        task, scores, classifiers: As above.
        case_id: ``case -> str`` naming cases without an ``id`` (sync or async).
        experiment_name: The experiment's name (default
            ``<experiment or project name>-<run id>``, one per run).
        trial_count, max_concurrency, metadata, tags, is_public, project_id,
        base_experiment_name, base_experiment_id, git_metadata_settings,
        repo_info, description, summarize_scores: As for ``Eval``;
        ``max_concurrency`` bounds the callbacks running at once.
        parameters: Default parameters (a dict), overridden by ``start``'s.
        state: Accepted for the official signature; there is one state here.

    Returns:
        A :class:`WorkflowEval`.

    Raises:
        ValueError: On a bad ``trial_count`` or ``max_concurrency``.
        TypeError: On a bad ``project_name`` or ``store``.
    """
    _positive(trial_count, "trial_count")
    _positive(max_concurrency, "max_concurrency")
    if not isinstance(project_name, str) or not project_name:
        raise TypeError("define_workflow_eval(): project_name must be a non-empty str")
    for method in ("read", "write", "get_or_set", "reserve_batch", "acquire_lease",
                   "release_lease", "add_to_set", "get_set_size"):
        if not callable(getattr(store, method, None)):
            raise TypeError(f"define_workflow_eval(): store has no {method}() (use "
                            "WorkflowEvalMemoryStore or WorkflowEvalRedisStore)")
    if not callable(task) and not _is_processor(task):
        raise TypeError("define_workflow_eval(): task must be a task function, a WorkflowTask "
                        "or a WorkflowBatchTask")
    return WorkflowEval(_Config(
        project_name=project_name, store=store, data=data, task=task,
        scores=list(scores or []), classifiers=list(classifiers or []), case_id=case_id,
        experiment_name=experiment_name, trial_count=trial_count,
        max_concurrency=max_concurrency, metadata=metadata, tags=tags, is_public=is_public,
        project_id=project_id, base_experiment_name=base_experiment_name,
        base_experiment_id=base_experiment_id, git_metadata_settings=git_metadata_settings,
        repo_info=repo_info, description=description, summarize_scores=summarize_scores,
        parameters=parameters))


# -- the runner -----------------------------------------------------------------------------
class _Runner(_Trials):
    """One call's work on one run: starts it, or moves it on from a poll or a webhook."""

    # -- start, status ------------------------------------------------------------------------

    def parameters(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        defaults = self.c.parameters if isinstance(self.c.parameters, Mapping) else {}
        if given is not None and not isinstance(given, Mapping):
            raise TypeError("start(): parameters must be a dict")
        return {**defaults, **(given or {})}

    async def start(self, parameters: Mapping[str, Any] | None,
                    no_send_logs: bool) -> WorkflowEvalResult:
        params = self.parameters(parameters)
        run_id = str(uuid.uuid4())
        run: dict[str, Any] = {
            "run_id": run_id, "status": "running", "no_send_logs": bool(no_send_logs),
            "experiment_name": self.c.experiment_name or f"{self.eval_name}-{run_id}",
            "parameters": _json_value(params), "case_ids": [],
        }
        if not (await self.store.get_or_set(self.key(run_id, "run"), _encode(run))).created:
            raise RuntimeError(f"Workflow evaluation run ID collision: {run_id}")
        experiment = self.experiment(run)
        cases = await self.cases()
        if not self.stages():
            return await self.run_plain(run, cases, params)
        seen: set[str] = set()
        for case in cases:
            cid = case["case_id"]
            if not isinstance(cid, str) or not cid:
                raise ValueError("Every workflow evaluation case must have a non-empty id or "
                                 "be assigned by case_id")
            if cid in seen:
                raise ValueError(f"Workflow evaluation case IDs must be unique; found "
                                 f"duplicate {cid!r}")
            seen.add(cid)
            datum = case["datum"]
            trials = datum.get("trial_count") or self.c.trial_count
            _positive(trials, f"trial_count for case {cid!r}")
            for trial in range(trials):
                item_id = f"{cid}:trial:{trial}"
                run["case_ids"].append(item_id)
                await self.write(self.key(run_id, "case", item_id), {
                    "id": item_id, "case_id": cid, "trial_index": trial,
                    "datum": _json_value(datum)})
        await self.write(self.key(run_id, "run"), run)
        return await self.advance(run, experiment=experiment)

    async def run_plain(self, run: dict[str, Any], cases: list[dict[str, Any]],
                        params: dict[str, Any]) -> WorkflowEvalResult:
        # Nothing waits for a provider: an ordinary Eval, in one call.
        from ._eval import EvalCase, Evaluator, run_evaluator

        c = self.c
        names = {f.name for f in dataclasses.fields(EvalCase)}
        data = [EvalCase(**{k: v for k, v in case["datum"].items() if k in names})
                for case in cases]
        result = await run_evaluator(Evaluator(
            eval_name=c.project_name, data=data, task=c.task, scores=list(c.scores),
            classifiers=list(c.classifiers) or None, experiment_name=run["experiment_name"],
            trial_count=c.trial_count, max_concurrency=c.max_concurrency,
            metadata=dict(c.metadata) if c.metadata is not None else None,
            tags=list(c.tags) if c.tags is not None else None, project_id=c.project_id,
            base_experiment_name=c.base_experiment_name,
            base_experiment_id=c.base_experiment_id, no_send_logs=run["no_send_logs"],
            parameters=params, description=c.description, update=True, quiet=True,
            summarize_scores=c.summarize_scores))
        summary = result.summary or ExperimentSummary(c.project_name, None,
                                                      run["experiment_name"], None)
        return await self.save_completed(run, summary)

    # -- poll and webhooks ------------------------------------------------------------------

    async def poll(self, run_id: str) -> WorkflowEvalResult:
        run = await self.run_record(run_id)
        if run["status"] == "completed":
            return await self.status(run_id)
        # One look at what is out now; work submitted during this call waits for the next.
        records = await self.records(run)

        async def one(record: dict[str, Any]) -> None:
            proc = self.processor(record["stage"])
            status = record["status"]
            if status == "failed":
                await self.retry(run, record, proc)
            elif status == "external_id_pending":
                await self.name_external(run, record, proc)
            elif status == "submitted" and record["mode"] == "poll":
                completion = proc.completion
                assert isinstance(completion, WorkflowSubmissionCompletionPoll)
                context = WorkflowSubmissionContext(run_id, record["id"])
                answer = _as(WorkflowSubmissionPoll,
                             await self.call(completion.poll,
                                             record["submission_data"], context),
                             "Submission poll callback")
                if answer.status == "failed":
                    if isinstance(answer.error, BaseException):
                        raise answer.error
                    raise RuntimeError(safe_str(answer.error))
                if answer.status == "complete":
                    await self.collect(run, record, proc)
                elif answer.status != "pending":
                    raise ValueError(f"Submission poll callback returned unsupported status "
                                     f"{answer.status!r}")

        outcomes = await asyncio.gather(*(one(r) for r in records), return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        try:
            state = await self.advance(run)
        except Exception as exc:
            errors.append(exc)
        if errors:
            _raise_all(errors)
        return state

    async def process_result(self, run_id: str | None, submission_id: str | None,
                             external_id: str | None) -> WorkflowEvalResult:
        if not submission_id and not external_id:
            raise ValueError("process_submission_result requires submission_id or external_id")
        if run_id is None:
            if external_id is None:
                raise ValueError("run_id is required when submission_id is used")
            found = await self.read(self.external_key(external_id))
            if not isinstance(found, dict):
                raise ValueError("No submission matches this external_id")
            run_id = found["run_id"]
            submission_id = submission_id or found["submission_id"]
        run = await self.run_record(run_id)
        if external_id is not None:
            by_external = await self.read(self.key(run_id, "external",
                                                   _digest(external_id)[:32]))
            if submission_id and by_external and submission_id != by_external:
                raise ValueError("submission_id and external_id identify different submissions")
            submission_id = submission_id or by_external
        record = (await self.read(self.submission_key(run_id, submission_id))
                  if submission_id else None)
        if not isinstance(record, dict):
            raise ValueError("No submission matches this result")
        if external_id is not None and record.get("external_id") != external_id:
            raise ValueError("submission_id and external_id identify different submissions")
        if run["status"] == "completed":
            return await self.status(run_id)
        await self.collect(run, record, self.processor(record["stage"]))
        return await self.advance(run, only=record["item_ids"])

    # -- moving a run forward ---------------------------------------------------------------
