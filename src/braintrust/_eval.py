"""Eval and EvalAsync: run a task over cases, score the outputs, log an experiment."""

from __future__ import annotations

import contextvars
import dataclasses
import inspect
import json
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import AsyncIterable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional

from braintrust_otel import attributes as A

from . import _state
from ._experiment import Experiment, init
from ._paths import MISSING, get_path
from ._score import Score, ScorerError, normalize_scores
from ._serial import Serializable
from ._span import NOOP_SPAN, Span, check_text, safe_repr, safe_str, start_span
from ._summary import CaseStats, ExperimentSummary, input_key
from ._trace import EvalTrace

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

# asyncio, the thread pool and tqdm are imported when an evaluation runs, not
# with the package: most processes only trace.

__all__ = ["Eval", "EvalAsync", "EvalCase", "EvalHooks", "EvalResult",
           "EvalResultWithSummary", "Evaluator", "Reporter"]

DEFAULT_CONCURRENCY = 10


@dataclasses.dataclass
class EvalCase(Serializable):
    """One case: an input, and optionally what is expected, metadata and tags.

    Attributes:
        trial_count: Runs of this case; overrides ``Eval``'s ``trial_count``.
        id: The case's id (a dataset record's id); passed to scorers as ``id``.
        created: When the case (record) was created.
        origin: A reference to where the case comes from
            (``{"object_type", "object_id", "id", ...}``), recorded on the
            eval span.
        upsert_id: The eval span's row id (trials after the first get ids
            derived from it), so a re-run replaces the earlier rows.
    """

    input: Any
    expected: Any = None
    metadata: Optional[dict[str, Any]] = None
    tags: Optional[list[str]] = None
    trial_count: Optional[int] = None
    id: Optional[str] = None
    _xact_id: Optional[str] = None
    created: Optional[str] = None
    origin: Optional[dict[str, Any]] = None
    upsert_id: Optional[str] = None


@dataclasses.dataclass
class EvalResult(Serializable):
    """What happened to one case (one trial)."""

    input: Any
    output: Any
    expected: Any = None
    scores: dict[str, Optional[float]] = dataclasses.field(default_factory=dict)
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    tags: Optional[list[str]] = None
    error: Optional[str] = None
    id: Optional[str] = None
    trial_index: int = 0
    classifications: Optional[dict[str, list[dict[str, Any]]]] = None
    origin: Optional[dict[str, Any]] = None


@dataclasses.dataclass
class EvalResultWithSummary(Serializable):
    """What :func:`Eval` returns: the summary and every case's result."""

    summary: Optional[ExperimentSummary]
    results: list[EvalResult]

    def __str__(self) -> str:
        return str(self.summary) if self.summary is not None else "(no summary)"


class EvalHooks:
    """Given to a task that takes a second argument: the case's context.

    Attributes:
        metadata: The case's metadata; changes are logged with the case.
        expected: The case's expected value.
        span: The task's span (log to it, or start child spans).
        parameters: The ``parameters`` given to ``Eval``.
        trial_index: Which trial this is (0-based).
        tags: The case's tags.
        cancel_event: Set when the evaluation is cancelled (``Eval``'s
            ``cancel_event`` or a timeout); a long task may check it.
    """

    def __init__(self, case: EvalCase, span: Span, parameters: Mapping[str, Any],
                 trial_index: int, cancel_event: threading.Event | None = None,
                 report: Callable[[Mapping[str, Any]], None] | None = None) -> None:
        self.metadata: dict[str, Any] = dict(case.metadata or {})
        self.expected = case.expected
        self.span = span
        self.parameters = dict(parameters)
        self.trial_index = trial_index
        self.tags = list(case.tags or [])
        self.cancel_event = cancel_event if cancel_event is not None else threading.Event()
        self._report = report

    def meta(self, **info: Any) -> None:
        """Adds metadata to the case."""
        self.metadata.update(info)

    def report_progress(self, progress: Mapping[str, Any]) -> None:
        """Reports a task's progress (a dict such as ``{"format": ..., "output_type":
        ..., "event": ..., "data": ...}``).

        It goes to ``Eval``'s ``stream`` callback, with the case's ``id`` (the
        eval span's row id), the evaluator's ``name`` and ``object_type:
        "task"`` added; without one it goes nowhere, as in the official SDK.
        """
        if self._report is not None:
            try:
                self._report(progress)
            except Exception as exc:
                print(f"Eval: the stream callback failed: {type(exc).__name__}: "
                      f"{safe_str(exc)}", file=sys.stderr)


