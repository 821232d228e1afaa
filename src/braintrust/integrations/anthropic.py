"""``braintrust.integrations.anthropic``: the Anthropic client (as in the official SDK)."""

from __future__ import annotations

from .._auto import wrap_anthropic
from ._base import Integration

__all__ = ["AnthropicIntegration", "wrap_anthropic", "wrap_anthropic_client"]

#: The official SDK's other name for :func:`wrap_anthropic` (one client traced).
wrap_anthropic_client = wrap_anthropic


class AnthropicIntegration(Integration):
    """Every Anthropic client's tracing: ``AnthropicIntegration.setup()`` turns it on."""

    name = "anthropic"
