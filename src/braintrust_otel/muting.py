"""Instrumentation scopes whose spans Braintrust leaves out.

Some libraries (Strands, Google ADK, AutoGen, LiveKit Agents) send OTel
spans to the global tracer provider by themselves, so an instrumentor that is
off cannot stop them; ``auto_instrument(strands=False)`` must still leave them
out of Braintrust. Their instrumentation scopes are muted here: the
Braintrust processor drops their spans (other processors on the provider
still get them) and gives their children the nearest kept ancestor as parent,
and the provider instrumentors stop treating them as a framework's model
call. AutoGen's, ADK's and LiveKit's stay muted while they are
instrumented too: their instrumentors make the official rows themselves.
"""

from __future__ import annotations

import threading

__all__ = ["OWN_SPAN_SCOPES", "WHILE_INSTRUMENTED", "is_muted", "mute", "muted_scopes", "unmute"]

#: auto_instrument flag -> the instrumentation scopes of the spans that library makes itself.
OWN_SPAN_SCOPES: dict[str, tuple[str, ...]] = {
    "strands": ("strands.telemetry.tracer",),
    "adk": ("gcp.vertex.agent",),
    "autogen": ("autogen-core", "autogen SingleThreadedAgentRuntime", "autogen Worker Runtime"),
    "livekit_agents": ("livekit-agents",),
}

#: Libraries whose own spans are muted only while their instrumentor is on (it makes
#: the official rows instead); a flag that is off leaves them alone, since they
#: exist only where the user turned them on (Pydantic AI's ``instrument=``).
WHILE_INSTRUMENTED: dict[str, tuple[str, ...]] = {
    "pydantic_ai": ("pydantic-ai",),
}

_muted: frozenset[str] = frozenset()
_lock = threading.Lock()


def _scopes(flag: str) -> tuple[str, ...]:
    return OWN_SPAN_SCOPES.get(flag, ()) + WHILE_INSTRUMENTED.get(flag, ())


def mute(flag: str) -> None:
    """Leaves the spans a library makes itself out of Braintrust (no-op for other flags)."""
    global _muted
    with _lock:
        _muted = _muted | frozenset(_scopes(flag))


def unmute(flag: str) -> None:
    """Undoes :func:`mute`: the library's own spans reach Braintrust again."""
    global _muted
    with _lock:
        _muted = _muted - frozenset(_scopes(flag))


def muted_scopes() -> frozenset[str]:
    """The scope names muted now."""
    return _muted


def is_muted(scope_name: str | None) -> bool:
    """Whether spans of the instrumentation scope ``scope_name`` are left out."""
    return scope_name is not None and scope_name in _muted