class Reporter:
    """Decides what to print for each evaluator and whether the run succeeded.

    Args:
        name: The reporter's name.
        report_eval: ``(evaluator, result, verbose, jsonl) -> report``, called
            after each evaluator.
        report_run: ``(reports, verbose, jsonl) -> bool``: False fails the run
            (``braintrust eval`` exits non-zero).
    """

    def __init__(self, name: str,
                 report_eval: Callable[..., Any] | None = None,
                 report_run: Callable[..., bool] | None = None) -> None:
        self.name = name
        self.report_eval = report_eval or _default_report_eval
        self.report_run = report_run or _default_report_run


def _default_report_eval(evaluator: Evaluator, result: EvalResultWithSummary,
                         verbose: bool = False, jsonl: bool = False) -> bool:
    failed = [r for r in result.results if r.error is not None]
    if jsonl:
        summary = result.summary.as_dict() if result.summary is not None else None
        print(json.dumps({"eval": evaluator.eval_name, "summary": summary,
                          "errors": len(failed)}, default=str))
    else:
        for r in failed[: None if verbose else 5]:
            last = " ".join(str(r.error).splitlines()[-1:])
            print(f"case {input_key(r.input)[:80]} failed: {last}", file=sys.stderr)
        print(result.summary)
    return not failed


def _default_report_run(reports: Sequence[Any], verbose: bool = False,
                        jsonl: bool = False) -> bool:
    return all(bool(r) for r in reports)


DEFAULT_REPORTER = Reporter("default")


@dataclasses.dataclass
class Evaluator:
    """Everything one ``Eval`` call describes (what ``braintrust eval`` collects)."""

    eval_name: str
    data: Any
    task: Callable[..., Any]
    scores: Sequence[Any]
    experiment_name: Optional[str] = None
    trial_count: int = 1
    metadata: Optional[dict[str, Any]] = None
    tags: Optional[list[str]] = None
    timeout: Optional[float] = None
    max_concurrency: Optional[int] = None
    project_id: Optional[str] = None
    base_experiment_name: Optional[str] = None
    base_experiment_id: Optional[str] = None
    no_send_logs: bool = False
    parameters: Optional[dict[str, Any]] = None
    description: Optional[str] = None
    update: bool = False
    quiet: bool = False
    reporter: Optional[Reporter] = None
    summarize_scores: bool = True
    case_filters: list[tuple[str, re.Pattern[str]]] = dataclasses.field(default_factory=list)
    classifiers: Optional[Sequence[Any]] = None
    error_score_handler: Optional[Callable[..., Any]] = None
    parent: Optional[str] = None
    enable_cache: bool = True
    cancel_event: Optional[threading.Event] = None
    stream: Optional[Callable[[dict[str, Any]], None]] = None


# -- collecting for the CLI -----------------------------------------------------------

class _Collector(threading.local):
    active: bool = False
    evaluators: list[Evaluator]


_collector = _Collector()


# -- helpers -------------------------------------------------------------------------

def _name_of(scorer: Any, index: int, prefix: str = "scorer") -> str:
    """A scorer's span name, as the official SDK names it: its ``_name()`` (autoevals
    scorers: the name they were built with), else ``__name__``, else its class
    name; a lambda is ``scorer_<index>``."""
    name: Any = None
    try:
        if hasattr(scorer, "_name"):
            name = scorer._name()
        elif hasattr(scorer, "__name__"):
            name = scorer.__name__
    except Exception:
        name = None
    if not isinstance(name, str) or not name:
        name = type(scorer).__name__
    return f"{prefix}_{index}" if name == "<lambda>" else name


#: A callable's parameters as ``((name, has_default), ...)`` plus whether it
#: takes ``**kwargs``; None when its signature cannot be read.
Params = Optional[tuple[tuple[tuple[str, bool], ...], bool]]


def _params(fn: Any) -> Params:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    named = tuple((p.name, p.default is not p.empty) for p in sig.parameters.values()
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
    return named, any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


def _hooks_mode(task: Any) -> str:
    """How a task takes hooks: "positional" (a 2nd positional parameter), "keyword"
    (a ``hooks`` keyword or ``**kwargs``), or "none"."""
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


def _is_async(fn: Any) -> bool:
    # A callable object with an ``async def __call__`` counts as async too.
    call = None if inspect.isroutine(fn) else type(fn).__dict__.get("__call__")
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)


async def _call(fn: Callable[..., Any], pool: ThreadPoolExecutor, *args: Any,
                **kwargs: Any) -> Any:
    import asyncio
    # Sync functions run on the pool, in a copy of this context, so spans they
    # start are children of the current one.
    if _is_async(fn):
        return await fn(*args, **kwargs)
    ctx = contextvars.copy_context()
    result = await asyncio.get_running_loop().run_in_executor(
        pool, lambda: ctx.run(fn, *args, **kwargs))
    if inspect.isawaitable(result):
        return await result
    return result


