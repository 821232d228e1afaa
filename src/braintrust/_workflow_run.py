"""Workflow evals: the run's state in the store (keys, claims, the run record,
its cases and the items given to callbacks) and the callback caller."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import inspect
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from typing import Any, Optional

from . import _state
from ._summary import ExperimentSummary
from ._workflow_store import WorkflowEvalStore
from ._workflow_types import (
    WorkflowBatchScorer,
    WorkflowEvalCompletedResult,
    WorkflowEvalPending,
    WorkflowEvalResult,
    WorkflowEvalWaitingResult,
    WorkflowScorer,
    WorkflowScorerItem,
    WorkflowTaskItem,
)
from ._workflow_util import (
    _PREFIX,
    _decode,
    _digest,
    _encode,
    _is_async,
    _is_processor,
    _json_value,
    _name_of,
    _Processor,
)


@dataclasses.dataclass(frozen=True)
class _Config:
    project_name: str
    store: WorkflowEvalStore
    data: Any
    task: Any
    scores: list[Any]
    classifiers: list[Any]
    case_id: Optional[Callable[..., Any]]
    experiment_name: Optional[str]
    trial_count: int
    max_concurrency: int
    metadata: Optional[Mapping[str, Any]]
    tags: Optional[Sequence[str]]
    is_public: bool
    project_id: Optional[str]
    base_experiment_name: Optional[str]
    base_experiment_id: Optional[str]
    git_metadata_settings: Any
    repo_info: Any
    description: Optional[str]
    summarize_scores: bool
    parameters: Any

class _RunState:
    """One call's work on one run: reads and writes the store, calls the callbacks."""

    def __init__(self, config: _Config) -> None:
        self.c = config
        self.store = config.store
        self.sem = asyncio.Semaphore(config.max_concurrency)
        self.eval_name = config.experiment_name or config.project_name
        self.definition = _digest(config.project_name, self.eval_name)[:32]
        task = config.task
        self.task_proc: Optional[_Processor] = task if _is_processor(task) else None
        self.scorers = [s() if inspect.isclass(s) and not _is_processor(s) else s
                        for s in config.scores]
        self.score_names = [s.name if isinstance(s, (WorkflowScorer, WorkflowBatchScorer))
                            else _name_of(s, i, "scorer")
                            for i, s in enumerate(self.scorers)]
        self.class_names = [_name_of(c, i, "classifier") for i, c in enumerate(config.classifiers)]

    # keys: every key of a run carries {run_id}, so a Redis Cluster keeps a run in one slot
    def key(self, run_id: str, *parts: str) -> str:
        return "/".join((_PREFIX, self.definition, "{" + run_id + "}", *parts))

    def external_key(self, external_id: str) -> str:
        return "/".join((_PREFIX, self.definition, "external", _digest(external_id)[:32]))

    async def read(self, key: str) -> Any:
        raw = await self.store.read(key)
        return None if raw is None else _decode(raw)

    async def write(self, key: str, value: Any) -> None:
        await self.store.write(key, _encode(value))

    async def claim(self, run_id: str, action: str) -> bool:
        return (await self.store.get_or_set(self.key(run_id, "claim", action), b"1")).created

    async def run_record(self, run_id: str) -> dict[str, Any]:
        if not isinstance(run_id, str) or not run_id:
            raise TypeError("run_id must be a non-empty str")
        run = await self.read(self.key(run_id, "run"))
        if not isinstance(run, dict):
            raise ValueError(f"Unknown workflow evaluation run {run_id!r}")
        return run

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Calls a user callback (sync ones on a thread, in this context) under the
        concurrency bound."""
        async with self.sem:
            if _is_async(fn):
                result = await fn(*args, **kwargs)
            else:
                ctx = contextvars.copy_context()
                result = await asyncio.get_running_loop().run_in_executor(
                    None, lambda: ctx.run(fn, *args, **kwargs))
            if inspect.isawaitable(result):
                result = await result
            return result

    async def deliver(self) -> None:
        # Rows reach the sink before the store says they were logged.
        await asyncio.get_running_loop().run_in_executor(None, _state.deliver)

    # stages: "task" and "score:<name>" for provider-run steps
    def stages(self) -> list[tuple[str, _Processor]]:
        found: list[tuple[str, _Processor]] = []
        if self.task_proc is not None:
            found.append(("task", self.task_proc))
        for scorer, name in zip(self.scorers, self.score_names):
            if _is_processor(scorer):
                found.append((f"score:{name}", scorer))
        return found

    def processor(self, stage: str) -> _Processor:
        for name, proc in self.stages():
            if name == stage:
                return proc
        raise ValueError(f"This workflow evaluation has no step {stage!r} (was it "
                         "defined differently when the run started?)")

    # -- experiment and data ---------------------------------------------------------------

    def experiment(self, run: Mapping[str, Any]) -> Any:
        if run["no_send_logs"]:
            return None
        from ._dataset import Dataset
        from ._experiment import init

        c = self.c
        return init(project=c.project_name if c.project_id is None else None,
                    project_id=c.project_id, experiment=run["experiment_name"],
                    description=c.description, metadata=c.metadata,
                    tags=list(c.tags) if c.tags is not None else None, is_public=c.is_public,
                    base_experiment=c.base_experiment_name,
                    base_experiment_id=c.base_experiment_id,
                    git_metadata_settings=c.git_metadata_settings, repo_info=c.repo_info,
                    dataset=c.data if isinstance(c.data, Dataset) else None,
                    update=True, set_current=False)

    async def cases(self) -> list[dict[str, Any]]:
        from ._compat import BaseExperiment, open_experiment
        from ._dataset import Dataset
        from ._eval import EvalCase

        data = self.c.data
        dataset_id = data.id if isinstance(data, Dataset) else None
        if data is BaseExperiment:
            data = BaseExperiment()
        if isinstance(data, BaseExperiment):
            base = open_experiment(self.c.project_name if self.c.project_id is None else None,
                                   self.c.project_id, data.name)
            data = list(base.as_dataset())
        elif callable(data) and not isinstance(data, Dataset):
            data = await self.call(data)
        if inspect.isawaitable(data):
            data = await data
        items = [x async for x in data] if isinstance(data, AsyncIterable) else list(data)
        cases = []
        for index, item in enumerate(items):
            if isinstance(item, EvalCase):
                datum = dataclasses.asdict(item)
            elif isinstance(item, Mapping):
                if "input" not in item:
                    raise ValueError(f"case {index} has no 'input' (keys: {sorted(item)})")
                datum = dict(item)
            else:
                raise ValueError(f"case {index} is a {type(item).__name__}; a case is a dict "
                                 "with 'input' or an EvalCase")
            if (dataset_id and isinstance(datum.get("id"), str)
                    and isinstance(datum.get("_xact_id"), str)):
                datum["origin"] = {"object_type": "dataset", "object_id": dataset_id,
                                   "id": datum["id"], "_xact_id": datum["_xact_id"],
                                   **({"created": datum["created"]}
                                      if isinstance(datum.get("created"), str) else {})}
            case_id = datum.get("id")
            if not case_id and self.c.case_id is not None:
                case_id = await self.call(self.c.case_id, item)
            cases.append((case_id, datum))
        return [{"case_id": cid, "datum": d} for cid, d in cases]

    async def save_completed(self, run: Mapping[str, Any],
                             summary: ExperimentSummary) -> WorkflowEvalCompletedResult:
        done = {**run, "status": "completed", "summary": _json_value(dataclasses.asdict(summary))}
        await self.write(self.key(run["run_id"], "run"), done)
        return WorkflowEvalCompletedResult(run["run_id"], WorkflowEvalPending(0, 0), summary)

    async def status(self, run_id: str) -> WorkflowEvalResult:
        run = await self.run_record(run_id)
        if run["status"] == "completed":
            return WorkflowEvalCompletedResult(run_id, WorkflowEvalPending(0, 0),
                                               ExperimentSummary.from_dict_deep(run["summary"]))
        return await self.waiting(run)

    async def waiting(self, run: Mapping[str, Any]) -> WorkflowEvalWaitingResult:
        counts = {}
        for mode in ("poll", "webhook"):
            out = await self.store.get_set_size(self.key(run["run_id"], "progress", mode, "out"))
            done = await self.store.get_set_size(self.key(run["run_id"], "progress", mode,
                                                          "done"))
            counts[mode] = out - done
        return WorkflowEvalWaitingResult(run["run_id"],
                                         WorkflowEvalPending(counts["poll"], counts["webhook"]))

    # -- items given to callbacks -------------------------------------------------------------

    async def case(self, run_id: str, item_id: str) -> dict[str, Any]:
        case = await self.read(self.key(run_id, "case", item_id))
        if not isinstance(case, dict):
            raise ValueError(f"Unknown workflow evaluation case {item_id!r} for run {run_id!r}")
        return case

    async def task_result(self, run_id: str, item_id: str) -> Optional[dict[str, Any]]:
        return await self.read(self.key(run_id, "task", item_id))  # type: ignore[no-any-return]

    async def item(self, run: Mapping[str, Any], kind: str, item_id: str) -> Any:
        case = await self.case(run["run_id"], item_id)
        datum = case["datum"]
        if kind == "task":
            return WorkflowTaskItem(id=item_id, input=datum.get("input"),
                                    expected=datum.get("expected"),
                                    metadata=dict(datum.get("metadata") or {}),
                                    tags=datum.get("tags"), parameters=run.get("parameters"),
                                    trial_index=case["trial_index"])
        task = await self.task_result(run["run_id"], item_id)
        if task is None:
            raise ValueError(f"trial {item_id!r} has no task result to score")
        return WorkflowScorerItem(id=item_id, input=datum.get("input"), output=task["output"],
                                  expected=datum.get("expected"), metadata=dict(task["metadata"]),
                                  tags=task.get("tags"), trial_index=case["trial_index"])

    # -- submissions ---------------------------------------------------------------------------

    def submission_key(self, run_id: str, submission_id: str) -> str:
        return self.key(run_id, "submission", submission_id)

    def link_key(self, run_id: str, stage: str, item_id: str) -> str:
        return self.key(run_id, "link", stage, item_id)

    def result_key(self, run_id: str, stage: str, item_id: str) -> str:
        # Score names are user text: hashed into the key.
        return self.key(run_id, "result", _digest(stage)[:32], item_id)
