"""``braintrust.integrations.livekit_agents``: LiveKit Agents (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration, traced

__all__ = ["LiveKitAgentsIntegration", "setup_livekit_agents", "wrap_livekit_agents"]


class LiveKitAgentsIntegration(Integration):
    """LiveKit Agents's tracing: ``LiveKitAgentsIntegration.setup()`` turns it on."""

    name = "livekit_agents"


def setup_livekit_agents() -> bool:
    """Traces LiveKit Agents process-wide.

    Returns:
        Whether it is traced (now, or when it is imported).
    """
    from .._auto import instrument_one

    return instrument_one("livekit_agents")


def wrap_livekit_agents(target: Any) -> Any:
    """Traces LiveKit Agents and returns ``target`` (an ``AgentSession`` class).

    Unlike the official helper, which patches what it is given, this turns
    the LiveKit Agents instrumentation on for the whole process.
    """
    return traced("livekit_agents", target)
