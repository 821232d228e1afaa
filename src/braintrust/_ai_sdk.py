"""The Vercel AI SDK (``ai``) from the facade: ``setup_ai_sdk``.

The official SDK offers it at the top level too.
"""

from __future__ import annotations

from typing import Optional

from braintrust_otel.instrumentation.ai_sdk import AISDKInstrumentor

from . import _state
from ._span import NOOP_SPAN, current_span

__all__ = ["setup_ai_sdk"]


def setup_ai_sdk(api_key: Optional[str] = None, project_id: Optional[str] = None,
                      project_name: Optional[str] = None) -> bool:
    """Traces every AI SDK model call and agent run; starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether the AI SDK is now traced (False when it is not installed).
    """
    if current_span() is NOOP_SPAN:
        from ._logger import init_logger

        init_logger(project=project_name, project_id=project_id, api_key=api_key)
    _state.tracer()
    try:
        import ai  # noqa: F401
    except ImportError:
        return False
    instrumentor = AISDKInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    return bool(instrumentor.is_instrumented_by_opentelemetry)
