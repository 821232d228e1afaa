"""``braintrust.integrations.crewai``: CrewAI (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from .._crewai import patch_crewai, setup_crewai
from ._base import Integration

__all__ = ["BraintrustCrewAIListener", "CrewAIIntegration", "patch_crewai", "setup_crewai"]


class CrewAIIntegration(Integration):
    """CrewAI's tracing: ``CrewAIIntegration.setup()`` turns it on."""

    name = "crewai"


class BraintrustCrewAIListener:
    """Traces CrewAI once made, like the official listener of the same name.

    The official class listens on CrewAI's event bus; here the spans come from
    wrapping CrewAI's methods (so they are current and what runs inside nests
    under them), and making a listener turns that on. Passing it an event bus
    changes nothing: every crew in the process is traced.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.traced = patch_crewai()

    def setup_listeners(self, crewai_event_bus: Any = None) -> None:
        """Turns CrewAI tracing on (already done when the listener was made)."""
        self.traced = patch_crewai()
