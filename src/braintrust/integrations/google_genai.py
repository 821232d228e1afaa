"""``braintrust.integrations.google_genai``: the Google GenAI client (as in the official SDK)."""

from __future__ import annotations

from typing import Optional

from ._base import Integration, setup

__all__ = ["GoogleGenAIIntegration", "setup_genai"]


class GoogleGenAIIntegration(Integration):
    """Every ``google.genai`` client's tracing: ``GoogleGenAIIntegration.setup()`` turns it on."""

    name = "google_genai"


def setup_genai(api_key: Optional[str] = None, project_id: Optional[str] = None,
                project_name: Optional[str] = None) -> bool:
    """Traces every ``google.genai`` client; starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether it is traced (now, or when it is imported).
    """
    return setup("google_genai", api_key, project_id, project_name)
