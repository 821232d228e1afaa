"""``braintrust.wrappers.langsmith_wrapper``: moving from LangSmith to Braintrust.

See :func:`setup_langsmith`.
"""

from __future__ import annotations

from .._langsmith import (
    clear_braintrust_results,
    get_braintrust_results,
    setup_langsmith,
    wrap_aevaluate,
    wrap_client,
    wrap_evaluate,
    wrap_traceable,
)

__all__ = ["clear_braintrust_results", "get_braintrust_results", "setup_langsmith",
           "wrap_aevaluate", "wrap_client", "wrap_evaluate", "wrap_traceable"]
