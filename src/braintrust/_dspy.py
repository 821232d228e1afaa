"""DSPy from the facade: ``patch_dspy`` and ``BraintrustDSpyCallback``.

Importing this module needs ``dspy``; ``braintrust.wrappers.dspy`` re-exports
its public names.
"""

from __future__ import annotations

from typing import Any

from dspy.utils.callback import BaseCallback

from braintrust_otel.instrumentation.dspy import DSPyInstrumentor

from . import _state

__all__ = ["BraintrustDSpyCallback", "patch_dspy"]


def patch_dspy() -> bool:
    """Traces every DSPy module, predictor, adapter, tool and LM call.

    Returns:
        Whether DSPy is now traced.
    """
    _state.tracer()
    instrumentor = DSPyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    return bool(instrumentor.is_instrumented_by_opentelemetry)


class BraintrustDSpyCallback(BaseCallback):  # type: ignore[misc]
    """For code written against the official SDK: ``dspy.configure(callbacks=[...])``.

    Creating it turns on the DSPy instrumentor (as :func:`patch_dspy` does),
    which traces every call; the callback itself records nothing, so a run
    that also has ``auto_instrument()`` on is traced once, not twice.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        patch_dspy()
