"""The run engine: one evaluator's cases at once, bounded, cancellable, then summarized."""

from __future__ import annotations

import inspect
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Optional

from . import _state
from ._eval_case import CaseRunner, hooks_mode, is_async
from ._eval_data import load_cases
from ._eval_scoring import name_of, params_of
from ._eval_types import EvalCase, EvalResult, EvalResultWithSummary, Evaluator
from ._span import safe_repr
from ._summary import CaseStats, ExperimentSummary, input_key

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from ._experiment import Experiment

# asyncio, the thread pool and tqdm are imported when an evaluation runs, not
# with the package: most processes only trace.

__all__ = ["DEFAULT_CONCURRENCY", "run_evaluator", "set_thread_pool_max_workers"]

DEFAULT_CONCURRENCY = 10

# The process-wide pool that set_thread_pool_max_workers sizes. Until it is
# called, each run has a pool of its own, as big as its max_concurrency.
_pool_lock = threading.Lock()
_shared_pool: Optional[ThreadPoolExecutor] = None
_shared_workers: Optional[int] = None


def set_thread_pool_max_workers(max_workers: int) -> None:
    """Bounds, for the whole process, the threads that run evaluations' sync code.

    Every ``Eval`` that starts afterwards runs its sync tasks, scorers and
    classifiers on one shared pool of ``max_workers`` threads, however many
    evaluations run at once (``max_concurrency`` still bounds each one's cases).

    Args:
        max_workers: How many threads (at least 1).

    Raises:
        TypeError: When ``max_workers`` is not an int.
        ValueError: When it is less than 1.
    """
    global _shared_pool, _shared_workers
    if isinstance(max_workers, bool) or not isinstance(max_workers, int):
        raise TypeError(f"set_thread_pool_max_workers(): max_workers must be an int, "
                        f"got {type(max_workers).__name__}")
    if max_workers < 1:
        raise ValueError(f"set_thread_pool_max_workers(): max_workers must be at least 1, "
                         f"got {max_workers}")
    with _pool_lock:
        old, _shared_pool, _shared_workers = _shared_pool, None, max_workers
    if old is not None:
        old.shutdown(wait=False)  # runs under way finish on it; new ones get the new pool


def _reset_thread_pool() -> None:
    """Back to a pool per run (for tests)."""
    global _shared_pool, _shared_workers
    with _pool_lock:
        old, _shared_pool, _shared_workers = _shared_pool, None, None
    if old is not None:
        old.shutdown(wait=False)


def _pool(concurrency: int) -> tuple[ThreadPoolExecutor, bool]:
    """The pool a run uses, and whether the run owns it (shuts it down)."""
    global _shared_pool
    from concurrent.futures import ThreadPoolExecutor

    with _pool_lock:
        if _shared_workers is not None:
            if _shared_pool is None:
                _shared_pool = ThreadPoolExecutor(max_workers=_shared_workers,
                                                  thread_name_prefix="braintrust-eval")
            return _shared_pool, False
    return ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="braintrust-eval"), True


def _check(ev: Evaluator) -> None:
    where = f"Eval({ev.project_name!r})"
    if not callable(ev.task):
        raise TypeError(f"{where}: task must be callable, got {type(ev.task).__name__}")
    for kind, fns in (("scorer", ev.scores), ("classifier", ev.classifiers or [])):
        for i, fn in enumerate(fns):
            if not callable(fn):
                raise TypeError(f"{where}: {kind} {i} ({safe_repr(fn)}) is not callable")
    if ev.error_score_handler is not None and not callable(ev.error_score_handler):
        raise TypeError(f"{where}: error_score_handler must be callable")
    if ev.trial_count < 1:
        raise ValueError(f"{where}: trial_count must be at least 1")


def _start_experiment(ev: Evaluator) -> Optional[Experiment]:
    if ev.no_send_logs or ev.parent is not None:
        return None  # as the official SDK: under a parent, the eval fills that parent
    from ._dataset import Dataset
    from ._experiment import experiment_url, init
    from ._parameters import RemoteEvalParameters

    # A Dataset as data is the experiment's dataset (its id and version are
    # recorded), and saved parameters are its parameters, as the official SDK
    # links them.
    dataset = ev.data if isinstance(ev.data, Dataset) else None
    saved = ev.parameters if isinstance(ev.parameters, RemoteEvalParameters) \
        and ev.parameters.id is not None else None
    experiment = init(project=ev.project_name if ev.project_id is None else None,
                      project_id=ev.project_id, experiment=ev.experiment_name,
                      description=ev.description, dataset=dataset, parameters=saved,
                      metadata=ev.metadata, tags=ev.tags,
                      is_public=ev.is_public, base_experiment=ev.base_experiment_name,
                      base_experiment_id=ev.base_experiment_id, update=ev.update,
                      git_metadata_settings=ev.git_metadata_settings, repo_info=ev.repo_info,
                      set_current=False)
    if not ev.quiet and not experiment.offline:
        print(f"Experiment {experiment.name} is running at "
              f"{experiment_url(experiment.project['name'], experiment.name)}", file=sys.stderr)
    if ev.on_start is not None:
        # What is known before any case ran: names and links, no scores.
        ev.on_start(experiment.summary_of([], ev.base_experiment_id, summarize_scores=False))
    return experiment


async def _watch(cancel: threading.Event) -> None:
    import asyncio

    # A threading.Event cannot be awaited; poll it (set from any thread).
    while not cancel.is_set():
        await asyncio.sleep(0.01)


