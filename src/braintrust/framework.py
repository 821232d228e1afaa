"""The official SDK's ``braintrust.framework`` module path.

Real code imports evaluation types from here (``from braintrust.framework
import EvalCase, EvalHooks``); each name is the same object as
``braintrust.<name>``.
"""

from __future__ import annotations

from ._compat import BaseExperiment, SpanTypeAttribute, parent_context
from ._dataset import Dataset
from ._eval import DEFAULT_REPORTER as default_reporter
from ._eval import (
    Eval,
    EvalAsync,
    EvalCase,
    EvalHooks,
    EvalResult,
    EvalResultWithSummary,
    EvalScorerArgs,
    Evaluator,
    Reporter,
    set_thread_pool_max_workers,
)
from ._experiment import Experiment
from ._experiment import framework_init_experiment as init_experiment
from ._git import GitMetadataSettings, RepoInfo
from ._parameters import RemoteEvalParameters
from ._score import Classification, NamedScoreDict, Score, ScoreDict
from ._span import Span, start_span
from ._summary import ExperimentSummary, ScoreSummary, SummarySuccess

#: The official SDK's name for the class of reporters (``Reporter`` makes one).
ReporterDef = Reporter

__all__ = [
    "BaseExperiment",
    "Classification",
    "Dataset",
    "Eval",
    "EvalAsync",
    "EvalCase",
    "EvalHooks",
    "EvalResult",
    "EvalResultWithSummary",
    "EvalScorerArgs",
    "Evaluator",
    "Experiment",
    "ExperimentSummary",
    "GitMetadataSettings",
    "NamedScoreDict",
    "RemoteEvalParameters",
    "RepoInfo",
    "Reporter",
    "ReporterDef",
    "Score",
    "ScoreDict",
    "ScoreSummary",
    "Span",
    "SpanTypeAttribute",
    "SummarySuccess",
    "default_reporter",
    "init_experiment",
    "parent_context",
    "set_thread_pool_max_workers",
    "start_span",
]