_CASE_EXTRAS = ("trial_count", "id", "_xact_id", "created", "origin", "upsert_id")


def _to_case(item: Any, index: int) -> EvalCase:
    if isinstance(item, EvalCase):
        return item
    if isinstance(item, Mapping):
        if "input" not in item:
            raise ValueError(f"case {index} has no 'input' (keys: {sorted(item)})")
        meta = item.get("metadata")
        return EvalCase(input=item["input"], expected=item.get("expected"),
                        metadata=dict(meta) if isinstance(meta, Mapping) else None,
                        tags=list(item.get("tags") or []) or None,
                        **{k: item.get(k) for k in _CASE_EXTRAS})
    if hasattr(item, "input"):
        return EvalCase(input=item.input, expected=getattr(item, "expected", None),
                        metadata=getattr(item, "metadata", None), tags=getattr(item, "tags", None),
                        **{k: getattr(item, k, None) for k in _CASE_EXTRAS})
    raise ValueError(f"case {index} is a {type(item).__name__}; a case is a dict with "
                     "'input' (and optional 'expected', 'metadata', 'tags') or an EvalCase")


async def _load(data: Any) -> list[Any]:
    if callable(data) and not isinstance(data, (list, tuple)) and not hasattr(data, "__iter__") \
            and not hasattr(data, "__aiter__"):
        data = data()
    if inspect.isawaitable(data):
        data = await data
    if isinstance(data, AsyncIterable):
        return [item async for item in data]
    if isinstance(data, Iterable):
        return list(data)
    raise TypeError(f"Eval(): data must be a list, an iterator, a generator, a Dataset or a "
                    f"function returning one; got {type(data).__name__}")


def _matches(case: EvalCase, filters: list[tuple[str, re.Pattern[str]]]) -> bool:
    for path, pattern in filters:
        value = get_path(dataclasses.asdict(case), path)
        value = None if value is MISSING else value
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        if not pattern.search(text):
            return False
    return True


# -- running ---------------------------------------------------------------------------

