"""``braintrust.integrations.openrouter``: the OpenRouter client (as in the official SDK)."""

from __future__ import annotations

from .._auto import wrap_openrouter
from ._base import Integration

__all__ = ["OpenRouterIntegration", "wrap_openrouter"]


class OpenRouterIntegration(Integration):
    """Every OpenRouter client's tracing: ``OpenRouterIntegration.setup()`` turns it on."""

    name = "openrouter"
