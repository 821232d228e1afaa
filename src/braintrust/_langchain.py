"""LangChain from the facade: ``BraintrustCallbackHandler``, the global handler, setup.

Importing this module needs ``langchain-core``; ``braintrust.wrappers.langchain``
re-exports its public names.
"""

from __future__ import annotations

from typing import Any, Optional

from braintrust_otel.instrumentation import _langchain_handler as _handler
from braintrust_otel.instrumentation import langchain as _lc

from . import _state
from ._span import NOOP_SPAN, NoopSpan, Span, current_span
from ._span_target import SpanTarget

__all__ = ["BraintrustCallbackHandler", "clear_global_handler", "get_global_handler",
           "set_global_handler", "setup_langchain"]


class BraintrustCallbackHandler(_handler.LangChainCallbackHandler):
    """A LangChain callback handler that logs every run to Braintrust.

    Pass it in ``config={"callbacks": [handler]}`` to trace one run, or to
    :func:`set_global_handler` to trace every run (``braintrust.auto_instrument()``
    installs one globally by itself).

    Args:
        logger: Where top-level runs go: a span to nest them under, or a
            logger or experiment; by default the current span or logger.
        debug: Accepted for compatibility; it changes nothing.

    Raises:
        TypeError: When ``logger`` is not a span, logger or experiment.
    """

    def __init__(self, logger: Any = None, debug: bool = False) -> None:
        parent: Optional[Any] = None
        bt_parent: Optional[str] = None
        if isinstance(logger, NoopSpan) or logger is None:
            pass
        elif isinstance(logger, Span):
            parent, bt_parent = logger.otel_span, logger.parent
        elif isinstance(logger, SpanTarget):
            bt_parent = logger.parent
        else:
            raise TypeError("BraintrustCallbackHandler(): logger must be a Span, Logger or "
                            f"Experiment, not {type(logger).__name__}")
        _state.tracer()
        super().__init__(parent=parent, bt_parent=bt_parent)
        self.logger = logger
        self.debug = debug


def set_global_handler(handler: BraintrustCallbackHandler) -> None:
    """Makes ``handler`` trace every LangChain run started in the current context.

    Raises:
        TypeError: When ``handler`` is not a :class:`BraintrustCallbackHandler`.
    """
    _lc.set_global_handler(handler)


def get_global_handler() -> Optional[_handler.LangChainCallbackHandler]:
    """The handler tracing LangChain runs in the current context, if any."""
    return _lc.get_global_handler()


def clear_global_handler() -> None:
    """Stops the global handler from tracing LangChain runs in the current context."""
    _lc.clear_global_handler()


def setup_langchain(api_key: Optional[str] = None, project_id: Optional[str] = None,
                    project_name: Optional[str] = None) -> bool:
    """Traces every LangChain run; starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether LangChain is now traced.
    """
    if current_span() is NOOP_SPAN:
        from ._logger import init_logger

        init_logger(project=project_name, project_id=project_id, api_key=api_key)
    _state.tracer()
    instrumentor = _lc.LangChainInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    return bool(instrumentor.is_instrumented_by_opentelemetry)
