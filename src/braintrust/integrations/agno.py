"""``braintrust.integrations.agno``: Agno (as in the official SDK).

Each ``wrap_*`` traces the one class it is given (and its subclasses);
``setup_agno()`` traces them all. The ``wrap_*_eval`` helpers log Agno's
evals as ``eval`` rows with scores; ``wrap_eval_suite`` makes each suite run
an experiment with one row per case.
"""

from __future__ import annotations

from typing import Any

from .._agno import setup_agno
from ._base import Integration

__all__ = ["AgnoIntegration", "setup_agno", "wrap_accuracy_eval", "wrap_agent",
           "wrap_agent_as_judge_eval", "wrap_eval_suite", "wrap_function_call", "wrap_model",
           "wrap_performance_eval", "wrap_reliability_eval", "wrap_team", "wrap_workflow"]


class AgnoIntegration(Integration):
    """Agno's tracing: ``AgnoIntegration.setup()`` turns it on."""

    name = "agno"


def _otel() -> Any:
    from braintrust_otel.instrumentation import agno

    from .. import _state

    _state.tracer()
    return agno


def wrap_agent(Agent: Any) -> Any:
    """Traces runs of agents of one Agno agent class (and its subclasses); returns it.

    Other agents stay untraced (``setup_agno()`` traces them all); wrapping
    the class again changes nothing.

    Args:
        Agent: ``agno.agent.Agent`` or a subclass.

    Raises:
        TypeError: When ``Agent`` is not a class.
        ImportError: When ``openinference-instrumentation-agno`` is missing.
    """
    return _otel().wrap_agent(Agent)


def wrap_team(Team: Any) -> Any:
    """As :func:`wrap_agent`, for runs of one Agno team class (``agno.team.Team``)."""
    return _otel().wrap_team(Team)


def wrap_model(Model: Any) -> Any:
    """Traces invocations of one Agno model class and its subclasses loaded now; returns it."""
    return _otel().wrap_model(Model)


def wrap_function_call(FunctionCall: Any) -> Any:
    """Traces tool calls made through one class (``agno.tools.function.FunctionCall``)."""
    return _otel().wrap_function_call(FunctionCall)


def wrap_workflow(Workflow: Any) -> Any:
    """Traces runs of workflows of one Agno workflow class (and its subclasses); returns it."""
    return _otel().wrap_workflow(Workflow)


def wrap_accuracy_eval(AccuracyEval: Any) -> Any:
    """Traces runs of one ``AccuracyEval`` class; returns it.

    Each run is an ``eval`` row (input, expected and output of the last
    iteration, the average score over 10 as ``accuracy``); each iteration's
    judgement a ``score`` row inside it.
    """
    return _otel().wrap_accuracy_eval(AccuracyEval)


def wrap_agent_as_judge_eval(AgentAsJudgeEval: Any) -> Any:
    """Traces runs of one ``AgentAsJudgeEval`` class; returns it.

    A run is an ``eval`` row scored ``judge``; in a batch each graded pair is
    a ``score`` row too. Run as an agent's post-hook, its score also goes on
    the agent run it judges.
    """
    return _otel().wrap_agent_as_judge_eval(AgentAsJudgeEval)


def wrap_reliability_eval(ReliabilityEval: Any) -> Any:
    """Traces runs of one ``ReliabilityEval`` class (an ``eval`` row scored
    ``reliability``: 1 passed, 0 failed); returns it."""
    return _otel().wrap_reliability_eval(ReliabilityEval)


def wrap_performance_eval(PerformanceEval: Any) -> Any:
    """Traces runs of one ``PerformanceEval`` class: one ``eval`` row with the
    timings as metrics; the spans of the measured runs are suppressed. Returns it."""
    return _otel().wrap_performance_eval(PerformanceEval)


def wrap_eval_suite(suite_module: Any) -> Any:
    """Traces runs of ``agno.eval.suite``: each case an ``eval`` row with its
    scores, each run a new experiment (see ``setup_agno``). Returns the module."""
    from .._agno import suite_experiments

    _otel().wrap_eval_suite(suite_module)
    return suite_experiments(suite_module)
