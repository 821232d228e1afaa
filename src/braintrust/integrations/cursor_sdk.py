"""``braintrust.integrations.cursor_sdk``: the Cursor SDK (as in the official SDK)."""

from __future__ import annotations

from typing import Any, Optional

from .._span import NOOP_SPAN, current_span
from ._base import Integration, traced

__all__ = ["CursorSDKIntegration", "setup_cursor_sdk", "wrap_cursor_sdk_agent"]


class CursorSDKIntegration(Integration):
    """The Cursor SDK's tracing: ``CursorSDKIntegration.setup()`` turns it on."""

    name = "cursor_sdk"


def setup_cursor_sdk(api_key: Optional[str] = None, project_id: Optional[str] = None,
                     project: Optional[str] = None) -> bool:
    """Traces every Cursor SDK agent run; starts a logger first when no span is current.

    Args:
        api_key, project_id: For the logger, as in ``init_logger``.
        project: The logger's project name.

    Returns:
        Whether the Cursor SDK is traced (False when it is not installed).
    """
    if current_span() is NOOP_SPAN:
        from .._logger import init_logger

        init_logger(project=project, project_id=project_id, api_key=api_key)
    return CursorSDKIntegration.setup()


def wrap_cursor_sdk_agent(agent_class: Any) -> Any:
    """Traces Cursor SDK agent runs and returns ``agent_class`` (``Agent`` or ``AsyncAgent``).

    The official helper runs the whole Cursor SDK setup too (its model turns
    are traced off the run classes), so every agent is traced either way;
    here that setup is the instrumentor, which patches both agent classes and
    the run classes process-wide.
    """
    return traced("cursor_sdk", agent_class)
