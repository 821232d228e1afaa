"""``braintrust.integrations.agno``: Agno (as in the official SDK).

The official module also has ``wrap_*_eval`` helpers that log Agno's evals as
Braintrust experiments; they are not offered here.
"""

from __future__ import annotations

from typing import Any

from .._agno import setup_agno
from ._base import Integration, traced

__all__ = ["AgnoIntegration", "setup_agno", "wrap_agent", "wrap_function_call", "wrap_model",
           "wrap_team", "wrap_workflow"]


class AgnoIntegration(Integration):
    """Agno's tracing: ``AgnoIntegration.setup()`` turns it on."""

    name = "agno"


def wrap_agent(Agent: Any) -> Any:
    """Traces Agno agent runs and returns ``Agent`` (every agent class is covered)."""
    return traced("agno", Agent)


def wrap_team(Team: Any) -> Any:
    """Traces Agno team runs and returns ``Team``."""
    return traced("agno", Team)


def wrap_model(Model: Any) -> Any:
    """Traces Agno model invocations and returns ``Model``."""
    return traced("agno", Model)


def wrap_function_call(FunctionCall: Any) -> Any:
    """Traces Agno tool calls and returns ``FunctionCall``."""
    return traced("agno", FunctionCall)


def wrap_workflow(Workflow: Any) -> Any:
    """Traces Agno workflow runs and returns ``Workflow``."""
    return traced("agno", Workflow)
