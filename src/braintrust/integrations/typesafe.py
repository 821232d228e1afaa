"""``braintrust.integrations.typesafe``: TypeSafe (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration

__all__ = ["TypeSafeIntegration", "setup_typesafe", "wrap_typesafe"]


class TypeSafeIntegration(Integration):
    """TypeSafe's tracing: ``TypeSafeIntegration.setup()`` turns it on."""

    name = "typesafe"


def setup_typesafe() -> bool:
    """Traces TypeSafe process-wide.

    Returns:
        Whether it is traced (now, or when it is imported).
    """
    from .._auto import instrument_one

    return instrument_one("typesafe")


def wrap_typesafe(client: Any) -> Any:
    """Traces one TypeSafe client and returns it; other clients stay untraced.

    Wrapping it again changes nothing.
    """
    from braintrust_otel.instrumentation.typesafe import wrap_typesafe as wrap

    from .. import _state

    _state.tracer()
    return wrap(client)
