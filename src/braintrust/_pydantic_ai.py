"""Pydantic AI from the facade: ``setup_pydantic_ai``.

``braintrust.wrappers.pydantic_ai`` re-exports it.
"""

from __future__ import annotations

from typing import Optional

from braintrust_otel.instrumentation.pydantic_ai import PydanticAIInstrumentor

from . import _state
from ._span import NOOP_SPAN, current_span

__all__ = ["setup_pydantic_ai"]


def setup_pydantic_ai(api_key: Optional[str] = None, project_id: Optional[str] = None,
                      project_name: Optional[str] = None) -> bool:
    """Traces every Pydantic AI agent run; starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether Pydantic AI is now traced (False when it is not installed).
    """
    if current_span() is NOOP_SPAN:
        from ._logger import init_logger

        init_logger(project=project_name, project_id=project_id, api_key=api_key)
    _state.tracer()
    try:
        import pydantic_ai  # noqa: F401
    except ImportError:
        return False
    instrumentor = PydanticAIInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    return bool(instrumentor.is_instrumented_by_opentelemetry)
