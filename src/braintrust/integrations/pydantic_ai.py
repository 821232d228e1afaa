"""``braintrust.integrations.pydantic_ai``: Pydantic AI (as in the official SDK).

Pydantic AI makes OTel spans for agent runs and model requests itself; the
``wrap_*`` helpers turn that on and hand back what they were given (the
official ones patch it), so every agent and model request is traced.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from .._pydantic_ai import setup_pydantic_ai
from ._base import Integration, traced

__all__ = ["PydanticAIIntegration", "setup_pydantic_ai", "wrap_agent", "wrap_model_classes",
           "wrap_model_request", "wrap_model_request_stream", "wrap_model_request_stream_sync",
           "wrap_model_request_sync"]

F = TypeVar("F", bound=Callable[..., Any])


class PydanticAIIntegration(Integration):
    """Pydantic AI's tracing: ``PydanticAIIntegration.setup()`` turns it on."""

    name = "pydantic_ai"


def wrap_agent(Agent: Any) -> Any:
    """Traces Pydantic AI agent runs and returns ``Agent``."""
    return traced("pydantic_ai", Agent)


def wrap_model_classes() -> bool:
    """Traces every Pydantic AI model's requests; whether that is on."""
    from .._auto import instrument_one

    return instrument_one("pydantic_ai")


def wrap_model_request(original_func: F) -> F:
    """Traces model requests and returns ``original_func`` (Pydantic AI spans them)."""
    return traced("pydantic_ai", original_func)  # type: ignore[no-any-return]


def wrap_model_request_sync(original_func: F) -> F:
    """As :func:`wrap_model_request`, for the synchronous request function."""
    return traced("pydantic_ai", original_func)  # type: ignore[no-any-return]


def wrap_model_request_stream(original_func: F) -> F:
    """As :func:`wrap_model_request`, for the streamed request function."""
    return traced("pydantic_ai", original_func)  # type: ignore[no-any-return]


def wrap_model_request_stream_sync(original_func: F) -> F:
    """As :func:`wrap_model_request`, for the synchronous streamed request function."""
    return traced("pydantic_ai", original_func)  # type: ignore[no-any-return]
