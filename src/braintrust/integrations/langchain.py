"""``braintrust.integrations.langchain``: LangChain, as in the official SDK (needs it)."""

from __future__ import annotations

from .._langchain import BraintrustCallbackHandler, set_global_handler, setup_langchain
from ._base import Integration

__all__ = ["BraintrustCallbackHandler", "LangChainIntegration", "set_global_handler",
           "setup_langchain"]


class LangChainIntegration(Integration):
    """LangChain's tracing: ``LangChainIntegration.setup()`` installs a global handler."""

    name = "langchain"
