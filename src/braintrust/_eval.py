"""Eval and EvalAsync: the public entry points, and collecting evaluators for the CLI.

The pieces live in their own modules: the objects (:mod:`._eval_types`), the
data (:mod:`._eval_data`), one case (:mod:`._eval_case`), scorers
(:mod:`._eval_scoring`) and the run (:mod:`._eval_run`). The names other
modules import from here stay here.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Any, Callable, Optional

from ._eval_run import DEFAULT_CONCURRENCY, run_evaluator, set_thread_pool_max_workers
from ._eval_types import (
    DEFAULT_REPORTER,
    EvalCase,
    EvalHooks,
    EvalResult,
    EvalResultWithSummary,
    EvalScorerArgs,
    Evaluator,
    Reporter,
)
from ._git import GitMetadataSettings, RepoInfo
from ._span import check_text, safe_repr
from ._summary import ExperimentSummary

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_REPORTER", "Eval", "EvalAsync", "EvalCase",
           "EvalHooks", "EvalResult", "EvalResultWithSummary", "EvalScorerArgs", "Evaluator",
           "Reporter", "collect", "run_collected", "run_evaluator",
           "set_thread_pool_max_workers"]


class _Collector(threading.local):
    active: bool = False
    evaluators: list[Evaluator]


_collector = _Collector()

#: The options of Eval/EvalAsync that go to the Evaluator as they are.
_PASSED = ("experiment_name", "trial_count", "metadata", "is_public", "update", "reporter",
           "timeout", "max_concurrency", "project_id", "base_experiment_name",
           "base_experiment_id", "git_metadata_settings", "repo_info", "error_score_handler",
           "description", "summarize_scores", "no_send_logs", "parameters", "on_start",
           "stream", "parent", "enable_cache", "cancel_event", "quiet")


def _check_int(options: dict[str, Any], arg: str) -> None:
    value = options[arg]
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"Eval(): {arg} must be an int, got {type(value).__name__}")


def _evaluator(options: dict[str, Any]) -> Evaluator:
    """The Evaluator for one Eval/EvalAsync call's arguments, checked."""
    name = options["name"]
    if not isinstance(name, str) or not name:
        raise TypeError("Eval(): name must be a non-empty str")
    check_text(name, "name", "Eval()")
    for arg in ("experiment_name", "project_id", "base_experiment_name", "base_experiment_id",
                "description", "parent"):
        check_text(options[arg], arg, "Eval()")
    for arg in ("scores", "classifiers"):
        value = options[arg]
        if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, type(None))):
            raise TypeError(f"Eval(): {arg} must be a list, got {type(value).__name__}")
    _check_int(options, "trial_count")
    _check_int(options, "max_concurrency")
    timeout = options["timeout"]
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not timeout > 0):
        raise ValueError(f"Eval(): timeout must be a positive number of seconds, "
                         f"got {safe_repr(timeout)}")
    if isinstance(options["reporter"], str):
        raise ValueError("Eval(): reporter must be a Reporter, not a name (names of "
                         "reporters are for the `braintrust eval` command)")
    for arg in ("on_start", "stream"):
        if options[arg] is not None and not callable(options[arg]):
            raise TypeError(f"Eval(): {arg} must be callable, got "
                            f"{type(options[arg]).__name__}")
    cancel = options["cancel_event"]
    if cancel is not None and not isinstance(cancel, threading.Event):
        raise TypeError(f"Eval(): cancel_event must be a threading.Event, got "
                        f"{type(cancel).__name__}")
    if options["state"] is not None:
        raise TypeError("Eval(): state takes the official SDK's internal BraintrustState, "
                        "which has no counterpart here; log in with braintrust.login() instead")
    # As the official SDK names evaluators (what `braintrust eval --list` prints
    # and the ``name`` of stream events).
    eval_name = name
    if options["experiment_name"] is not None:
        eval_name += f" [experiment_name={options['experiment_name']}]"
    if _collector.active and any(e.eval_name == eval_name for e in _collector.evaluators):
        eval_name = f"{eval_name}_{len(_collector.evaluators)}"
    tags = options["tags"]
    return Evaluator(eval_name=eval_name, project_name=name, data=options["data"],
                     task=options["task"], scores=list(options["scores"] or []),
                     classifiers=None if options["classifiers"] is None
                     else list(options["classifiers"]),
                     tags=None if tags is None else list(tags),
                     **{k: options[k] for k in _PASSED})


async def _run_and_report(ev: Evaluator) -> EvalResultWithSummary:
    result = await run_evaluator(ev)
    # As the official SDK: the reporter (the default one prints the summary)
    # hears of every evaluation, verbosely.
    (ev.reporter or DEFAULT_REPORTER).report_eval(ev, result, verbose=True, jsonl=False)
    return result


