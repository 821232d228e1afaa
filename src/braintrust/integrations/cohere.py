"""``braintrust.integrations.cohere``: Cohere (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration

__all__ = ["CohereIntegration", "wrap_cohere"]


class CohereIntegration(Integration):
    """Cohere's tracing: ``CohereIntegration.setup()`` turns it on."""

    name = "cohere"


def wrap_cohere(client: Any) -> Any:
    """Traces one Cohere client and returns it; other clients stay untraced.

    Wrapping it again changes nothing.
    """
    from braintrust_otel.instrumentation.cohere import wrap_cohere as wrap

    from .. import _state

    _state.tracer()
    return wrap(client)
