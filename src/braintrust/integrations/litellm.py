"""``braintrust.integrations.litellm``: LiteLLM (as in the official SDK)."""

from __future__ import annotations

from ..wrappers.litellm import patch_litellm, wrap_litellm
from ._base import Integration

__all__ = ["LiteLLMIntegration", "patch_litellm", "wrap_litellm"]


class LiteLLMIntegration(Integration):
    """LiteLLM's tracing: ``LiteLLMIntegration.setup()`` turns it on."""

    name = "litellm"