async def run_evaluator(ev: Evaluator) -> EvalResultWithSummary:
    """Runs one evaluator and returns its results and summary.

    Raises:
        asyncio.CancelledError: When ``ev.cancel_event`` is set (before or during the run).
        asyncio.TimeoutError: When the run takes longer than ``ev.timeout`` seconds (the
            cancel event is set then too, as the official SDK does).
    """
    import asyncio

    _check(ev)
    cancel = ev.cancel_event if ev.cancel_event is not None else threading.Event()
    if cancel.is_set():
        raise asyncio.CancelledError("Evaluator cancelled")
    timed_out = threading.Event()

    def stop_error() -> BaseException:
        return asyncio.TimeoutError("Evaluator timed out") if timed_out.is_set() \
            else asyncio.CancelledError("Evaluator cancelled")

    experiment = _start_experiment(ev)
    # The clock starts after the experiment exists, as the official SDK's does.
    deadline = None if ev.timeout is None else time.monotonic() + ev.timeout
    start = time.time()
    work: Optional[asyncio.Future[tuple[list[EvalResult], list[EvalResult]]]] = None
    try:
        work = asyncio.ensure_future(_run_cases(ev, experiment, cancel, stop_error))
        waiting: set[asyncio.Future[Any]] = {work}
        watcher = asyncio.ensure_future(_watch(cancel)) if ev.cancel_event is not None else None
        if watcher is not None:
            waiting.add(watcher)
        try:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            await asyncio.wait(waiting, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if watcher is not None:
                watcher.cancel()
        if not work.done() or cancel.is_set():
            if not cancel.is_set():
                timed_out.set()
            cancel.set()  # cases still running stop at their next step
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
            raise stop_error()
        results, bad = work.result()
    except asyncio.CancelledError:
        cancel.set()
        if work is not None and not work.done():
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
        raise
    finally:
        if experiment is not None or ev.parent is not None:
            _state.deliver()
    return EvalResultWithSummary(_summarize(ev, experiment, results + bad, start),
                                 results + bad)


async def _run_cases(ev: Evaluator, experiment: Optional[Experiment], cancel: threading.Event,
                     stop_error: Any) -> tuple[list[EvalResult], list[EvalResult]]:
    import asyncio

    from tqdm.auto import tqdm

    from ._parameters import RemoteEvalParameters

    cases, bad = await load_cases(ev)
    concurrency = ev.max_concurrency or DEFAULT_CONCURRENCY
    pool, owned = _pool(concurrency)
    # Scorer classes (autoevals' ``Levenshtein``, say) are instantiated once.
    scorers = [s() if inspect.isclass(s) else s for s in ev.scores]
    classifiers = list(ev.classifiers or [])
    parameters = ev.parameter_values if ev.parameter_values is not None else ev.parameters
    if isinstance(parameters, RemoteEvalParameters):
        parameters = parameters.data  # the saved values, as the task gets them there
    runner = CaseRunner(
        ev=ev, experiment=experiment, pool=pool,
        scorers=[(s, name_of(s, i), params_of(s)) for i, s in enumerate(scorers)],
        classifiers=[(c, name_of(c, i, "classifier"), params_of(c))
                     for i, c in enumerate(classifiers)],
        wants_hooks=hooks_mode(ev.task),
        all_sync=not any(is_async(f) for f in [ev.task, *scorers, *classifiers]),
        parameters=dict(parameters or {}), dataset_id=_dataset_id(ev.data), cancel=cancel,
        stop_error=stop_error)
    runs = [(c, t) for c in cases for t in range(c.trial_count or ev.trial_count)]
    semaphore = asyncio.Semaphore(concurrency)
    progress = tqdm(total=len(runs), desc=f"{ev.eval_name} (tasks)",
                    disable=ev.quiet or not sys.stderr.isatty(), leave=False)

    async def one(case: EvalCase, trial: int) -> EvalResult:
        async with semaphore:
            if cancel.is_set():
                raise asyncio.CancelledError()
            try:
                return await runner.run(case, trial)
            finally:
                progress.update(1)

    tasks = [asyncio.ensure_future(one(c, t)) for c, t in runs]
    try:
        return list(await asyncio.gather(*tasks)), bad
    finally:
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        progress.close()
        if owned:
            pool.shutdown(wait=False)


def _dataset_id(data: Any) -> Optional[str]:
    from ._dataset import Dataset

    if not isinstance(data, Dataset):
        return None
    try:
        return data.id
    except Exception:  # an unregistered dataset: its records get no origin
        return None


def _summarize(ev: Evaluator, experiment: Optional[Experiment], results: list[EvalResult],
               start: float) -> ExperimentSummary:
    from ._summary import MetricSummary, summarize_cases

    stats = [CaseStats(input_key(r.input), dict(r.scores), {}, error=r.error is not None)
             for r in results]
    if experiment is not None:
        summary = experiment.summary_of(_stats_with_metrics(experiment, stats),
                                        summarize_scores=ev.summarize_scores)
    else:
        # Nothing stored to compare with: the scores of this run, as the
        # official SDK's local summary has them (summarize_scores or not).
        scores, metrics = summarize_cases(stats)
        summary = ExperimentSummary(ev.project_name, None, ev.eval_name, None, scores=scores,
                                    metrics=metrics, errors=sum(1 for r in results if r.error))
    if ev.summarize_scores and "duration" not in summary.metrics and results:
        summary.metrics["duration"] = MetricSummary("duration", time.time() - start, "s")
    return summary


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