async def EvalAsync(
    name: str,
    data: Any,
    task: Callable[..., Any],
    scores: Optional[Sequence[Any]] = None,
    classifiers: Optional[Sequence[Any]] = None,
    experiment_name: Optional[str] = None,
    trial_count: int = 1,
    metadata: Optional[dict[str, Any]] = None,
    tags: Optional[Sequence[str]] = None,
    is_public: bool = False,
    update: bool = False,
    reporter: Optional[Reporter] = None,
    timeout: Optional[float] = None,
    max_concurrency: Optional[int] = None,
    project_id: Optional[str] = None,
    base_experiment_name: Optional[str] = None,
    base_experiment_id: Optional[str] = None,
    git_metadata_settings: Optional[GitMetadataSettings] = None,
    repo_info: Optional[RepoInfo] = None,
    error_score_handler: Optional[Callable[..., Any]] = None,
    description: Optional[str] = None,
    summarize_scores: bool = True,
    no_send_logs: bool = False,
    parameters: Any = None,
    on_start: Optional[Callable[[ExperimentSummary], None]] = None,
    stream: Optional[Callable[[dict[str, Any]], None]] = None,
    parent: Optional[str] = None,
    state: Any = None,
    enable_cache: bool = True,
    cancel_event: Optional[threading.Event] = None,
    *,
    quiet: bool = False,
) -> EvalResultWithSummary:
    """Like :func:`Eval` (the same arguments), awaitable from a running event loop."""
    ev = _evaluator(dict(locals()))
    if _collector.active:
        _collector.evaluators.append(ev)
        return EvalResultWithSummary(None, [])
    return await _run_and_report(ev)


def Eval(
    name: str,
    data: Any,
    task: Callable[..., Any],
    scores: Optional[Sequence[Any]] = None,
    classifiers: Optional[Sequence[Any]] = None,
    experiment_name: Optional[str] = None,
    trial_count: int = 1,
    metadata: Optional[dict[str, Any]] = None,
    tags: Optional[Sequence[str]] = None,
    is_public: bool = False,
    update: bool = False,
    reporter: Optional[Reporter] = None,
    timeout: Optional[float] = None,
    max_concurrency: Optional[int] = None,
    project_id: Optional[str] = None,
    base_experiment_name: Optional[str] = None,
    base_experiment_id: Optional[str] = None,
    git_metadata_settings: Optional[GitMetadataSettings] = None,
    repo_info: Optional[RepoInfo] = None,
    error_score_handler: Optional[Callable[..., Any]] = None,
    description: Optional[str] = None,
    summarize_scores: bool = True,
    no_send_logs: bool = False,
    parameters: Any = None,
    on_start: Optional[Callable[[ExperimentSummary], None]] = None,
    stream: Optional[Callable[[dict[str, Any]], None]] = None,
    parent: Optional[str] = None,
    state: Any = None,
    enable_cache: bool = True,
    cancel_event: Optional[threading.Event] = None,
    *,
    quiet: bool = False,
) -> EvalResultWithSummary:
    """Runs an evaluation: ``task`` over every case of ``data``, scored by ``scores``.

    Every case becomes a trace in an experiment of project ``name``: an ``eval``
    root span, a ``task`` child (LLM calls made by the task nest inside it),
    and one ``score`` child per scorer. Errors in a task or scorer are
    recorded on the case and the run goes on. The arguments are the official
    SDK's, in its order.

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
            these; autoevals scorers work as they are.
        classifiers: Functions like scorers that return a class (a dict with
            ``id`` and optional ``name``, ``label``, ``metadata``, or a list of
            them); recorded under the case's ``classifications``.
        experiment_name: The experiment's name; generated when omitted.
        trial_count: How many times to run each case.
        metadata: Metadata about the experiment.
        tags: Tags for the experiment.
        is_public: Whether the experiment is public (on the service).
        update: Continue the experiment named ``experiment_name``.
        reporter: A :class:`Reporter` deciding what is printed.
        timeout: Seconds for the whole run; past it the run stops (the
            ``cancel_event`` is set) and raises ``asyncio.TimeoutError``.
        max_concurrency: Cases running at once (10): threads for sync tasks,
            tasks for async ones (see ``set_thread_pool_max_workers``).
        project_id: Log to this project id instead of the project ``name``.
        base_experiment_name, base_experiment_id: What to compare with; by
            default the project's previous experiment.
        git_metadata_settings, repo_info: The git metadata the experiment records.
        error_score_handler: ``(root_span, case, unhandled_score_names) ->
            scores``, called when the task or some scorers failed; the scores
            it returns go into the case's result.
        description: The experiment's description.
        summarize_scores: Summarize scores against the base (else the summary
            has names and links only).
        no_send_logs: Store nothing; the summary is still computed and printed.
        parameters: Passed to the task as ``hooks.parameters``; saved parameters
            (``load_parameters(...)``) give the task their values and are
            recorded on the experiment.
        on_start: Called with an :class:`ExperimentSummary` of the new
            experiment (names and links, no scores) before any case runs.
        stream: Called with the progress events tasks report
            (``hooks.report_progress``).
        parent: A span's ``export()`` slug (or a parent string): the cases'
            spans go under it and no experiment is made.
        state: The official SDK's internal state object; only None is accepted.
        enable_cache: Accepted; there is no span cache to switch here (a
            scorer's ``trace`` reads the stored spans).
        cancel_event: A ``threading.Event``; setting it stops the run (no new
            case starts, running ones stop at their next step) and raises
            ``asyncio.CancelledError``.
        quiet: Print nothing (no progress bar, no summary). Not in the official SDK.

    Returns:
        :class:`EvalResultWithSummary`: ``.summary`` and ``.results``. Called
        inside a running event loop, an ``asyncio.Task`` giving it instead:
        ``await braintrust.Eval(...)``.
    """
    import asyncio

    ev = _evaluator(dict(locals()))
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
