"""``braintrust.wrappers.llamaindex``: tracing LlamaIndex."""

from __future__ import annotations

from .._auto import instrument_one

__all__ = ["setup_llamaindex"]


def setup_llamaindex(api_key: str | None = None, project_id: str | None = None,
                     project_name: str | None = None) -> bool:
    """Traces LlamaIndex process-wide; starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether LlamaIndex is traced now (or will be when it is imported).
    """
    from .._logger import init_logger
    from .._span import NOOP_SPAN, current_span

    if current_span() is NOOP_SPAN:
        init_logger(project=project_name, project_id=project_id, api_key=api_key)
    return instrument_one("llamaindex")
