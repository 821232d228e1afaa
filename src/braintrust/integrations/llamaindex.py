"""``braintrust.integrations.llamaindex``: LlamaIndex (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ..wrappers.llamaindex import setup_llamaindex
from ._base import Integration, traced

__all__ = ["BraintrustSpanHandler", "LlamaIndexIntegration", "setup_llamaindex"]


class LlamaIndexIntegration(Integration):
    """LlamaIndex's tracing: ``LlamaIndexIntegration.setup()`` turns it on."""

    name = "llamaindex"


def _handler_class() -> Any:
    try:
        from llama_index.core.instrumentation.span_handlers import BaseSpanHandler
    except ImportError as exc:
        error = exc

        class Missing:
            """Stands in when llama-index-core is not installed."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                raise ImportError("BraintrustSpanHandler needs llama-index-core") from error

        return Missing

    class BraintrustSpanHandler(BaseSpanHandler[Any]):  # type: ignore[misc]
        """A LlamaIndex span handler that traces LlamaIndex to Braintrust.

        Made (and added to a dispatcher, as with the official handler), it
        turns on this package's LlamaIndex instrumentation, whose own handler
        on the root dispatcher makes the spans; this one records nothing itself.
        """

        def model_post_init(self, __context: Any) -> None:
            super().model_post_init(__context)
            traced("llamaindex", None)

        @classmethod
        def class_name(cls) -> str:
            return "BraintrustSpanHandler"

        def new_span(self, id_: str, bound_args: Any, instance: Any = None,
                     parent_span_id: Any = None, tags: Any = None, **kwargs: Any) -> None:
            return None

        def prepare_to_exit_span(self, id_: str, bound_args: Any, instance: Any = None,
                                 result: Any = None, **kwargs: Any) -> None:
            return None

        def prepare_to_drop_span(self, id_: str, bound_args: Any, instance: Any = None,
                                 err: Any = None, **kwargs: Any) -> None:
            return None

    return BraintrustSpanHandler


BraintrustSpanHandler = _handler_class()
