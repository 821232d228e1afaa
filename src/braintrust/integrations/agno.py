"""``braintrust.integrations.agno``: Agno (as in the official SDK).

The official module also has ``wrap_*_eval`` helpers that log Agno's evals as
Braintrust experiments; they are not offered here.
"""

from __future__ import annotations

from typing import Any

from .._agno import setup_agno
from ._base import Integration

__all__ = ["AgnoIntegration", "setup_agno", "wrap_agent", "wrap_function_call", "wrap_model",
           "wrap_team", "wrap_workflow"]


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
