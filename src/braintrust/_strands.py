"""Strands Agents from the facade: ``setup_strands``.

``braintrust.wrappers.strands`` re-exports it.
"""

from __future__ import annotations

from typing import Optional

from braintrust_otel.instrumentation import library_present
from braintrust_otel.instrumentation.strands import StrandsInstrumentor

from . import _state
from ._span import NOOP_SPAN, current_span

__all__ = ["setup_strands"]


def setup_strands(api_key: Optional[str] = None, project_id: Optional[str] = None,
                  project_name: Optional[str] = None) -> bool:
    """Traces Strands agents (call it before building the first agent).

    Starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether Strands is now traced (False when it is not installed).
    """
    if current_span() is NOOP_SPAN:
        from ._logger import init_logger

        init_logger(project=project_name, project_id=project_id, api_key=api_key)
    if not library_present("strands"):
        return False
    _state.tracer()
    instrumentor = StrandsInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    return bool(instrumentor.is_instrumented_by_opentelemetry)
