"""``braintrust.wrappers.litellm``: tracing LiteLLM."""

from __future__ import annotations

from .._auto import instrument_one, wrap_litellm

__all__ = ["patch_litellm", "wrap_litellm"]


def patch_litellm() -> bool:
    """Traces ``litellm`` process-wide (as ``auto_instrument(litellm=True)``).

    Returns:
        Whether LiteLLM is traced now (or will be when it is imported).
    """
    return instrument_one("litellm")
