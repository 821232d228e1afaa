"""``braintrust.wrappers.autogen``: tracing AutoGen AgentChat."""

from __future__ import annotations

from .._autogen import setup_autogen

__all__ = ["setup_autogen"]
