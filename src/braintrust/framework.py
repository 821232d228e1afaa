"""The official SDK's ``braintrust.framework`` module path.

Real code imports evaluation types from here (``from braintrust.framework
import EvalCase, EvalHooks``); each name is the same object as
``braintrust.<name>``.
"""

from __future__ import annotations

from ._dataset import Dataset
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

__all__ = [
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
    "Score",
    "ScoreSummary",
    "Span",
    "init_experiment",
    "start_span",
]
