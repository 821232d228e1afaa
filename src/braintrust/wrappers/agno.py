"""``braintrust.wrappers.agno``: tracing Agno."""

from __future__ import annotations

from .._agno import setup_agno

__all__ = ["setup_agno"]
