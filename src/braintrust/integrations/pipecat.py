"""``braintrust.integrations.pipecat``: Pipecat (as in the official SDK).

``BraintrustPipecatObserver`` (a Pipecat observer: pass it in a worker's
``observers=``) needs Pipecat; it is loaded when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ._base import Integration, setup

if TYPE_CHECKING:
    BraintrustPipecatObserver: type

__all__ = ["BraintrustPipecatObserver", "PipecatIntegration", "setup_pipecat",
           "wrap_pipeline_worker"]


class PipecatIntegration(Integration):
    """Pipecat's tracing: ``PipecatIntegration.setup()`` observes every pipeline worker."""

    name = "pipecat"


def setup_pipecat(api_key: Optional[str] = None, project_id: Optional[str] = None,
                  project_name: Optional[str] = None, *,
                  capture_audio_attachments: Optional[bool] = None,
                  capture_user_audio_attachments: Optional[bool] = None,
                  capture_agent_audio_attachments: Optional[bool] = None,
                  trace_turns: bool = True) -> bool:
    """Adds a Braintrust observer to every Pipecat ``PipelineWorker`` made from now on.

    Starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.
        capture_audio_attachments, capture_user_audio_attachments,
            capture_agent_audio_attachments, trace_turns: Accepted for
            compatibility with the official signature; the observer here
            records no audio and always makes turn spans.

    Returns:
        Whether Pipecat is traced (now, or when it is imported).
    """
    return setup("pipecat", api_key, project_id, project_name)


def wrap_pipeline_worker(PipelineWorker: Any) -> Any:
    """Adds a Braintrust observer to each worker of this class made from now on.

    Other worker classes are left alone; wrapping again adds no second observer.

    Args:
        PipelineWorker: Pipecat's ``PipelineWorker`` or a subclass.

    Returns:
        ``PipelineWorker``.
    """
    from braintrust_otel.instrumentation.pipecat import wrap_worker_class

    from .. import _state

    _state.tracer()
    return wrap_worker_class(PipelineWorker)


def __getattr__(name: str) -> Any:
    if name != "BraintrustPipecatObserver":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from braintrust_otel.instrumentation.pipecat import observer_class

    value = observer_class()
    globals()[name] = value
    return value