async def run_evaluator(ev: Evaluator) -> EvalResultWithSummary:
    """Runs one evaluator and returns its results and summary."""
    import asyncio
    if not callable(ev.task):
        raise TypeError(f"Eval({ev.eval_name!r}): task must be callable, got "
                        f"{type(ev.task).__name__}")
    if not isinstance(ev.scores, Sequence) or isinstance(ev.scores, str):
        raise TypeError(f"Eval({ev.eval_name!r}): scores must be a list of scorers")
    for i, scorer in enumerate(ev.scores):
        if not callable(scorer):
            raise TypeError(f"Eval({ev.eval_name!r}): scorer {i} ({safe_repr(scorer)}) "
                            "is not callable")
    classifier_fns = list(ev.classifiers or [])
    for i, classifier in enumerate(classifier_fns):
        if not callable(classifier):
            raise TypeError(f"Eval({ev.eval_name!r}): classifier {i} "
                            f"({safe_repr(classifier)}) is not callable")
    if ev.error_score_handler is not None and not callable(ev.error_score_handler):
        raise TypeError(f"Eval({ev.eval_name!r}): error_score_handler must be callable")
    cancel = ev.cancel_event if ev.cancel_event is not None else threading.Event()
    if cancel.is_set():
        raise asyncio.CancelledError("Evaluator cancelled")
    if ev.trial_count < 1:
        raise ValueError(f"Eval({ev.eval_name!r}): trial_count must be at least 1")
    data = ev.data
    from ._compat import BaseExperiment, open_experiment

    if data is BaseExperiment:
        data = BaseExperiment()
    if isinstance(data, BaseExperiment):
        # The cases of an earlier experiment (by name, else the project's latest),
        # which is also what this run is compared with unless a base was given.
        base = open_experiment(ev.eval_name if ev.project_id is None else None,
                               ev.project_id, data.name)
        if ev.base_experiment_name is None and ev.base_experiment_id is None:
            ev.base_experiment_id = base.id
        # Their row ids stay with the base experiment's rows.
        data = [{k: v for k, v in r.items() if k not in ("id", "_xact_id")}
                for r in base.as_dataset()]
    items = await _load(data)
    bad: list[EvalResult] = []
    cases: list[EvalCase] = []
    for i, item in enumerate(items):
        try:
            cases.append(_to_case(item, i))
        except ValueError as exc:
            print(f"Eval({ev.eval_name!r}): skipping {exc}", file=sys.stderr)
            bad.append(EvalResult(input=None, output=None, error=str(exc)))
    cases = [c for c in cases if _matches(c, ev.case_filters)]

    experiment: Optional[Experiment] = None
    if not ev.no_send_logs and ev.parent is None:
        experiment = init(project=ev.eval_name if ev.project_id is None else None,
                          project_id=ev.project_id, experiment=ev.experiment_name,
                          description=ev.description, metadata=ev.metadata, tags=ev.tags,
                          base_experiment=ev.base_experiment_name,
                          base_experiment_id=ev.base_experiment_id, update=ev.update,
                          set_current=False)
        if not ev.quiet and not experiment.offline:
            from ._experiment import experiment_url

            print(f"Experiment {experiment.name} is running at "
                  f"{experiment_url(experiment.project['name'], experiment.name)}",
                  file=sys.stderr)

    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    concurrency = ev.max_concurrency or DEFAULT_CONCURRENCY
    semaphore = asyncio.Semaphore(concurrency)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="braintrust-eval")
    # Scorer classes (autoevals' ``Levenshtein``, say) are instantiated once.
    scorers = [s() if inspect.isclass(s) else s for s in ev.scores]
    scorer_info = [(s, _name_of(s, i), _params(s)) for i, s in enumerate(scorers)]
    classifier_info = [(c, _name_of(c, i, "classifier"), _params(c))
                       for i, c in enumerate(classifier_fns)]
    all_sync = not _is_async(ev.task) and not any(_is_async(s) for s in scorers) \
        and not any(_is_async(c) for c in classifier_fns)
    wants_hooks = _hooks_mode(ev.task)
    runs = [(c, t) for c in cases for t in range(c.trial_count or ev.trial_count)]
    progress = tqdm(total=len(runs), desc=f"{ev.eval_name} (tasks)",
                    disable=ev.quiet or not sys.stderr.isatty(), leave=False)

    async def one(case: EvalCase, trial: int) -> EvalResult:
        async with semaphore:
            try:
                return await _run_case(ev, experiment, case, trial, pool, scorer_info,
                                       wants_hooks, all_sync, classifier_info, cancel)
            finally:
                progress.update(1)

    start = time.time()
    work = asyncio.ensure_future(asyncio.gather(*(one(c, t) for c, t in runs)))
    watcher = asyncio.ensure_future(_watch(cancel)) if ev.cancel_event is not None else None
    try:
        if watcher is not None:
            await asyncio.wait((work, watcher), return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
                raise asyncio.CancelledError("Evaluator cancelled")
        results = await work
    finally:
        if watcher is not None:
            watcher.cancel()
        progress.close()
        pool.shutdown(wait=False)
    results = list(results) + bad
    summary = None
    if ev.summarize_scores or experiment is not None:
        stats = [CaseStats(input_key(r.input), dict(r.scores), {}, error=r.error is not None)
                 for r in results]
        if experiment is not None:
            _state.deliver()
            summary = experiment.summary_of(_stats_with_metrics(experiment, stats))
        else:
            from ._summary import summarize_cases

            scores, metrics = summarize_cases(stats)
            summary = ExperimentSummary(ev.eval_name, None, None, None, scores=scores,
                                        metrics=metrics,
                                        errors=sum(1 for r in results if r.error))
        if "duration" not in summary.metrics and results:
            from ._summary import MetricSummary

            summary.metrics["duration"] = MetricSummary("duration", time.time() - start, "s")
    return EvalResultWithSummary(summary, results)


async def _watch(cancel: threading.Event) -> None:
    import asyncio

    # A threading.Event cannot be awaited; poll it (set from any thread).
    while not cancel.is_set():
        await asyncio.sleep(0.01)


def _stats_with_metrics(experiment: Experiment, fallback: list[CaseStats]) -> list[CaseStats]:
    # Stored rows carry durations and token counts; fall back to in-memory scores.
    from ._experiment import rows_of
    from ._summary import cases_from_rows

    if experiment.offline:
        return fallback
    try:
        stored = cases_from_rows(rows_of(experiment.id))
    except Exception:
        return fallback
    return stored if len(stored) >= len(fallback) else fallback


# A case's steps are written once, as a generator that yields each user call
# (task, scorers) as ``(fn, args, kwargs)`` and receives its result (or has
# its exception thrown in). An async driver awaits each call; when the task
# and every scorer are sync, a sync driver runs the whole case in one trip to
# the thread pool instead of one trip per call.
Step = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


Scorers = list[tuple[Any, str, Params]]


def _case_steps(ev: Evaluator, root: Span, case: EvalCase, trial: int, scorers: Scorers,
                wants_hooks: str, result: EvalResult, classifiers: Scorers,
                cancel: threading.Event, trace: Any) -> Generator[Step, Any, None]:
    unhandled = [name for _, name, _ in scorers]
    with root:
        task_span = root.start_span(name="task", type="task")
        stream = ev.stream
        report = None if stream is None else (lambda event: stream(
            {"id": root.id, "name": ev.eval_name, "object_type": "task", **event,
             **({"origin": case.origin} if case.origin is not None else {})}))
        hooks = EvalHooks(case, task_span, ev.parameters or {}, trial, cancel, report)
        try:
            with task_span:
                task_span.log(input=case.input)
                args = (case.input, hooks) if wants_hooks == "positional" else (case.input,)
                kwargs = {"hooks": hooks} if wants_hooks == "keyword" else {}
                try:
                    output = yield (ev.task, args, kwargs)
                except Exception as exc:
                    task_span.record_error(exc)
                    root.record_error(exc)
                    # A timeout recorded by the runner first keeps its message.
                    result.error = result.error or f"{type(exc).__name__}: {safe_str(exc)}"
                    return
                task_span.log(output=output)
            result.output = output
            result.metadata = hooks.metadata
            root.log(output=output, metadata=hooks.metadata or None)
            offered = {"input": case.input, "expected": case.expected,
                       "metadata": hooks.metadata, "output": output, "trace": trace,
                       "id": case.id, "tags": hooks.tags or None}
            failed: dict[str, str] = {}
            for scorer, name, params in scorers:
                error = yield from _score_steps(scorer, name, params, offered, trial, root,
                                                result)
                if error is not None:
                    failed[name] = error
            unhandled = list(failed)
            found: dict[str, list[dict[str, Any]]] = {}
            for classifier, name, params in classifiers:
                yield from _classify_steps(classifier, name, params, offered, root, result,
                                           found)
            if found:
                result.classifications = found
                root._log_field(A.CLASSIFICATIONS, found)
            if failed:
                # As in the official SDK: the case itself did not fail; the
                # scorers' tracebacks go into its metadata (after the classifiers,
                # which, running beside the scorers there, do not see them).
                hooks.metadata["scorer_errors"] = failed
                root.log(metadata=hooks.metadata)
        finally:
            # Inside the root span, so the scores a handler logs land on it.
            if ev.error_score_handler is not None and unhandled:
                try:
                    extra = ev.error_score_handler(root, case, list(unhandled)) or {}
                    result.scores = {**dict(extra), **result.scores}
                except Exception as exc:
                    print(f"Eval: error_score_handler failed for {', '.join(unhandled)}: "
                          f"{type(exc).__name__}: {safe_str(exc)}", file=sys.stderr)


def _user_kwargs(offered: Mapping[str, Any], params: Params, trial: int) -> dict[str, Any]:
    """The keyword arguments a scorer gets, bound as the official SDK binds them.

    A parameter named like an offered argument gets it; one with a default
    keeps it; any other takes the next offered argument not yet given (the
    official SDK's positional fallback, so ``lambda a, b: ...`` still gets
    ``input`` and ``expected``); ``**kwargs`` gets the rest (``trace``
    included). ``trial_index`` is given only to a parameter of that name.
    """
    if params is None:
        return dict(offered)
    named, var_keyword = params
    left = dict(offered)
    found: dict[str, Any] = {}
    for name, has_default in named:
        if name in left:
            found[name] = left.pop(name)
        elif name == "trial_index":
            found[name] = trial
        elif not has_default and left:
            found[name] = left.pop(next(iter(left)))
    if var_keyword:
        found.update(left)
    return found


def _score_steps(scorer: Any, name: str, params: Params, offered: Mapping[str, Any],
                 trial: int, root: Span, result: EvalResult
                 ) -> Generator[Step, Any, Optional[str]]:
    """One scorer's span; returns the traceback when the scorer failed."""
    kwargs = _user_kwargs(offered, params, trial)
    logged = {k: v for k, v in offered.items() if k != "trace"}
    with root.start_span(name=name, type="score", span_attributes={"purpose": "scorer"},
                         input=logged) as span:
        try:
            raw = yield (scorer, (), kwargs)
            scores: list[Score] = normalize_scores(name, raw)
        except ScorerError as exc:
            span.log(error=str(exc))
            print(f"Eval: {exc}", file=sys.stderr)
            return f"ScorerError: {exc}"
        except Exception as exc:
            span.record_error(exc)
            print(f"Eval: scorer {name!r} failed: {type(exc).__name__}: {safe_str(exc)}",
                  file=sys.stderr)
            return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        values = {s.name: s.score for s in scores}
        result.scores.update(values)
        span.log(output=values if len(values) != 1 else {"score": next(iter(values.values()))},
                 scores=values, metadata=_score_metadata(scores))
        return None


def _score_metadata(scores: list[Score]) -> Optional[dict[str, Any]]:
    # As the official SDK records it: one score's metadata as it is (even
    # empty), several grouped by score name (a list when a name repeats).
    if not scores:
        return None
    if len(scores) == 1:
        return dict(scores[0].metadata or {})
    grouped: dict[str, Any] = {}
    for s in scores:
        meta = dict(s.metadata or {})
        if s.name not in grouped:
            grouped[s.name] = meta
        elif isinstance(grouped[s.name], list):
            grouped[s.name].append(meta)
        else:
            grouped[s.name] = [grouped[s.name], meta]
    return grouped


def _classification(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        value = {k: getattr(value, k, None) for k in ("id", "name", "label", "metadata")}
    if not value or not isinstance(value.get("id"), str):
        raise ValueError(f"classifier {name!r} returned {value!r}; a classification is a dict "
                         "with an 'id' (and optional 'name', 'label', 'metadata')")
    return {"name": value.get("name") or name, **{k: value[k] for k in ("id", "label",
                                                                        "metadata")
                                                   if value.get(k) is not None}}


def _classify_steps(classifier: Any, name: str, params: Params,
                    offered: Mapping[str, Any], root: Span, result: EvalResult,
                    found: dict[str, list[dict[str, Any]]]) -> Generator[Step, Any, None]:
    kwargs = _user_kwargs(offered, params, result.trial_index)
    logged = {k: v for k, v in offered.items() if k != "trace"}
    with root.start_span(name=name, type="classifier", span_attributes={"purpose": "scorer"},
                         input=logged) as span:
        try:
            raw = yield (classifier, (), kwargs)
            if raw is None:
                return
            items = list(raw) if isinstance(raw, (list, tuple)) else [raw]
            classes = [_classification(item, name) for item in items]
        except Exception as exc:
            span.record_error(exc)
            meta = result.metadata.setdefault("classifier_errors", {})
            meta[name] = f"{type(exc).__name__}: {safe_str(exc)}"
            print(f"Eval: classifier {name!r} failed: {type(exc).__name__}: {safe_str(exc)}",
                  file=sys.stderr)
            return
        for c in classes:
            found.setdefault(c["name"], []).append({k: v for k, v in c.items() if k != "name"})
        if len(classes) == 1:
            output: Any = {k: v for k, v in classes[0].items() if k != "name"}
        else:
            output = {}
            for c in classes:
                item = {k: v for k, v in c.items() if k != "name"}
                prior = output.get(c["name"])
                output[c["name"]] = item if prior is None else (
                    [*prior, item] if isinstance(prior, list) else [prior, item])
        metas = [c["metadata"] for c in classes if c.get("metadata") is not None]
        span.log(output=output, metadata=metas[0] if len(classes) == 1 and metas else None)


def _cancel(steps: Generator[Step, Any, None], message: str) -> None:
    # Ends a timed-out case in its own context: each pending step fails with
    # TimeoutError, so spans close normally and no later step runs.
    error = TimeoutError(message)
    for _ in range(10_000):
        try:
            steps.throw(error)
        except StopIteration:
            return
        except BaseException:
            return


def _drive_sync(steps: Generator[Step, Any, None], cancelled: _Either,
                message: str) -> None:
    value: Any = None
    error: Optional[BaseException] = None
    while True:
        if cancelled.is_set():  # a thread cannot be interrupted; stop at the next step
            _cancel(steps, message)
            return
        try:
            fn, args, kwargs = steps.throw(error) if error is not None else steps.send(value)
        except StopIteration:
            return
        value, error = None, None
        try:
            value = fn(*args, **kwargs)
            if inspect.isawaitable(value):  # a sync function that returned a coroutine
                import asyncio

                value = asyncio.run(_await(value))
        except Exception as exc:
            error = exc


async def _await(awaitable: Any) -> Any:
    return await awaitable


async def _drive_async(steps: Generator[Step, Any, None], pool: ThreadPoolExecutor,
                       message: str) -> None:
    import asyncio

    value: Any = None
    error: Optional[BaseException] = None
    while True:
        try:
            fn, args, kwargs = steps.throw(error) if error is not None else steps.send(value)
        except StopIteration:
            return
        value, error = None, None
        try:
            value = await _call(fn, pool, *args, **kwargs)
        except asyncio.CancelledError:
            _cancel(steps, message)  # here, in this task's context, not at GC time
            raise
        except Exception as exc:
            error = exc


class _Either:
    """Set when the case timed out (``mine``) or the whole evaluation was cancelled."""

    def __init__(self, mine: threading.Event, shared: threading.Event) -> None:
        self.mine = mine
        self.shared = shared

    def is_set(self) -> bool:
        return self.mine.is_set() or self.shared.is_set()


def _trace_for(experiment: Optional[Experiment], root: Span) -> EvalTrace:
    if experiment is None:
        _, _, object_id = (root.parent or "").partition(":")
        return EvalTrace("project_logs", object_id, root.root_span_id)
    from ._experiment import rows_of

    def read_rows() -> list[dict[str, Any]]:
        _state.deliver()
        return rows_of(experiment.id)

    return EvalTrace("experiment", experiment.id, root.root_span_id, read_rows)


async def _run_case(ev: Evaluator, experiment: Optional[Experiment], case: EvalCase,
                    trial: int, pool: ThreadPoolExecutor,
                    scorers: Scorers, wants_hooks: str, all_sync: bool,
                    classifiers: Scorers, cancel: threading.Event) -> EvalResult:
    import asyncio

    result = EvalResult(input=case.input, output=None, expected=case.expected,
                        metadata=dict(case.metadata or {}), tags=case.tags, trial_index=trial,
                        origin=case.origin)
    root: Span = NOOP_SPAN
    trace: Any = None
    if experiment is not None or ev.parent is not None:
        event: dict[str, Any] = {"input": case.input, "expected": case.expected}
        if case.metadata:
            event["metadata"] = case.metadata
        if case.tags:
            event["tags"] = case.tags
        if case.upsert_id:
            # Trials after the first get stable ids of their own.
            event["id"] = case.upsert_id if trial == 0 else str(uuid.uuid5(
                uuid.NAMESPACE_URL, f"braintrust:eval:{case.upsert_id}:trial:{trial}"))
        if experiment is not None:
            root = experiment.start_span(name="eval", type="eval", event=event)
        else:
            root = start_span(name="eval", type="eval", parent=ev.parent, event=event)
        if case.origin is not None:
            root._log_field(A.ORIGIN, case.origin)
        result.id = root.id
        trace = _trace_for(experiment, root)
    steps = _case_steps(ev, root, case, trial, scorers, wants_hooks, result, classifiers,
                        cancel, trace)
    message = f"timed out after {ev.timeout}s"
    cancelled = _Either(threading.Event(), cancel)
    if all_sync:
        ctx = contextvars.copy_context()
        run: Any = asyncio.get_running_loop().run_in_executor(
            pool, ctx.run, _drive_sync, steps, cancelled, message)
    else:
        run = _drive_async(steps, pool, message)
    try:
        if ev.timeout is not None:
            await asyncio.wait_for(run, ev.timeout)
        else:
            await run
    except asyncio.TimeoutError:
        result.error = message
        cancelled.mine.set()
        root.log(error=result.error)
    except Exception as exc:  # a bug of ours must not stop the other cases
        result.error = f"{type(exc).__name__}: {safe_str(exc)}"
    return result


# -- the public functions --------------------------------------------------------------

def _evaluator(name: str, data: Any, task: Any, scores: Any, kwargs: dict[str, Any]
               ) -> Evaluator:
    if not isinstance(name, str) or not name:
        raise TypeError("Eval(): name must be a non-empty str")
    check_text(name, "name", "Eval()")
    for arg in ("experiment_name", "project_id", "base_experiment_name", "base_experiment_id",
                "description"):
        check_text(kwargs.get(arg), arg, "Eval()")
    if isinstance(scores, (str, bytes)) or not isinstance(scores, (Sequence, type(None))):
        raise TypeError(f"Eval(): scores must be a list of scorers, got {type(scores).__name__}")
    for arg in ("trial_count", "max_concurrency"):
        value = kwargs.get(arg)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"Eval(): {arg} must be an int, got {type(value).__name__}")
    timeout = kwargs.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not timeout > 0):
        raise ValueError(f"Eval(): timeout must be a positive number of seconds, "
                         f"got {safe_repr(timeout)}")
    known = {f.name for f in dataclasses.fields(Evaluator)}
    unknown = set(kwargs) - known - {"is_public", "state", "on_start",
                                     "git_metadata_settings", "repo_info"}
    if unknown:
        names = ", ".join(repr(k) for k in sorted(unknown))
        plural = "s" if len(unknown) > 1 else ""
        raise TypeError(f"Eval() got an unexpected keyword argument{plural} {names}")
    args = {k: v for k, v in kwargs.items() if k in known}
    return Evaluator(eval_name=name, data=data, task=task, scores=list(scores or []), **args)


