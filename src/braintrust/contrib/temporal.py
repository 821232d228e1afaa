"""Temporal tracing: ``BraintrustPlugin`` and ``BraintrustInterceptor`` (the official names).

Add ``BraintrustPlugin()`` to ``Client.connect(plugins=...)`` (workflow runs
then nest under the caller's span) and to ``Worker(plugins=...)`` (which
opens a ``temporal.workflow.<type>`` span per run and a
``temporal.activity.<type>`` span per activity); ``braintrust.auto_instrument()``
adds it to every client and worker by itself. Importing this module warns,
as the official SDK's does: it points at ``auto_instrument()`` instead.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

from braintrust_otel.instrumentation.temporal import interceptor_class, plugin_class

warnings.warn(
    "braintrust.contrib.temporal is deprecated: use braintrust.auto_instrument(), "
    "which adds BraintrustPlugin to every Temporal client and worker",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["BraintrustInterceptor", "BraintrustPlugin"]


def _parent(logger: Any) -> Optional[str]:
    if logger is None:
        return None
    parent = getattr(logger, "parent", None)
    if not isinstance(parent, str):
        raise TypeError(f"logger must be a braintrust Logger (from init_logger), got {logger!r}")
    return parent


class BraintrustInterceptor(interceptor_class()):  # type: ignore[misc]
    """A Temporal client and worker interceptor tracing workflow and activity runs.

    Args:
        logger: A logger from ``braintrust.init_logger``: runs started without
            a traced caller log to its project. By default they go where the
            current logger (or ``BRAINTRUST_PARENT``) points.
    """

    def __init__(self, logger: Any = None) -> None:
        super().__init__(parent=_parent(logger))


class BraintrustPlugin(plugin_class()):  # type: ignore[misc]
    """A Temporal plugin for clients and workers: the interceptor plus the
    workflow-sandbox passthrough it needs.

    Args:
        logger: As for :class:`BraintrustInterceptor`.
    """

    def __init__(self, logger: Any = None) -> None:
        super().__init__(parent=_parent(logger))
