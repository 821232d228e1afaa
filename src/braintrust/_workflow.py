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
import contextvars
import dataclasses
import datetime
import hashlib
import inspect
import json
import sys
import time
import uuid
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from typing import Any, Generic, Optional, TypeVar, Union

from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from typing_extensions import TypeGuard

from braintrust_otel import diagnostics
from braintrust_otel.ids import row_id
from braintrust_otel.masking import mask_row
from braintrust_otel.serialize import dumps

from . import _state
from ._span import Span, safe_str
from ._summary import CaseStats, ExperimentSummary, input_key, summarize_cases
from ._workflow_store import WorkflowEvalStore
from ._workflow_types import (
    WorkflowBatchItem,
    WorkflowBatchItemResult,
    WorkflowBatchScorer,
    WorkflowBatchTask,
    WorkflowEvalCompletedResult,
    WorkflowEvalPending,
    WorkflowEvalResult,
    WorkflowEvalWaitingResult,
    WorkflowScorer,
    WorkflowScorerItem,
    WorkflowScorerResult,
    WorkflowSubmissionCompletionPoll,
    WorkflowSubmissionCompletionWebhook,
    WorkflowSubmissionContext,
    WorkflowSubmissionPoll,
    WorkflowTask,
    WorkflowTaskItem,
    WorkflowTaskResult,
)

__all__ = ["WorkflowEval", "define_workflow_eval"]

Input = TypeVar("Input")
Output = TypeVar("Output")
Expected = TypeVar("Expected")

DEFAULT_MAX_CONCURRENCY = 10
#: How long a submitter holds a submission before another process may retry it.
LEASE_TTL_MS = 5 * 60 * 1000
_PREFIX = "braintrust-otel/workflow-eval/v1"

_Processor = Union[WorkflowTask[Any, Any, Any, Any], WorkflowBatchTask[Any, Any, Any, Any],
                   WorkflowScorer[Any, Any, Any, Any], WorkflowBatchScorer[Any, Any, Any, Any]]


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


