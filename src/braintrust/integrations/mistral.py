"""``braintrust.integrations.mistral``: the Mistral client (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration

__all__ = ["MistralIntegration", "wrap_mistral"]


class MistralIntegration(Integration):
    """The Mistral client's tracing: ``MistralIntegration.setup()`` turns it on."""

    name = "mistral"


def wrap_mistral(client: Any) -> Any:
    """Traces one ``Mistral`` client's calls and returns the client.

    Other clients stay untraced (``MistralIntegration.setup()`` traces them
    all); wrapping the same client again changes nothing.
    """
    from braintrust_otel.instrumentation.mistral import wrap_mistral as wrap

    from .. import _state

    _state.tracer()
    return wrap(client)