async def _run_and_report(ev: Evaluator) -> EvalResultWithSummary:
    result = await run_evaluator(ev)
    reporter = ev.reporter or DEFAULT_REPORTER
    if not ev.quiet or ev.reporter is not None:
        reporter.report_eval(ev, result, False, False)
    return result


async def EvalAsync(name: str, data: Any, task: Callable[..., Any],
                    scores: Optional[Sequence[Any]] = None,
                    **kwargs: Any) -> EvalResultWithSummary:
    """Like :func:`Eval`, awaitable from a running event loop."""
    ev = _evaluator(name, data, task, scores, kwargs)
    if _collector.active:
        _collector.evaluators.append(ev)
        return EvalResultWithSummary(None, [])
    return await _run_and_report(ev)


def Eval(name: str, data: Any, task: Callable[..., Any],
         scores: Optional[Sequence[Any]] = None, **kwargs: Any) -> EvalResultWithSummary:
    """Runs an evaluation: ``task`` over every case of ``data``, scored by ``scores``.

    Every case becomes a trace in an experiment of project ``name``: an ``eval``
    root span, a ``task`` child (LLM calls made by the task nest inside it),
    and one ``score`` child per scorer. Errors in a task or scorer are
    recorded on the case and the run goes on.

    Args:
        name: The project to log the experiment in.
        data: A list of cases, an iterator or generator, an async generator, a
            Dataset, or a function returning one of these. A case is a dict with
            ``input`` (and optional ``expected``, ``metadata``, ``tags``) or an
            :class:`EvalCase`.
        task: ``task(input)`` or ``task(input, hooks)``; sync or async.
        scores: Scorers: functions taking any of ``input``, ``output``,
            ``expected``, ``metadata`` by keyword and returning a number, a
            bool, None, a dict with ``score``, a :class:`Score` or a list of
            these; autoevals scorers work as they are. None: no scorer (the
            experiment records outputs only).
        experiment_name: The experiment's name; generated when omitted.
        trial_count: How many times to run each case.
        metadata: Metadata about the experiment.
        tags: Tags for the experiment.
        timeout: Seconds per case; a case that takes longer is an error.
        max_concurrency: Cases running at once (10): threads for sync tasks,
            tasks for async ones.
        project_id: Log to this project id instead of the project ``name``.
        base_experiment_name, base_experiment_id: What to compare with; by
            default the project's previous experiment.
        no_send_logs: Store nothing; the summary is still computed.
        parameters: Passed to the task as ``hooks.parameters``.
        description: The experiment's description.
        update: Continue the experiment named ``experiment_name``.
        reporter: A :class:`Reporter` deciding what is printed.
        quiet: Print nothing (no progress bar, no summary).

    Returns:
        :class:`EvalResultWithSummary`: ``.summary`` and ``.results``. Called
        inside a running event loop, an ``asyncio.Task`` giving it instead:
        ``await braintrust.Eval(...)``.
    """
    import asyncio
    ev = _evaluator(name, data, task, scores, kwargs)
    if _collector.active:
        _collector.evaluators.append(ev)
        return EvalResultWithSummary(None, [])
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_run_and_report(ev))
    # Called inside a running event loop (a notebook, an async app): as the
    # official SDK does, schedule the run on that loop and return the task, so
    # ``await Eval(...)`` works. Blocking here would stall the caller's loop.
    global _warned_in_loop
    if not _warned_in_loop:
        _warned_in_loop = True
        print("Eval() was called inside a running event loop: it returns an asyncio Task "
              "to await (or use `await EvalAsync(...)`).", file=sys.stderr)
    scheduled: Any = loop.create_task(_run_and_report(ev))
    return scheduled  # type: ignore[no-any-return]


_warned_in_loop = False


def collect(run: Callable[[], Any]) -> list[Evaluator]:
    """Runs ``run`` (for example importing an eval file) and returns the evaluators
    its ``Eval`` calls declared, without running them."""
    _collector.active = True
    _collector.evaluators = []
    try:
        run()
        return list(_collector.evaluators)
    finally:
        _collector.active = False


def run_collected(ev: Evaluator) -> EvalResultWithSummary:
    """Runs a collected evaluator to the end (used by ``braintrust eval``)."""
    import asyncio
    return asyncio.run(run_evaluator(ev))
