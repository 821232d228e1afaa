"""``braintrust.integrations.pydantic_ai``: Pydantic AI (as in the official SDK).

``setup_pydantic_ai`` (or ``PydanticAIIntegration.setup()``) traces every
agent with the official SDK's rows (``agent_run*``, ``chat <model>``, tool
rows). The ``wrap_*`` helpers turn Pydantic AI's own OTel spans on for what
they are given only: ``wrap_agent`` for one agent class (its subclasses too)
or agent, ``wrap_model_request*`` for the direct request function they return.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from .._pydantic_ai import setup_pydantic_ai
from ._base import Integration

__all__ = ["PydanticAIIntegration", "setup_pydantic_ai", "wrap_agent", "wrap_model_classes",
           "wrap_model_request", "wrap_model_request_stream", "wrap_model_request_stream_sync",
           "wrap_model_request_sync"]

F = TypeVar("F", bound=Callable[..., Any])


class PydanticAIIntegration(Integration):
    """Pydantic AI's tracing: ``PydanticAIIntegration.setup()`` turns it on."""

    name = "pydantic_ai"


def _otel() -> Any:
    from braintrust_otel.instrumentation import pydantic_ai

    from .. import _state

    _state.tracer()
    return pydantic_ai


def wrap_agent(Agent: Any) -> Any:
    """Traces runs of one Pydantic AI agent class (and its subclasses) or one agent.

    Args:
        Agent: ``pydantic_ai.Agent``, a subclass, or an agent object.

    Returns:
        ``Agent``; wrapping it again changes nothing.
    """
    return _otel().trace_agent(Agent)


def wrap_model_classes() -> bool:
    """Traces every Pydantic AI model's requests; whether that is on."""
    from .._auto import instrument_one

    return instrument_one("pydantic_ai")


def wrap_model_request(original_func: F) -> F:
    """Returns ``original_func`` (``pydantic_ai.direct.model_request``) tracing each request.

    The returned function asks Pydantic AI for its model-call span when the
    caller passes no ``instrument=``; a function without that parameter is
    returned unchanged.
    """
    return _otel().trace_requests(original_func)  # type: ignore[no-any-return]


def wrap_model_request_sync(original_func: F) -> F:
    """As :func:`wrap_model_request`, for ``model_request_sync``."""
    return _otel().trace_requests(original_func)  # type: ignore[no-any-return]


def wrap_model_request_stream(original_func: F) -> F:
    """As :func:`wrap_model_request`, for ``model_request_stream``."""
    return _otel().trace_requests(original_func)  # type: ignore[no-any-return]


def wrap_model_request_stream_sync(original_func: F) -> F:
    """As :func:`wrap_model_request`, for ``model_request_stream_sync``."""
    return _otel().trace_requests(original_func)  # type: ignore[no-any-return]
