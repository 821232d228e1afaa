"""DSPy from the facade: ``patch_dspy`` and ``BraintrustDSpyCallback``.

Importing this module needs ``dspy``; ``braintrust.wrappers.dspy`` re-exports
its public names.
"""

from __future__ import annotations

from typing import Any

from braintrust_otel.instrumentation._dspy_callback import DSPyTracer
from braintrust_otel.instrumentation.dspy import DSPyInstrumentor

from . import _state

__all__ = ["BraintrustDSpyCallback", "patch_dspy"]


def patch_dspy() -> bool:
    """Traces every DSPy module, adapter, LM, tool and evaluation call.

    Returns:
        Whether DSPy is now traced.
    """
    _state.tracer()
    instrumentor = DSPyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    return bool(instrumentor.is_instrumented_by_opentelemetry)


class BraintrustDSpyCallback(DSPyTracer):
    """For code written against the official SDK: ``dspy.configure(callbacks=[...])``.

    It traces the calls DSPy reports to it, as the instrumentor's own tracer
    does; when both see a call (``auto_instrument()`` is on too), it is
    traced once.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _state.tracer()
        super().__init__()
