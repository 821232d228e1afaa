"""``braintrust.integrations.openai_agents``: the OpenAI Agents SDK (as in the official SDK)."""

from __future__ import annotations

from typing import Optional

from ..wrappers.openai import BraintrustTracingProcessor
from ._base import Integration, setup

__all__ = ["BraintrustTracingProcessor", "OpenAIAgentsIntegration", "setup_openai_agents"]


class OpenAIAgentsIntegration(Integration):
    """The Agents SDK's tracing: ``OpenAIAgentsIntegration.setup()`` turns it on."""

    name = "openai_agents"


def setup_openai_agents(api_key: Optional[str] = None, project_id: Optional[str] = None,
                        project: Optional[str] = None,
                        project_name: Optional[str] = None) -> bool:
    """Traces every Agents SDK run; starts a logger first when no span is current.

    Args:
        api_key, project_id: For the logger, as in ``init_logger``.
        project, project_name: The logger's project name (either).

    Returns:
        Whether the Agents SDK is traced (now, or when it is imported).
    """
    return setup("openai_agents", api_key, project_id, project_name or project)
