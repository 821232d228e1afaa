"""``braintrust.wrappers.strands``: tracing Strands Agents."""

from __future__ import annotations

from .._strands import setup_strands

__all__ = ["setup_strands"]
