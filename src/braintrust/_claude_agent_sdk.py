"""The Claude Agent SDK from the facade: ``setup_claude_agent_sdk``.

``braintrust.wrappers.claude_agent_sdk`` re-exports it.
"""

from __future__ import annotations

from typing import Optional

from braintrust_otel.instrumentation import library_present

from . import _state
from ._span import NOOP_SPAN, current_span

__all__ = ["setup_claude_agent_sdk"]


def setup_claude_agent_sdk(api_key: Optional[str] = None, project_id: Optional[str] = None,
                           project: Optional[str] = None) -> bool:
    """Traces every ``claude_agent_sdk.query`` and ``ClaudeSDKClient`` run.

    Starts a logger first when no span is current. The SDK may be imported
    before or after this call.

    Args:
        api_key, project_id: For the logger, as in ``init_logger``.
        project: The logger's project name.

    Returns:
        Whether the Claude Agent SDK is now traced (False when it is not installed).
    """
    if current_span() is NOOP_SPAN:
        from ._logger import init_logger

        init_logger(project=project, project_id=project_id, api_key=api_key)
    if not library_present("claude_agent_sdk"):
        return False
    _state.tracer()
    from braintrust_otel.instrumentation.claude_agent_sdk import ClaudeAgentSDKInstrumentor

    instrumentor = ClaudeAgentSDKInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(skip_dep_check=True)
    return bool(instrumentor.is_instrumented_by_opentelemetry)
