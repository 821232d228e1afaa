"""``braintrust.wrappers.langchain``: tracing LangChain (needs ``langchain-core``)."""

from __future__ import annotations

from .._langchain import (
    BraintrustCallbackHandler,
    clear_global_handler,
    get_global_handler,
    set_global_handler,
    setup_langchain,
)

__all__ = ["BraintrustCallbackHandler", "clear_global_handler", "get_global_handler",
           "set_global_handler", "setup_langchain"]
