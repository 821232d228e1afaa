"""``braintrust.integrations.agentscope``: AgentScope (as in the official SDK)."""

from __future__ import annotations

from typing import Optional

from ._base import Integration, setup

__all__ = ["AgentScopeIntegration", "setup_agentscope"]


class AgentScopeIntegration(Integration):
    """AgentScope's tracing: ``AgentScopeIntegration.setup()`` turns it on."""

    name = "agentscope"


def setup_agentscope(api_key: Optional[str] = None, project_id: Optional[str] = None,
                     project_name: Optional[str] = None) -> bool:
    """Traces AgentScope process-wide; starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether it is traced (now, or when it is imported).
    """
    return setup("agentscope", api_key, project_id, project_name)
