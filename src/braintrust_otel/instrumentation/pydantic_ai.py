"""Tracing for Pydantic AI through its own OpenTelemetry instrumentation.

Pydantic AI emits GenAI-convention spans itself (``invoke_agent <name>``,
``chat <model>``, ``execute_tool <tool>``) once ``Agent.instrument_all`` is
given settings; this instrumentor only turns that on with our tracer
provider, and the GenAI mapper makes the rows (agent ``task``, model call
``llm`` with messages and tokens, tool ``tool``). Its model-call span is the
current span during the HTTP request, so the provider instrumentors see it
and do not add a second ``llm`` row for the same call.
"""

from __future__ import annotations

import inspect
from typing import Any

from opentelemetry import trace

from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["PydanticAIInstrumentor"]

_instruments = ("pydantic-ai-slim >= 1.0",)


def settings(tracer_provider: Any = None) -> Any:
    """Pydantic AI ``InstrumentationSettings`` that send its spans to ``tracer_provider``.

    Content follows ``BRAINTRUST_CAPTURE_CONTENT``; the bulky
    ``model_request_parameters`` attribute is left out where the installed
    version allows (the tools it lists are on ``gen_ai.tool.definitions``).
    """
    from pydantic_ai.models.instrumented import InstrumentationSettings

    kwargs: dict[str, Any] = {
        "tracer_provider": tracer_provider or trace.get_tracer_provider(),
        "include_content": capture_content(),
    }
    if "include_model_request_parameters" in inspect.signature(
            InstrumentationSettings.__init__).parameters:
        kwargs["include_model_request_parameters"] = False
    return InstrumentationSettings(**kwargs)


class PydanticAIInstrumentor(LazyInstrumentor):
    """Turns on Pydantic AI's OTel spans for every agent (``Agent.instrument_all``).

    An agent built with its own ``instrument=`` argument keeps it.
    """

    library = "pydantic_ai"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        from pydantic_ai import Agent

        Agent.instrument_all(settings(kwargs.get("tracer_provider")))

    def _unpatch(self, **kwargs: Any) -> None:
        from pydantic_ai import Agent

        Agent.instrument_all(False)
