"""``braintrust.integrations.mistral``: the Mistral client (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration, traced

__all__ = ["MistralIntegration", "wrap_mistral"]


class MistralIntegration(Integration):
    """The Mistral client's tracing: ``MistralIntegration.setup()`` turns it on."""

    name = "mistral"


def wrap_mistral(client: Any) -> Any:
    """Traces a ``Mistral`` client's calls and returns the client.

    The client classes are patched, so every Mistral client in the process is
    traced from now on, not only this one.
    """
    from .. import _state

    _state.tracer()
    return traced("mistral", client)
