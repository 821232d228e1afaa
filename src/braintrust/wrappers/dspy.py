"""``braintrust.wrappers.dspy``: tracing DSPy (needs ``dspy``)."""

from __future__ import annotations

from .._dspy import BraintrustDSpyCallback, patch_dspy

__all__ = ["BraintrustDSpyCallback", "patch_dspy"]
