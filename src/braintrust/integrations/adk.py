"""``braintrust.integrations.adk``: Google ADK (as in the official SDK)."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from .._adk import setup_adk
from ._base import Integration

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


def _wrap(target: Any, kind: str) -> Any:
    from braintrust_otel.instrumentation import adk

    from .. import _state

    _state.tracer()
    return adk.wrap_class(target, kind)


def wrap_agent(Agent: Any) -> Any:
    """Traces the runs of one ADK agent class (and its subclasses); returns it.

    ``Agent.run_async`` gets the instrumentor's wrapper: an ``agent_run [<name>]``
    row per run. Other agent classes stay untraced (``setup_adk()`` traces them
    all); wrapping again, or with ``setup_adk()`` on too, adds no second row.

    Args:
        Agent: ``google.adk.agents.Agent`` (``LlmAgent``), another agent class,
            or an agent object.

    Raises:
        TypeError: When ``Agent`` has no ``run_async``, or cannot be patched.
    """
    return _wrap(Agent, "agent")


def wrap_runner(Runner: Any) -> Any:
    """As :func:`wrap_agent`, for one runner class: an ``invocation [<app>]`` row per run."""
    return _wrap(Runner, "runner")


def wrap_workflow(Workflow: Any) -> Any:
    """Traces ADK 2 workflow runs and returns ``Workflow`` (``google.adk.workflow.Workflow``).

    As in the official helper, the wrapper goes on the node base class the
    workflow inherits from (``BaseNode.run``: a ``workflow``/``workflow_node``
    row per run, for every workflow) and on the tool node (a ``tool`` row per
    tool a workflow runs directly).

    Raises:
        TypeError: When ``Workflow`` is not an ADK workflow class.
    """
    base = next((cls for cls in getattr(Workflow, "__mro__", ()) if cls.__name__ == "BaseNode"
                 and cls.__module__.startswith("google.adk.workflow")), None)
    if base is None:
        raise TypeError(f"Workflow must be an ADK workflow class: {Workflow!r}")
    _wrap(base, "node")
    try:
        tool_node = importlib.import_module("google.adk.workflow._tool_node")
    except ImportError:
        return Workflow
    if hasattr(tool_node, "_ToolNode"):
        _wrap(tool_node._ToolNode, "tool_node")
    return Workflow


def wrap_flow(Flow: Any) -> Any:
    """As :func:`wrap_agent`, for one LLM flow class (``BaseLlmFlow`` or a subclass).

    A ``call_llm`` row per flow run and an ``llm_call [<kind>]`` row per model call.
    """
    return _wrap(Flow, "flow")


def wrap_mcp_tool(McpTool: Any) -> Any:
    """As :func:`wrap_agent`, for one MCP tool class: an ``mcp_tool [<name>]`` row per call.

    The row has the tool's name and arguments in, its result (or error) out.
    """
    return _wrap(McpTool, "mcp_tool")
