"""``braintrust.wrappers.adk``: tracing Google ADK."""

from __future__ import annotations

from ..integrations.adk import (
    setup_adk,
    setup_braintrust,
    wrap_agent,
    wrap_flow,
    wrap_mcp_tool,
    wrap_runner,
)

__all__ = ["setup_adk", "setup_braintrust", "wrap_agent", "wrap_flow", "wrap_mcp_tool",
           "wrap_runner"]
