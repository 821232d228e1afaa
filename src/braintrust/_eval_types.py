"""The objects an evaluation is made of: cases, hooks, results, evaluators, reporters."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

from ._git import GitMetadataSettings, RepoInfo
from ._serial import Serializable
from ._span import Span, safe_str
from ._summary import ExperimentSummary, input_key

__all__ = ["DEFAULT_REPORTER", "EvalCase", "EvalHooks", "EvalResult", "EvalResultWithSummary",
           "EvalScorerArgs", "Evaluator", "Reporter"]


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
    """What happened to one case (one trial); the fields in the official SDK's order.

    Attributes:
        scores: Score name to value, as the scorers returned them (a bool
            stays a bool here; the stored row has 1 or 0).
        classifications: Classifier name to the classes it gave.
        error: The exception the task raised (None when it succeeded; a
            failing scorer is recorded in ``metadata["scorer_errors"]``).
        exc_info: That exception's formatted traceback.
        id: The eval span's row id (not in the official SDK).
        trial_index: Which trial of the case this was (not in the official SDK).
    """

    input: Any
    output: Any
    scores: dict[str, Any] = dataclasses.field(default_factory=dict)
    classifications: Optional[dict[str, list[dict[str, Any]]]] = None
    expected: Any = None
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    tags: Optional[list[str]] = None
    error: Optional[BaseException] = None
    exc_info: Optional[str] = None
    origin: Optional[dict[str, Any]] = None
    id: Optional[str] = None
    trial_index: int = 0


@dataclasses.dataclass
class EvalResultWithSummary(Serializable):
    """What :func:`Eval` returns: the summary and every case's result."""

    summary: Optional[ExperimentSummary]
    results: list[EvalResult]

    def __str__(self) -> str:
        return str(self.summary) if self.summary is not None else "(no summary)"


@dataclasses.dataclass
class EvalScorerArgs(Serializable):
    """The arguments a scorer is offered, as one object (for typing a scorer's parameters).

    Scorers receive these by keyword (plus ``trace``); this class names them
    for code that passes them around together.
    """

    input: Any
    output: Any
    expected: Any = None
    metadata: Optional[dict[str, Any]] = None
    id: Optional[str] = None
    tags: Optional[Sequence[str]] = None


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
            ``cancel_event`` or its ``timeout``); a long task may check it.
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


def _error_text(result: EvalResult, verbose: bool) -> str:
    if verbose and result.exc_info:
        return result.exc_info.rstrip()
    error = result.error
    return " ".join(f"{type(error).__name__}: {safe_str(error)}".splitlines()[-1:])


def _default_report_eval(evaluator: Evaluator, result: EvalResultWithSummary,
                         verbose: bool = False, jsonl: bool = False) -> bool:
    failed = [r for r in result.results if r.error is not None]
    if jsonl:
        summary = result.summary.as_dict() if result.summary is not None else None
        print(json.dumps({"eval": evaluator.eval_name, "summary": summary,
                          "errors": len(failed)}, default=str))
    elif not evaluator.quiet:
        if failed:
            # The official SDK's first line; then each case (a traceback when
            # verbose, as Eval asks), and the summary all the same.
            plural = "error" if len(failed) == 1 else "errors"
            print(f"Evaluator {evaluator.eval_name} failed with {len(failed)} {plural}",
                  file=sys.stderr)
        for r in failed:
            print(f"case {input_key(r.input)[:80]} failed: {_error_text(r, verbose)}",
                  file=sys.stderr)
        print(result.summary)
    return not failed


def _default_report_run(reports: Sequence[Any], verbose: bool = False,
                        jsonl: bool = False) -> bool:
    return all(bool(r) for r in reports)


DEFAULT_REPORTER = Reporter("default")


@dataclasses.dataclass
class Evaluator:
    """Everything one ``Eval`` call describes (what ``braintrust eval`` collects).

    Attributes:
        eval_name: The evaluator's name: the project name, with
            ``[experiment_name=...]`` added when one was given (as the official
            SDK names it).
        project_name: The project the experiment goes in.
        parameter_values: Parameters already resolved; when set, the task gets
            these as ``hooks.parameters`` instead of ``parameters``.
        is_public, git_metadata_settings, repo_info: Given to the experiment
            (see ``braintrust.init``).
    """

    eval_name: str
    data: Any
    task: Callable[..., Any]
    scores: Sequence[Any]
    project_name: str = ""
    experiment_name: Optional[str] = None
    trial_count: int = 1
    metadata: Optional[dict[str, Any]] = None
    tags: Optional[list[str]] = None
    is_public: bool = False
    timeout: Optional[float] = None
    max_concurrency: Optional[int] = None
    project_id: Optional[str] = None
    base_experiment_name: Optional[str] = None
    base_experiment_id: Optional[str] = None
    git_metadata_settings: Optional[GitMetadataSettings] = None
    repo_info: Optional[RepoInfo] = None
    no_send_logs: bool = False
    parameters: Any = None
    parameter_values: Optional[dict[str, Any]] = None
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
    on_start: Optional[Callable[[ExperimentSummary], None]] = None

    def __post_init__(self) -> None:
        if not self.project_name:
            self.project_name = self.eval_name
