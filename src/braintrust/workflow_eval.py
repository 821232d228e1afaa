"""The official SDK's ``braintrust.workflow_eval`` module path: workflow evaluations
(see :func:`braintrust.define_workflow_eval`). Public re-exports only."""

from __future__ import annotations

from ._workflow import WorkflowEval, define_workflow_eval
from ._workflow_store import (
    WorkflowEvalMemoryStore,
    WorkflowEvalRedisStore,
    WorkflowEvalStore,
    WorkflowEvalStoreEntry,
)
from ._workflow_types import (
    WorkflowBatchingOptions,
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

__all__ = [
    "WorkflowBatchItem",
    "WorkflowBatchItemResult",
    "WorkflowBatchScorer",
    "WorkflowBatchTask",
    "WorkflowBatchingOptions",
    "WorkflowEval",
    "WorkflowEvalCompletedResult",
    "WorkflowEvalMemoryStore",
    "WorkflowEvalPending",
    "WorkflowEvalRedisStore",
    "WorkflowEvalResult",
    "WorkflowEvalStore",
    "WorkflowEvalStoreEntry",
    "WorkflowEvalWaitingResult",
    "WorkflowScorer",
    "WorkflowScorerItem",
    "WorkflowScorerResult",
    "WorkflowSubmissionCompletionPoll",
    "WorkflowSubmissionCompletionWebhook",
    "WorkflowSubmissionContext",
    "WorkflowSubmissionPoll",
    "WorkflowTask",
    "WorkflowTaskItem",
    "WorkflowTaskResult",
    "define_workflow_eval",
]
