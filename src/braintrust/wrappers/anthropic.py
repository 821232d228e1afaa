"""``braintrust.wrappers.anthropic``: tracing one Anthropic client."""

from __future__ import annotations

from .._auto import wrap_anthropic

#: The official SDK's other name for :func:`wrap_anthropic`.
wrap_anthropic_client = wrap_anthropic

__all__ = ["wrap_anthropic", "wrap_anthropic_client"]
