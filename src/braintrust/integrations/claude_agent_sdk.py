"""``braintrust.integrations.claude_agent_sdk``: the Claude Agent SDK (as in the official SDK)."""

from __future__ import annotations

from .._claude_agent_sdk import setup_claude_agent_sdk
from ._base import Integration

__all__ = ["ClaudeAgentSDKIntegration", "setup_claude_agent_sdk"]


class ClaudeAgentSDKIntegration(Integration):
    """The Claude Agent SDK's tracing: ``ClaudeAgentSDKIntegration.setup()`` turns it on."""

    name = "claude_agent_sdk"
