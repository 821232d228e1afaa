"""``braintrust.integrations.temporal``: Temporal (as in the official SDK).

``BraintrustPlugin`` and ``BraintrustInterceptor`` need ``temporalio``; they
are loaded when first used.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Optional

from ._base import Integration, setup

if TYPE_CHECKING:
    from ..contrib.temporal import BraintrustInterceptor, BraintrustPlugin

__all__ = ["BraintrustInterceptor", "BraintrustPlugin", "TemporalIntegration", "setup_temporal"]


class TemporalIntegration(Integration):
    """Temporal's tracing: ``TemporalIntegration.setup()`` adds the plugin everywhere."""

    name = "temporal"


def setup_temporal(api_key: Optional[str] = None, project_id: Optional[str] = None,
                   project_name: Optional[str] = None) -> bool:
    """Adds the Braintrust plugin to every Temporal client and worker made from now on.

    Starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether Temporal is traced (now, or when it is imported).
    """
    return setup("temporal", api_key, project_id, project_name)


def __getattr__(name: str) -> Any:
    if name not in ("BraintrustInterceptor", "BraintrustPlugin"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with warnings.catch_warnings():
        # The deprecation warning is for that module's path, not for this one.
        warnings.simplefilter("ignore", DeprecationWarning)
        from ..contrib import temporal
    value = getattr(temporal, name)
    globals()[name] = value
    return value
