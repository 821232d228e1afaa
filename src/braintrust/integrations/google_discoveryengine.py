"""``braintrust.integrations.google_discoveryengine``: Google Discovery Engine (as in the
official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration

__all__ = ["GoogleDiscoveryEngineIntegration", "setup_google_discoveryengine",
           "wrap_google_discoveryengine"]


class GoogleDiscoveryEngineIntegration(Integration):
    """Discovery Engine's tracing: ``GoogleDiscoveryEngineIntegration.setup()`` turns it on."""

    name = "google_discoveryengine"


def setup_google_discoveryengine() -> bool:
    """Traces every Discovery Engine client.

    Returns:
        Whether it is traced (now, or when it is imported).
    """
    from .._auto import instrument_one

    return instrument_one("google_discoveryengine")


def wrap_google_discoveryengine(client: Any) -> Any:
    """Traces one Discovery Engine v1 client and returns it; other clients stay untraced.

    Wrapping it again changes nothing.
    """
    from braintrust_otel.instrumentation.google_discoveryengine import (
        wrap_google_discoveryengine as wrap,
    )

    from .. import _state

    _state.tracer()
    return wrap(client)
