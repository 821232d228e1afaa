"""``braintrust.integrations.ai_sdk``: the Python AI SDK (``ai``), as in the official SDK."""

from __future__ import annotations

from .._ai_sdk import setup_ai_sdk
from ._base import Integration

__all__ = ["AISDKIntegration", "patch_ai_sdk", "setup_ai_sdk", "unpatch_ai_sdk"]


class AISDKIntegration(Integration):
    """The AI SDK's tracing: ``AISDKIntegration.setup()`` turns it on."""

    name = "ai_sdk"


def patch_ai_sdk() -> bool:
    """Traces every AI SDK model call and agent run (no logger is started).

    Returns:
        Whether the AI SDK is traced (now, or when it is imported).
    """
    from .._auto import instrument_one

    return instrument_one("ai_sdk")


def unpatch_ai_sdk() -> bool:
    """Stops tracing the AI SDK.

    Returns:
        Whether it was traced until now.
    """
    from braintrust_otel.instrumentation.ai_sdk import AISDKInstrumentor

    instrumentor = AISDKInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        return False
    instrumentor.uninstrument()
    return True
