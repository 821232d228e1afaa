"""``braintrust.integrations.typesafe``: TypeSafe (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration, traced

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
    """Traces TypeSafe and returns ``client`` (a TypeSafe client).

    Unlike the official helper, which patches what it is given, this turns
    the TypeSafe instrumentation on for the whole process.
    """
    return traced("typesafe", client)
