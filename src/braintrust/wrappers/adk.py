"""``braintrust.wrappers.adk``: tracing Google ADK."""

from __future__ import annotations

from .._adk import setup_adk

__all__ = ["setup_adk"]
