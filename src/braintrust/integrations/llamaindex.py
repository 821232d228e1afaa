"""``braintrust.integrations.llamaindex``: LlamaIndex (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ..wrappers.llamaindex import setup_llamaindex
from ._base import Integration

__all__ = ["BraintrustSpanHandler", "LlamaIndexIntegration", "setup_llamaindex"]


class LlamaIndexIntegration(Integration):
    """LlamaIndex's tracing: ``LlamaIndexIntegration.setup()`` turns it on."""

    name = "llamaindex"


def _handler_class() -> Any:
    try:
        from braintrust_otel.instrumentation.llamaindex import span_handler_class

        base = span_handler_class()
    except ImportError as exc:
        error = exc

        class Missing:
            """Stands in when llama-index-core or OpenInference's LlamaIndex package is missing."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                raise ImportError(f"BraintrustSpanHandler needs them: {error}") from error

        return Missing

    class BraintrustSpanHandler(base):  # type: ignore[misc,valid-type]
        """A LlamaIndex span handler that traces the dispatcher it is added to.

        As with the official handler: ``get_dispatcher().add_span_handler(
        BraintrustSpanHandler())`` traces LlamaIndex's spans there (and under
        it); a handler made but not added records nothing. Adding one while
        ``setup_llamaindex()`` tracing is on adds no second span.
        """

        def __init__(self) -> None:
            from .. import _state

            _state.tracer()
            super().__init__()

    return BraintrustSpanHandler


BraintrustSpanHandler = _handler_class()
