"""``braintrust.integrations.dspy``: DSPy (as in the official SDK; needs dspy)."""

from __future__ import annotations

from .._dspy import BraintrustDSpyCallback, patch_dspy
from ._base import Integration

__all__ = ["BraintrustDSpyCallback", "DSPyIntegration", "patch_dspy"]


class DSPyIntegration(Integration):
    """DSPy's tracing: ``DSPyIntegration.setup()`` turns it on."""

    name = "dspy"
