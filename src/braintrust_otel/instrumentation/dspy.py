"""Tracing for DSPy through DSPy's own callbacks, with the official SDK's rows.

DSPy calls its callbacks around every module, adapter, LM, tool and
``Evaluate`` call; :class:`~._dspy_callback.DSPyTracer` makes a span for each,
named, nested and filled as the official SDK's ``BraintrustDSpyCallback``
does (``dspy.module.Predict``, ``dspy.adapter.format``, ``dspy.lm``...).

The instrumentor puts one tracer among the callbacks DSPy looks up for each
call (``dspy.settings.get("callbacks")``), so it traces however and whenever
DSPy is configured, from any thread, without touching the user's callback
lists; a tracer the user configured already is not added twice.
"""

from __future__ import annotations

from typing import Any, Optional

import wrapt
from opentelemetry.instrumentation.utils import unwrap

from .. import diagnostics
from ._lazy import LazyInstrumentor

__all__ = ["DSPyInstrumentor"]

_instruments = ("dspy >= 2.6",)

#: The tracer added to DSPy's callbacks while instrumented.
_tracer: Optional[Any] = None


def _with_tracer(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    value = wrapped(*args, **kwargs)
    key = args[0] if args else kwargs.get("key")
    tracer = _tracer
    if key != "callbacks" or tracer is None:
        return value
    try:
        from ._dspy_callback import DSPyTracer

        current = list(value or [])
        if any(isinstance(cb, DSPyTracer) for cb in current):
            return value
        return [*current, tracer]
    except Exception as exc:
        diagnostics.report("instrumentation", "could not add the DSPy tracer", exc)
        return value


class DSPyInstrumentor(LazyInstrumentor):
    """Traces DSPy modules, adapters, LM calls, tools and evaluations.

    Rows are those of the official SDK's DSPy integration; the provider
    request under each ``dspy.lm`` span (LiteLLM's, when it is instrumented)
    is the ``llm`` row.
    """

    library = "dspy"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        global _tracer
        from ._dspy_callback import DSPyTracer

        _tracer = DSPyTracer(tracer_provider=kwargs.get("tracer_provider"))
        wrapt.wrap_function_wrapper("dspy.dsp.utils.settings", "Settings.get", _with_tracer)

    def _unpatch(self, **kwargs: Any) -> None:
        global _tracer
        from dspy.dsp.utils.settings import Settings

        _tracer = None
        unwrap(Settings, "get")
