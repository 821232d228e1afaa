"""Tracing for CrewAI through OpenInference's CrewAI instrumentor.

OpenInference's instrumentor (``openinference-instrumentation-crewai``) wraps
crew and flow kickoffs, each agent's task execution and tool calls in spans
that are current while they run; the OpenInference mapper makes the rows
(kickoff and task ``task``, tools ``tool``). It leaves model calls to the
provider instrumentors (CrewAI calls the OpenAI, Anthropic... clients, or
LiteLLM), whose ``llm`` rows nest under the task that made them.
"""

from __future__ import annotations

from typing import Any

from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["CrewAIInstrumentor"]

_instruments = ("crewai >= 0.70",)


class CrewAIInstrumentor(LazyInstrumentor):
    """Turns on OpenInference's CrewAI instrumentation with our tracer provider.

    Needs ``openinference-instrumentation-crewai`` (the ``crewai`` extra);
    without it, :meth:`instrument` raises ``ImportError`` naming the package.
    CrewAI's own anonymous telemetry is not affected
    (``CREWAI_DISABLE_TELEMETRY=true`` turns it off).
    """

    library = "crewai"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        try:
            from openinference.instrumentation import TraceConfig
            from openinference.instrumentation.crewai import (
                CrewAIInstrumentor as OpenInferenceCrewAI,
            )
        except ImportError as exc:
            raise ImportError("tracing CrewAI needs openinference-instrumentation-crewai "
                              "(pip install 'braintrust-otel[crewai]')") from exc
        hide = None if capture_content() else True
        config = TraceConfig(hide_inputs=hide, hide_outputs=hide, hide_input_messages=hide,
                             hide_output_messages=hide)
        OpenInferenceCrewAI().instrument(tracer_provider=kwargs.get("tracer_provider"),
                                         config=config)

    def _unpatch(self, **kwargs: Any) -> None:
        from openinference.instrumentation.crewai import CrewAIInstrumentor as OpenInferenceCrewAI

        OpenInferenceCrewAI().uninstrument()
