"""Tracing for Agno through OpenInference's Agno instrumentor.

OpenInference's instrumentor (``openinference-instrumentation-agno``) wraps
agent and team runs, model invocations and tool calls in spans that are
current while they run; the OpenInference mapper makes the rows (runs
``task``, model invocations ``llm`` with messages and tokens, tools ``tool``).
Its model span is current during the provider request, so the provider
instrumentors add no second ``llm`` row.
"""

from __future__ import annotations

from typing import Any

from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["AgnoInstrumentor"]

_instruments = ("agno >= 1.5",)


class AgnoInstrumentor(LazyInstrumentor):
    """Turns on OpenInference's Agno instrumentation with our tracer provider.

    Needs ``openinference-instrumentation-agno`` (the ``agno`` extra); without
    it, :meth:`instrument` raises ``ImportError`` naming the package. Agno's
    own telemetry is not affected (``AGNO_TELEMETRY=false`` turns it off).
    """

    library = "agno"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        try:
            from openinference.instrumentation import TraceConfig
            from openinference.instrumentation.agno import (
                AgnoInstrumentor as OpenInferenceAgno,
            )
        except ImportError as exc:
            raise ImportError("tracing Agno needs openinference-instrumentation-agno "
                              "(pip install 'braintrust-otel[agno]')") from exc
        hide = None if capture_content() else True
        config = TraceConfig(hide_inputs=hide, hide_outputs=hide, hide_input_messages=hide,
                             hide_output_messages=hide)
        OpenInferenceAgno().instrument(tracer_provider=kwargs.get("tracer_provider"),
                                       config=config)

    def _unpatch(self, **kwargs: Any) -> None:
        from openinference.instrumentation.agno import AgnoInstrumentor as OpenInferenceAgno

        OpenInferenceAgno().uninstrument()
