"""CrewAI from the facade: ``setup_crewai`` and ``patch_crewai``.

``braintrust.wrappers.crewai`` re-exports them.
"""

from __future__ import annotations

from typing import Optional

from braintrust_otel.instrumentation import library_present
from braintrust_otel.instrumentation.crewai import CrewAIInstrumentor

from . import _state
from ._span import NOOP_SPAN, current_span

__all__ = ["patch_crewai", "setup_crewai"]


def patch_crewai() -> bool:
    """Traces every CrewAI crew and flow run, its tasks and tool calls.

    Returns:
        Whether CrewAI is now traced (False when it is not installed).
    """
    if not library_present("crewai"):
        return False
    _state.tracer()
    instrumentor = CrewAIInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    return bool(instrumentor.is_instrumented_by_opentelemetry)


def setup_crewai(api_key: Optional[str] = None, project_id: Optional[str] = None,
                 project_name: Optional[str] = None) -> bool:
    """Like :func:`patch_crewai`, starting a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether CrewAI is now traced.
    """
    if current_span() is NOOP_SPAN:
        from ._logger import init_logger

        init_logger(project=project_name, project_id=project_id, api_key=api_key)
    return patch_crewai()
