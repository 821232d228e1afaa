"""``braintrust.wrappers.pydantic_ai``: tracing Pydantic AI."""

from __future__ import annotations

from .._pydantic_ai import setup_pydantic_ai

__all__ = ["setup_pydantic_ai"]
