"""``braintrust.integrations.adk``: Google ADK (as in the official SDK)."""

from __future__ import annotations

import warnings
from typing import Any

from .._adk import setup_adk
from ._base import Integration, traced

__all__ = ["ADKIntegration", "setup_adk", "setup_braintrust", "wrap_agent", "wrap_flow",
           "wrap_mcp_tool", "wrap_runner", "wrap_workflow"]


class ADKIntegration(Integration):
    """Google ADK's tracing: ``ADKIntegration.setup()`` turns it on."""

    name = "adk"


def setup_braintrust(*args: Any, **kwargs: Any) -> bool:
    """Deprecated name of :func:`setup_adk` (warns, then calls it)."""
    warnings.warn("setup_braintrust is deprecated, use setup_adk instead", DeprecationWarning,
                  stacklevel=2)
    return setup_adk(*args, **kwargs)


def wrap_agent(Agent: Any) -> Any:
    """Traces ADK agents and returns ``Agent`` (ADK's spans cover every agent class)."""
    return traced("adk", Agent)


def wrap_runner(Runner: Any) -> Any:
    """Traces ADK runs and returns ``Runner``."""
    return traced("adk", Runner)


def wrap_workflow(Workflow: Any) -> Any:
    """Traces ADK workflows and returns ``Workflow``."""
    return traced("adk", Workflow)


def wrap_flow(Flow: Any) -> Any:
    """Traces ADK's model calls (its LLM flows) and returns ``Flow``."""
    return traced("adk", Flow)


def wrap_mcp_tool(McpTool: Any) -> Any:
    """Traces ADK tool calls, MCP tools included, and returns ``McpTool``."""
    return traced("adk", McpTool)
