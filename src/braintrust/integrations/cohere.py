"""``braintrust.integrations.cohere``: Cohere (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration, traced

__all__ = ["CohereIntegration", "wrap_cohere"]


class CohereIntegration(Integration):
    """Cohere's tracing: ``CohereIntegration.setup()`` turns it on."""

    name = "cohere"


def wrap_cohere(client: Any) -> Any:
    """Traces Cohere calls and returns ``client`` (a Cohere client).

    Unlike the official helper, which wraps the one client, this turns the
    Cohere instrumentation on, so every client in the process is traced.
    """
    return traced("cohere", client)
