"""Google ADK from the facade: ``setup_adk``.

``braintrust.wrappers.adk`` re-exports it.
"""

from __future__ import annotations

import warnings
from typing import Optional

from braintrust_otel.instrumentation import library_present
from braintrust_otel.instrumentation.adk import ADKInstrumentor

from . import _state
from ._span import NOOP_SPAN, current_span

__all__ = ["setup_adk"]


def setup_adk(api_key: Optional[str] = None, project_id: Optional[str] = None,
              project_name: Optional[str] = None, SpanProcessor: Optional[type] = None) -> bool:
    """Traces Google ADK workflows, agents, model calls and tools.

    Starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.
        SpanProcessor: Deprecated in the official SDK and ignored there too
            (a DeprecationWarning when given).

    Returns:
        Whether ADK is now traced (False when it is not installed).
    """
    if SpanProcessor is not None:
        warnings.warn("setup_adk(SpanProcessor=...) is deprecated and ignored",
                      DeprecationWarning, stacklevel=2)
    if current_span() is NOOP_SPAN:
        from ._logger import init_logger

        init_logger(project=project_name, project_id=project_id, api_key=api_key)
    if not library_present("google.adk"):
        return False
    _state.tracer()
    instrumentor = ADKInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    return bool(instrumentor.is_instrumented_by_opentelemetry)
