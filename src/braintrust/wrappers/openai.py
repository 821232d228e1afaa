"""``braintrust.wrappers.openai``: the OpenAI Agents SDK tracing processor."""

from __future__ import annotations

from typing import Any, Optional

from braintrust_otel.instrumentation.openai_agents import TracingProcessor

from .. import _state
from .._span import Span

__all__ = ["BraintrustTracingProcessor"]


class BraintrustTracingProcessor(TracingProcessor):
    """Logs OpenAI Agents SDK traces to Braintrust: ``agents.add_trace_processor(...)``.

    A trace started inside a Braintrust span nests under it. One started
    outside any span goes under ``logger`` when it is a span, or to the
    project or experiment of ``logger`` when it is a logger or experiment
    (else to the current logger). ``auto_instrument()`` adds an equivalent
    processor by itself: use one or the other, not both.

    Args:
        logger: A :class:`Span`, logger or experiment, or None.

    Raises:
        TypeError: When ``logger`` is none of those.
    """

    def __init__(self, logger: Optional[Any] = None) -> None:
        _state.tracer()
        root_span = None
        root_parent: Optional[str] = None
        if isinstance(logger, Span):
            root_span, root_parent = logger.otel_span, logger.parent
        elif logger is not None:
            root_parent = getattr(logger, "parent", None)
            if not isinstance(root_parent, str):
                raise TypeError("BraintrustTracingProcessor(logger=...) takes a span, logger or "
                                f"experiment, not {type(logger).__name__}")
        super().__init__(None, root_span, root_parent)
