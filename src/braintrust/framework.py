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
    Evaluator,
    Reporter,
)
from ._experiment import Experiment, init_experiment
from ._score import Score
from ._span import Span, start_span
from ._summary import ExperimentSummary, ScoreSummary

#: The official SDK's name for the class of reporters (``Reporter`` makes one).
ReporterDef = Reporter

__all__ = [
    "BaseExperiment",
    "Dataset",
    "Eval",
    "EvalAsync",
    "EvalCase",
    "EvalHooks",
    "EvalResult",
    "EvalResultWithSummary",
    "Evaluator",
    "Experiment",
    "ExperimentSummary",
    "Reporter",
    "ReporterDef",
    "Score",
    "ScoreSummary",
    "Span",
    "SpanTypeAttribute",
    "default_reporter",
    "init_experiment",
    "parent_context",
    "start_span",
]
