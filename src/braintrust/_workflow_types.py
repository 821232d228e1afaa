"""The values a workflow evaluation's callbacks take and return (pure data, no I/O)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, Literal, TypeVar, Union

from ._summary import ExperimentSummary

__all__ = [
    "WorkflowBatchItem", "WorkflowBatchItemResult", "WorkflowBatchScorer", "WorkflowBatchTask",
    "WorkflowBatchingOptions", "WorkflowEvalCompletedResult", "WorkflowEvalPending",
    "WorkflowEvalResult", "WorkflowEvalWaitingResult", "WorkflowScorer", "WorkflowScorerItem",
    "WorkflowScorerResult", "WorkflowSubmissionCompletion", "WorkflowSubmissionCompletionPoll",
    "WorkflowSubmissionCompletionWebhook", "WorkflowSubmissionContext", "WorkflowSubmissionPoll",
    "WorkflowTask", "WorkflowTaskItem", "WorkflowTaskResult",
]

Input = TypeVar("Input")
Output = TypeVar("Output")
Expected = TypeVar("Expected")
SubmissionData = TypeVar("SubmissionData")


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclasses.dataclass(frozen=True)
class WorkflowSubmissionContext:
    """Which run and which submission a callback is working on.

    Attributes:
        run_id: The workflow run (what ``WorkflowEval.start`` returned).
        submission_id: The submission, stable across retries and processes.
    """

    run_id: str
    submission_id: str


@dataclasses.dataclass(frozen=True)
class WorkflowSubmissionPoll:
    """What a ``poll`` callback reports about a provider operation.

    Attributes:
        status: ``"pending"`` (ask again later), ``"complete"`` (collect it) or
            ``"failed"`` (``error`` is raised from ``WorkflowEval.poll``).
        error: The failure, an exception or a message.
    """

    status: Literal["pending", "complete", "failed"]
    error: Any = None


@dataclasses.dataclass(frozen=True)
class WorkflowSubmissionCompletionPoll(Generic[SubmissionData]):
    """Completion by polling: ``WorkflowEval.poll`` calls ``poll(data, context)``.

    Args:
        poll: Takes what ``submit`` returned and the context; returns a
            :class:`WorkflowSubmissionPoll` (or a dict of its fields), sync or async.
    """

    # Returns a WorkflowSubmissionPoll or a dict of its fields, or an awaitable of one.
    poll: Callable[[SubmissionData, WorkflowSubmissionContext], Any]
    mode: Literal["poll"] = dataclasses.field(default="poll", init=False)


@dataclasses.dataclass(frozen=True)
class WorkflowSubmissionCompletionWebhook(Generic[SubmissionData]):
    """Completion by a webhook: the provider calls you back, and you call
    ``WorkflowEval.process_submission_result(external_id=...)``.

    Args:
        get_external_id: Takes what ``submit`` returned and the context; returns
            the provider's id for the operation (a non-empty str), which the
            webhook will carry.
    """

    get_external_id: Callable[[SubmissionData, WorkflowSubmissionContext],
                              Union[str, Awaitable[str]]]
    mode: Literal["webhook"] = dataclasses.field(default="webhook", init=False)


WorkflowSubmissionCompletion = Union[WorkflowSubmissionCompletionPoll[Any],
                                     WorkflowSubmissionCompletionWebhook[Any]]


@dataclasses.dataclass(frozen=True)
class WorkflowTaskItem(Generic[Input, Expected]):
    """One trial of one case, given to a workflow task's ``submit``.

    Attributes:
        id: ``"<case id>:trial:<n>"``, unique in the run.
        input, expected, metadata, tags: The case's.
        parameters: The parameters the run was started with.
        trial_index: Which trial (0-based).
    """

    id: str
    input: Input
    expected: Expected | None
    metadata: dict[str, Any]
    tags: list[str] | None
    parameters: dict[str, Any] | None
    trial_index: int


@dataclasses.dataclass(frozen=True)
class WorkflowTaskResult(Generic[Output]):
    """What a workflow task's ``collect`` returns for one item.

    Attributes:
        output: The task's output (JSON-able).
        metadata: Merged into the case's metadata.
        tags: Replace the case's tags when given.
    """

    output: Output
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None


@dataclasses.dataclass(frozen=True)
class WorkflowBatchingOptions:
    """How items are grouped into one provider batch.

    Args:
        max_size: Items per batch at most (a positive int).
        max_wait_ms: For scorer batches: how long a partial batch may wait for
            more finished tasks before it is submitted anyway (None: until every
            task has finished).

    Raises:
        ValueError: On a bad ``max_size`` or ``max_wait_ms``.
    """

    max_size: int
    max_wait_ms: int | float | None = None

    def __post_init__(self) -> None:
        if not _positive_int(self.max_size):
            raise ValueError("batching.max_size must be a positive integer")
        wait = self.max_wait_ms
        if wait is not None and (isinstance(wait, bool) or not isinstance(wait, (int, float))
                                 or not wait >= 0):
            raise ValueError("batching.max_wait_ms must be a non-negative number")


@dataclasses.dataclass(frozen=True)
class WorkflowBatchItem(Generic[Input]):
    """One item of a batch: ``custom_id`` names it in the provider's results.

    The wrapped item's fields (``input``, ``expected``, ...) read through.
    """

    custom_id: str
    item: Input

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.item, name)


@dataclasses.dataclass(frozen=True)
class WorkflowBatchItemResult(Generic[Output]):
    """A batch ``collect``'s answer for one item: a result, or an error."""

    custom_id: str
    result: Output | None = None
    error: Any = None


