"""``braintrust.integrations.livekit_agents``: LiveKit Agents (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration

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
    """Traces the sessions of one LiveKit ``AgentSession`` class and returns it.

    As the official helper does, this patches the class it is given: a
    ``livekit_agent_session`` row per session of that class (or a subclass),
    with its model request, tool and metrics rows; other sessions stay
    untraced (``setup_livekit_agents()`` traces them all). Wrapping again, or
    with ``setup_livekit_agents()`` on too, adds no second row.

    Args:
        target: ``livekit.agents.AgentSession`` or a subclass.

    Raises:
        TypeError: When ``target`` has no ``start``/``run``, or cannot be patched.
    """
    from braintrust_otel.instrumentation import livekit_agents

    from .. import _state

    _state.tracer()
    return livekit_agents.wrap_session_class(target)
