"""``braintrust.wrappers.agno``: tracing Agno."""

from __future__ import annotations

from ..integrations.agno import (
    setup_agno,
    wrap_agent,
    wrap_function_call,
    wrap_model,
    wrap_team,
    wrap_workflow,
)

__all__ = ["setup_agno", "wrap_agent", "wrap_function_call", "wrap_model", "wrap_team",
           "wrap_workflow"]