def _positive(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer")


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


# -- small pure helpers -------------------------------------------------------------------

def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _encode(value: Any) -> bytes:
    return dumps(value).encode("utf-8")


def _decode(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"))


def _json_value(value: Any) -> Any:
    """``value`` as it will be read back from the store (JSON round trip)."""
    return _decode(_encode(value))


def _now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _is_processor(value: Any) -> TypeGuard[_Processor]:
    return isinstance(value, (WorkflowTask, WorkflowBatchTask, WorkflowScorer,
                              WorkflowBatchScorer))


def _is_async(fn: Any) -> bool:
    call = None if inspect.isroutine(fn) else type(fn).__dict__.get("__call__")
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)


def _name_of(fn: Any, index: int, prefix: str) -> str:
    # As Eval names scorers: _name() (autoevals), else __name__, else the class name.
    name: Any = None
    try:
        name = fn._name() if hasattr(fn, "_name") else getattr(fn, "__name__", None)
    except Exception:
        name = None
    if not isinstance(name, str) or not name:
        name = type(fn).__name__
    return f"{prefix}_{index}" if name == "<lambda>" else name


def _bind(fn: Any, offered: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments ``fn`` takes of ``offered``: by name; ``**kwargs``
    takes the rest; a required parameter of another name takes the next unused
    argument (so ``lambda a, b: ...`` gets ``input`` and ``output``)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return dict(offered)
    left = dict(offered)
    found: dict[str, Any] = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in left:
            found[p.name] = left.pop(p.name)
        elif p.default is p.empty and left:
            found[p.name] = left.pop(next(iter(left)))
    if any(p.kind is p.VAR_KEYWORD for p in params):
        found.update(left)
    return found


def _takes_hooks(task: Any) -> str:
    try:
        params = list(inspect.signature(task).parameters.values())
    except (TypeError, ValueError):
        return "none"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params):
        return "positional"
    if any(p.name == "hooks" or p.kind is p.VAR_KEYWORD for p in params):
        return "keyword"
    return "none"


def _scores_of(name: str, raw: Any) -> list[dict[str, Any]]:
    """A scorer's return value as stored: ``[{"name", "score", "metadata"}]``."""
    from ._score import normalize_scores

    return [{"name": s.name, "score": s.score, "metadata": s.metadata}
            for s in normalize_scores(name, raw)]


def _classes_of(name: str, raw: Any) -> list[dict[str, Any]]:
    """A classifier's return value as stored: ``[{"name", "id", "label"?, "metadata"?}]``."""
    if raw is None:
        return []
    values = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    found = []
    for value in values:
        if not isinstance(value, Mapping):
            value = {k: getattr(value, k, None) for k in ("id", "name", "label", "metadata")}
        if not isinstance(value.get("id"), str) or not value["id"]:
            raise ValueError(f"classifier {name!r} returned {value!r}; a classification "
                             "has an 'id' (and optional 'name', 'label', 'metadata')")
        found.append({"name": value.get("name") or name,
                      **{k: value[k] for k in ("id", "label", "metadata")
                         if value.get(k) is not None}})
    return _json_value(found)  # type: ignore[no-any-return]


def _grouped(items: list[dict[str, Any]], value: Callable[[dict[str, Any]], Any]) -> Any:
    """One item's value alone; several grouped by name (a list where a name repeats)."""
    if len(items) == 1:
        return value(items[0])
    out: dict[str, Any] = {}
    for item in items:
        v = value(item)
        prior = out.get(item["name"])
        out[item["name"]] = v if prior is None else (
            [*prior, v] if isinstance(prior, list) else [prior, v])
    return out


def _raise_all(errors: Sequence[BaseException]) -> None:
    if len(errors) == 1:
        raise errors[0]
    raise RuntimeError("Workflow submission callbacks failed: "
                       + "; ".join(safe_str(e) for e in errors)) from errors[0]


def _as(kind: type, value: Any, what: str) -> Any:
    if isinstance(value, Mapping):
        value = kind(**value)
    if not isinstance(value, kind):
        raise TypeError(f"{what} must return a {kind.__name__}, got {type(value).__name__}")
    return value


# -- rows -------------------------------------------------------------------------------

def _row_ids(run_id: str, item_id: str, stage: str) -> tuple[str, str, str]:
    """(row id, span id, root span id) of one stage's row of a trial."""
    root = _digest(run_id, item_id, "root")[:32]
    span = root[:16] if stage == "root" else _digest(run_id, item_id, stage)[:16]
    return row_id(int(root, 16), int(span, 16)), span, root


class _Rows:
    """Writes one trial's rows: merge rows on the short path to the sink."""

    def __init__(self, parent: str, run_id: str, item_id: str) -> None:
        self.parent = parent
        self.run_id = run_id
        self.item_id = item_id

    def ids(self, stage: str) -> tuple[str, str, str]:
        return _row_ids(self.run_id, self.item_id, stage)

    def write(self, stage: str, fields: Mapping[str, Any]) -> None:
        rid, span, root = self.ids(stage)
        row = {k: v for k, v in fields.items()}
        row.update({"id": rid, "span_id": span, "root_span_id": root, "_is_merge": True,
                    "_parent": self.parent})
        try:
            _state.write_rows([mask_row(row)])
        except Exception as exc:  # logging never breaks the run
            diagnostics.report("log", "could not write a workflow eval row", exc)

    def open(self, stage: str, name: str, type: str, fields: Mapping[str, Any]) -> None:
        attrs: dict[str, Any] = {"name": name, "type": type}
        if type not in ("eval", "task"):
            attrs["purpose"] = "scorer"
        _, _, root = self.ids("root")
        self.write(stage, {"span_attributes": attrs, "created": _now_iso(),
                           "span_parents": None if stage == "root" else [root[:16]],
                           "metrics": {"start": time.time()}, **fields})

    def close(self, stage: str, fields: Mapping[str, Any]) -> None:
        self.write(stage, {**fields, "metrics": {"end": time.time()}})

    def span(self, stage: str) -> Span:
        """The stage's row as a facade span: ``log`` merges into the row, and spans
        started under it (or while it is current) are its children."""
        rid, span_id, root = self.ids(stage)
        ctx = SpanContext(trace_id=int(root, 16), span_id=int(span_id, 16), is_remote=False,
                          trace_flags=TraceFlags(TraceFlags.SAMPLED))
        span = Span(NonRecordingSpan(ctx), self.parent)
        span._row_id = rid
        # Treated as already ended: each log() is written at once as a merge row
        # (the row outlives this process; there is no OTel span to end).
        span._ended = True
        return span

    def root_slug(self) -> str:
        return self.span("root").export()


# -- the runner -----------------------------------------------------------------------------

class _Runner:
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

    async def schedule(self, run: Mapping[str, Any], stage: str, proc: _Processor) -> None:
        """Submits the stage's items that are ready and not yet submitted."""
        run_id = run["run_id"]
        is_task = stage == "task"
        batching = getattr(proc, "batching", None)
        size = batching.max_size if batching is not None else 1

        async def candidates() -> list[str]:
            ready = []
            for item_id in run["case_ids"]:
                if await self.store.read(self.link_key(run_id, stage, item_id)) is not None:
                    continue
                task = await self.task_result(run_id, item_id)
                if is_task:
                    if task is None:
                        ready.append(item_id)
                elif task is not None and task.get("error") is None and \
                        await self.store.read(self.result_key(run_id, stage, item_id)) is None:
                    ready.append(item_id)
            return ready

        for _ in range(len(run["case_ids"]) + 1):  # retried only when another process raced us
            ready = await candidates()
            if not ready:
                return
            partial = is_task or batching is None
            if not partial:
                finished = [await self.task_result(run_id, i) is not None for i in run["case_ids"]]
                partial = all(finished)
                rest = ready[len(ready) // size * size:]
                if not partial and rest and batching is not None and \
                        batching.max_wait_ms is not None:
                    first = await self.store.get_or_set(
                        self.key(run_id, "wait", stage, rest[0]), str(time.time()).encode())
                    partial = time.time() - float(first.value.decode()) >= \
                        batching.max_wait_ms / 1000
            batches = [ready[i:i + size] for i in range(0, len(ready), size)]
            if batches and len(batches[-1]) < size and not partial:
                batches.pop()
            if not batches:
                return
            outcomes = await asyncio.gather(*(self.submit_new(run, stage, proc, b)
                                              for b in batches), return_exceptions=True)
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            if errors:
                _raise_all(errors)
            if all(o is True for o in outcomes):
                return

    async def submit_new(self, run: Mapping[str, Any], stage: str, proc: _Processor,
                         item_ids: list[str]) -> bool:
        run_id = run["run_id"]
        sid = "submission-" + _digest(run_id, stage, *item_ids)[:32]
        record: dict[str, Any] = {"id": sid, "stage": stage, "item_ids": item_ids,
                  "batch": isinstance(proc, (WorkflowBatchTask, WorkflowBatchScorer)),
                  "mode": proc.completion.mode, "status": "failed", "attempts": 0,
                  "submission_data": None, "external_id": None}
        lease_key, lease = self.key(run_id, "lease", sid), uuid.uuid4().hex.encode()
        # One atomic step links the items, stores the record (as failed, so a crash
        # mid-submit is retried once the lease expires) and takes the lease.
        if not await self.store.reserve_batch(
                [self.link_key(run_id, stage, i) for i in item_ids], _encode(sid),
                self.submission_key(run_id, sid), _encode(record), lease_key, lease,
                LEASE_TTL_MS):
            return False
        await self.store.add_to_set(self.key(run_id, "progress", record["mode"], "out"), sid)
        try:
            await self.submit(run, record, proc)
        finally:
            await self.store.release_lease(lease_key, lease)
        return True

    async def submit(self, run: Mapping[str, Any], record: dict[str, Any],
                     proc: _Processor) -> None:
        run_id = run["run_id"]
        kind = "task" if record["stage"] == "task" else "score"
        items = [await self.item(run, kind, i) for i in record["item_ids"]]
        arg: Any = ([WorkflowBatchItem(f"item-{n}", it) for n, it in enumerate(items)]
                    if record["batch"] else items[0])
        context = WorkflowSubmissionContext(run_id, record["id"])
        try:
            data = _json_value(await self.call(proc.submit, arg, context))
        except Exception:
            record.update(status="failed", attempts=record.get("attempts", 0) + 1)
            await self.write(self.submission_key(run_id, record["id"]), record)
            raise
        webhook = isinstance(proc.completion, WorkflowSubmissionCompletionWebhook)
        record.update(submission_data=data, external_id=None,
                      status="external_id_pending" if webhook else "submitted")
        await self.write(self.submission_key(run_id, record["id"]), record)
        if webhook:
            await self.name_external(run, record, proc)

    async def name_external(self, run: Mapping[str, Any], record: dict[str, Any],
                            proc: _Processor) -> None:
        completion = proc.completion
        assert isinstance(completion, WorkflowSubmissionCompletionWebhook)
        run_id = run["run_id"]
        context = WorkflowSubmissionContext(run_id, record["id"])
        external = await self.call(completion.get_external_id, record["submission_data"],
                                   context)
        if not isinstance(external, str) or not external.strip():
            raise ValueError("Submission webhook get_external_id must return a non-empty string")
        record.update(external_id=external, status="submitted")
        await self.write(self.submission_key(run_id, record["id"]), record)
        await self.write(self.key(run_id, "external", _digest(external)[:32]), record["id"])
        locator = {"run_id": run_id, "submission_id": record["id"]}
        entry = await self.store.get_or_set(self.external_key(external), _encode(locator))
        if not entry.created and _decode(entry.value) not in (None, locator):
            # The same provider id in two runs: only (run_id, external_id) finds it now.
            await self.write(self.external_key(external), None)

    async def records(self, run: Mapping[str, Any]) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for stage, _ in self.stages():
            for item_id in run["case_ids"]:
                sid = await self.read(self.link_key(run["run_id"], stage, item_id))
                if isinstance(sid, str) and sid not in seen:
                    record = await self.read(self.submission_key(run["run_id"], sid))
                    if isinstance(record, dict):
                        seen[sid] = record
        return list(seen.values())

    async def retry(self, run: Mapping[str, Any], record: dict[str, Any],
                    proc: _Processor) -> None:
        run_id = run["run_id"]
        lease_key, lease = self.key(run_id, "lease", record["id"]), uuid.uuid4().hex.encode()
        if not await self.store.acquire_lease(lease_key, lease, LEASE_TTL_MS):
            return  # being submitted right now, by us or another process
        try:
            current = await self.read(self.submission_key(run_id, record["id"]))
            if isinstance(current, dict) and current["status"] == "failed":
                await self.submit(run, current, proc)
        finally:
            await self.store.release_lease(lease_key, lease)

    async def collect(self, run: Mapping[str, Any], record: dict[str, Any],
                      proc: _Processor) -> None:
        run_id = run["run_id"]
        stage = record["stage"]
        if record["status"] != "complete":
            context = WorkflowSubmissionContext(run_id, record["id"])
            data = record["submission_data"]
            is_task = stage == "task"
            outcomes: dict[str, tuple[Any, Optional[str]]] = {}
            if record["batch"]:
                async with self.sem:
                    got: Any = proc.collect(data, context)
                    if inspect.isawaitable(got):
                        got = await got
                    entries = ([e async for e in got] if isinstance(got, AsyncIterable)
                               else list(got))
                expected = {f"item-{n}": i for n, i in enumerate(record["item_ids"])}
                for entry in entries:
                    entry = _as(WorkflowBatchItemResult, entry, "Batch collect")
                    if entry.custom_id not in expected:
                        raise ValueError(f"Batch collect returned unknown custom_id "
                                         f"{entry.custom_id!r}")
                    if expected[entry.custom_id] in outcomes:
                        raise ValueError(f"Batch collect returned custom_id "
                                         f"{entry.custom_id!r} more than once")
                    error = None if entry.error is None else safe_str(entry.error)
                    outcomes[expected[entry.custom_id]] = (entry.result, error)
                for custom_id, item_id in expected.items():
                    outcomes.setdefault(item_id, (None, f"Batch submission {record['id']} "
                                                        f"returned no result for {custom_id}"))
            else:
                outcomes[record["item_ids"][0]] = (await self.call(proc.collect, data, context),
                                                   None)
            for item_id, (result, error) in outcomes.items():
                if is_task:
                    await self.write(self.key(run_id, "task", item_id),
                                     await self.task_value(run_id, item_id, result, error))
                else:
                    name = stage.split(":", 1)[1]
                    if error is None:
                        scored = _as(WorkflowScorerResult, result, "Scorer collect")
                        value: dict[str, Any] = {"scores": _json_value(_scores_of(name,
                                                                                  scored.score))}
                    else:
                        value = {"error": error}
                    await self.write(self.result_key(run_id, stage, item_id), value)
            record["status"] = "complete"
            await self.write(self.submission_key(run_id, record["id"]), record)
        await self.store.add_to_set(self.key(run_id, "progress", record["mode"], "done"),
                                    record["id"])

    async def task_value(self, run_id: str, item_id: str, result: Any,
                         error: Optional[str]) -> dict[str, Any]:
        if error is not None:
            return {"output": None, "metadata": {}, "tags": None, "error": error}
        result = _as(WorkflowTaskResult, result, "Task collect")
        datum = (await self.case(run_id, item_id))["datum"]
        return {"output": _json_value(result.output),
                "metadata": _json_value({**(datum.get("metadata") or {}),
                                         **(result.metadata or {})}),
                "tags": list(result.tags) if result.tags is not None else datum.get("tags")}

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
        mode = _takes_hooks(self.c.task)
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

