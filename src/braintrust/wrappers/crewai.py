"""``braintrust.wrappers.crewai``: tracing CrewAI."""

from __future__ import annotations

from .._crewai import patch_crewai, setup_crewai

__all__ = ["patch_crewai", "setup_crewai"]
