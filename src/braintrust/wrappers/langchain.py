"""``braintrust.wrappers.langchain``: tracing LangChain (needs ``langchain-core``)."""

from __future__ import annotations

import warnings
from typing import Any

from .._langchain import (
    BraintrustCallbackHandler,
    clear_global_handler,
    get_global_handler,
    set_global_handler,
    setup_langchain,
)

__all__ = ["BraintrustCallbackHandler", "BraintrustTracer", "clear_global_handler",
           "get_global_handler", "set_global_handler", "setup_langchain"]


class BraintrustTracer(BraintrustCallbackHandler):
    """The official SDK's deprecated name for :class:`BraintrustCallbackHandler`.

    Warns once made, then traces exactly as the handler does.

    Args:
        logger: As for :class:`BraintrustCallbackHandler`.
    """

    def __init__(self, logger: Any = None) -> None:
        warnings.warn("BraintrustTracer is deprecated, use BraintrustCallbackHandler instead "
                      "(from braintrust.integrations.langchain import "
                      "BraintrustCallbackHandler)", DeprecationWarning, stacklevel=2)
        super().__init__(logger=logger)