@dataclasses.dataclass(frozen=True)
class WorkflowScorerItem(Generic[Input, Output, Expected]):
    """One finished trial, given to a workflow scorer's ``submit``."""

    id: str
    input: Input
    output: Output
    expected: Expected | None
    metadata: dict[str, Any]
    tags: list[str] | None
    trial_index: int


@dataclasses.dataclass(frozen=True)
class WorkflowScorerResult:
    """What a workflow scorer's ``collect`` returns: anything a scorer may return
    (a number, a dict with ``score``, a :class:`braintrust.Score`, a list)."""

    score: Any


BatchCollected = Union[Iterable[WorkflowBatchItemResult[Any]],
                       AsyncIterable[WorkflowBatchItemResult[Any]]]


@dataclasses.dataclass(frozen=True)
class WorkflowTask(Generic[Input, Output, Expected, SubmissionData]):
    """A task run by a provider, one submission per trial.

    Args:
        submit: ``(WorkflowTaskItem, context) -> data`` starts the operation;
            ``data`` (JSON-able) is kept in the workflow store.
        completion: :class:`WorkflowSubmissionCompletionPoll` or
            :class:`WorkflowSubmissionCompletionWebhook`.
        collect: ``(data, context) -> WorkflowTaskResult`` once it is complete.
    """

    submit: Callable[[WorkflowTaskItem[Input, Expected], WorkflowSubmissionContext], Any]
    completion: WorkflowSubmissionCompletion
    collect: Callable[[SubmissionData, WorkflowSubmissionContext], Any]


@dataclasses.dataclass(frozen=True)
class WorkflowBatchTask(Generic[Input, Output, Expected, SubmissionData]):
    """A task run by a provider in batches of trials.

    Args:
        batching: :class:`WorkflowBatchingOptions`.
        submit: ``([WorkflowBatchItem], context) -> data``.
        completion: As for :class:`WorkflowTask`.
        collect: ``(data, context)`` -> an iterable (or async iterable) of
            :class:`WorkflowBatchItemResult` whose results are
            :class:`WorkflowTaskResult`.
    """

    batching: WorkflowBatchingOptions
    submit: Callable[[Sequence[WorkflowBatchItem[Any]], WorkflowSubmissionContext], Any]
    completion: WorkflowSubmissionCompletion
    collect: Callable[[SubmissionData, WorkflowSubmissionContext], Any]


@dataclasses.dataclass(frozen=True)
class WorkflowScorer(Generic[Input, Output, Expected, SubmissionData]):
    """A scorer run by a provider, one submission per finished trial.

    Args:
        name: The score's name (non-empty, unique among the scorers).
        submit: ``(WorkflowScorerItem, context) -> data``.
        completion: As for :class:`WorkflowTask`.
        collect: ``(data, context) -> WorkflowScorerResult``.

    Raises:
        ValueError: When ``name`` is empty.
    """

    name: str
    submit: Callable[[WorkflowScorerItem[Input, Output, Expected], WorkflowSubmissionContext],
                     Any]
    completion: WorkflowSubmissionCompletion
    collect: Callable[[SubmissionData, WorkflowSubmissionContext], Any]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("WorkflowScorer name must be a non-empty string")


@dataclasses.dataclass(frozen=True)
class WorkflowBatchScorer(Generic[Input, Output, Expected, SubmissionData]):
    """A scorer run by a provider in batches of finished trials.

    Args: as :class:`WorkflowScorer`, plus ``batching``; ``collect`` returns
    :class:`WorkflowBatchItemResult` values whose results are
    :class:`WorkflowScorerResult`.
    """

    name: str
    batching: WorkflowBatchingOptions
    submit: Callable[[Sequence[WorkflowBatchItem[Any]], WorkflowSubmissionContext], Any]
    completion: WorkflowSubmissionCompletion
    collect: Callable[[SubmissionData, WorkflowSubmissionContext], Any]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("WorkflowBatchScorer name must be a non-empty string")


@dataclasses.dataclass(frozen=True)
class WorkflowEvalPending:
    """Submissions made and not yet complete, by how they complete."""

    poll: int
    webhook: int


@dataclasses.dataclass(frozen=True)
class WorkflowEvalWaitingResult:
    """The run is not finished: some submissions are still out."""

    run_id: str
    pending: WorkflowEvalPending
    status: Literal["waiting"] = dataclasses.field(default="waiting", init=False)


@dataclasses.dataclass(frozen=True)
class WorkflowEvalCompletedResult:
    """The run is finished: every trial was run, scored and logged."""

    run_id: str
    pending: WorkflowEvalPending
    summary: ExperimentSummary
    status: Literal["completed"] = dataclasses.field(default="completed", init=False)


WorkflowEvalResult = Union[WorkflowEvalWaitingResult, WorkflowEvalCompletedResult]
