"""``braintrust.wrappers.claude_agent_sdk``: tracing the Claude Agent SDK."""

from __future__ import annotations

from .._claude_agent_sdk import setup_claude_agent_sdk

__all__ = ["setup_claude_agent_sdk"]
