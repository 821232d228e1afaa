"""``braintrust.integrations.autogen``: AutoGen AgentChat (as in the official SDK)."""

from __future__ import annotations

from .._autogen import setup_autogen
from ._base import Integration

__all__ = ["AutoGenIntegration", "setup_autogen"]


class AutoGenIntegration(Integration):
    """AutoGen AgentChat's tracing: ``AutoGenIntegration.setup()`` turns it on."""

    name = "autogen"
