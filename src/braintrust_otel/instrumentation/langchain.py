"""Tracing for LangChain (and LangGraph): every run as an OTel span.

:class:`LangChainInstrumentor` installs one ``LangChainCallbackHandler``
(``_langchain_handler.py``) for every run through LangChain's configure hooks;
a handler passed in ``callbacks=`` replaces it for that run. Chains become
``task`` rows, model runs ``llm`` rows (messages, model, tokens), tools
``tool`` and retrievers ``function``; each span is current while its run
lasts, so what a run calls nests under it, and provider instrumentors add no
second row for a model run.

This module imports LangChain only when instrumenting, so loading the entry
point costs nothing where LangChain is unused.
"""

from __future__ import annotations

import contextvars
import threading
from typing import TYPE_CHECKING, Any, Optional

from ._lazy import LazyInstrumentor

if TYPE_CHECKING:
    from ._langchain_handler import LangChainCallbackHandler

__all__ = ["LangChainInstrumentor", "clear_global_handler", "get_global_handler",
           "set_global_handler"]

_instruments = ("langchain-core >= 0.3",)


#: LangChain adds the handler held here to every run it configures (a configure
#: hook), unless the run already has a handler of this class. Created on first
#: use, with the handler as its default, so threads started later see it too.
_GLOBAL: Optional[contextvars.ContextVar[Optional[LangChainCallbackHandler]]] = None
_GLOBAL_LOCK = threading.Lock()


def _global_var(default: Optional[LangChainCallbackHandler] = None
                ) -> contextvars.ContextVar[Optional[LangChainCallbackHandler]]:
    global _GLOBAL
    with _GLOBAL_LOCK:
        if _GLOBAL is None:
            from langchain_core.tracers.context import register_configure_hook

            from ._langchain_handler import LangChainCallbackHandler

            _GLOBAL = contextvars.ContextVar("braintrust_langchain_handler", default=default)
            register_configure_hook(_GLOBAL, True, LangChainCallbackHandler)
        return _GLOBAL


def set_global_handler(handler: LangChainCallbackHandler) -> None:
    """Makes ``handler`` trace every LangChain run started in the current context.

    Raises:
        TypeError: When ``handler`` is not a :class:`LangChainCallbackHandler`.
    """
    from ._langchain_handler import LangChainCallbackHandler

    if not isinstance(handler, LangChainCallbackHandler):
        raise TypeError(f"set_global_handler(): handler must be a BraintrustCallbackHandler, "
                        f"not {type(handler).__name__}")
    _global_var().set(handler)


def get_global_handler() -> Optional[LangChainCallbackHandler]:
    """The handler that traces LangChain runs in the current context, if any."""
    return _global_var().get()


def clear_global_handler() -> None:
    """Stops the global handler from tracing runs started in the current context."""
    _global_var().set(None)


class LangChainInstrumentor(LazyInstrumentor):
    """Traces every LangChain run through a global :class:`LangChainCallbackHandler`."""

    _handler: Optional[LangChainCallbackHandler] = None

    library = "langchain_core"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        from ._langchain_handler import LangChainCallbackHandler

        cls = LangChainInstrumentor
        if cls._handler is None:
            cls._handler = LangChainCallbackHandler(kwargs.get("tracer_provider"))
            var = _global_var(cls._handler)
            if var.get() is None:  # the variable existed before: set it here at least
                var.set(cls._handler)
        cls._handler.enabled = True

    def _unpatch(self, **kwargs: Any) -> None:
        # Configure hooks cannot be removed: the handler stays and stops tracing.
        if LangChainInstrumentor._handler is not None:
            LangChainInstrumentor._handler.enabled = False
