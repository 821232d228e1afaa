"""``braintrust.integrations.openai``: the OpenAI client (as in the official SDK)."""

from __future__ import annotations

from typing import Optional

from .._auto import wrap_openai
from ._base import Integration, setup

__all__ = ["OpenAIIntegration", "setup_openai", "wrap_openai"]


class OpenAIIntegration(Integration):
    """Every OpenAI client's tracing: ``OpenAIIntegration.setup()`` turns it on."""

    name = "openai"


def setup_openai(api_key: Optional[str] = None, project_id: Optional[str] = None,
                 project_name: Optional[str] = None) -> bool:
    """Traces every OpenAI client; starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether OpenAI is traced (now, or when it is imported).
    """
    return setup("openai", api_key, project_id, project_name)
