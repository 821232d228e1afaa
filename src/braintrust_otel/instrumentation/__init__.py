"""Provider instrumentors: one OTel ``BaseInstrumentor`` per LLM client library.

Each is registered as an ``opentelemetry_instrumentor`` entry point
(``braintrust_openai``, ``braintrust_anthropic``, ...), so
``opentelemetry-instrument`` loads it, and ``braintrust.auto_instrument()``
turns on every one whose library is installed.
"""

from __future__ import annotations

import importlib.util
from typing import NamedTuple

__all__ = ["INSTRUMENTORS", "Supported", "library_present"]


class Supported(NamedTuple):
    """A supported library: the module it imports as, and its instrumentor."""

    module: str
    instrumentor: str  # "module:Class"


#: Name (as in ``auto_instrument(openai=False)``) -> what it instruments and how.
INSTRUMENTORS = {
    "openai": Supported("openai", "braintrust_otel.instrumentation.openai:OpenAIInstrumentor"),
    "anthropic": Supported(
        "anthropic", "braintrust_otel.instrumentation.anthropic:AnthropicInstrumentor"),
    "google_genai": Supported(
        "google.genai", "braintrust_otel.instrumentation.google_genai:GoogleGenAIInstrumentor"),
    "openai_agents": Supported(
        "agents", "braintrust_otel.instrumentation.openai_agents:OpenAIAgentsInstrumentor"),
    "langchain": Supported(
        "langchain_core", "braintrust_otel.instrumentation.langchain:LangChainInstrumentor"),
    "adk": Supported("google.adk", "braintrust_otel.instrumentation.adk:ADKInstrumentor"),
    "agno": Supported("agno", "braintrust_otel.instrumentation.agno:AgnoInstrumentor"),
    "autogen": Supported(
        "autogen_agentchat", "braintrust_otel.instrumentation.autogen:AutoGenInstrumentor"),
    "crewai": Supported("crewai", "braintrust_otel.instrumentation.crewai:CrewAIInstrumentor"),
    "dspy": Supported("dspy", "braintrust_otel.instrumentation.dspy:DSPyInstrumentor"),
    "llamaindex": Supported(
        "llama_index.core",
        "braintrust_otel.instrumentation.llamaindex:LlamaIndexInstrumentor"),
    "strands": Supported("strands", "braintrust_otel.instrumentation.strands:StrandsInstrumentor"),
    "pydantic_ai": Supported(
        "pydantic_ai", "braintrust_otel.instrumentation.pydantic_ai:PydanticAIInstrumentor"),
}


def library_present(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
