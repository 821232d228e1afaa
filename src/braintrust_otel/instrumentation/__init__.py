"""Provider and framework instrumentors: one OTel ``BaseInstrumentor`` per library.

``INSTRUMENTORS`` is the one registry. ``braintrust.auto_instrument()`` reads
it, and each entry is also an ``opentelemetry_instrumentor`` entry point named
``braintrust_<name>`` in pyproject.toml (a test keeps the two equal), so
``opentelemetry-instrument`` loads the same set. Instrumentors patch their
library only when the application imports it (see ``_lazy.py``), so an
installed but unused library costs nothing.
"""

from __future__ import annotations

import importlib.util
from typing import NamedTuple

__all__ = ["INSTRUMENTORS", "OFFICIAL_FLAGS", "Supported", "entry_points", "library_present"]


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
    "litellm": Supported("litellm", "braintrust_otel.instrumentation.litellm:LiteLLMInstrumentor"),
    "instructor": Supported(
        "instructor", "braintrust_otel.instrumentation.instructor:InstructorInstrumentor"),
    "openrouter": Supported(
        "openrouter", "braintrust_otel.instrumentation.openrouter:OpenRouterInstrumentor"),
    # mistralai 2+ is a namespace package (client in mistralai.client), 1.x a regular one;
    # the top-level name is found without importing anything in both.
    "mistral": Supported(
        "mistralai", "braintrust_otel.instrumentation.mistral:MistralInstrumentor"),
    "cohere": Supported("cohere", "braintrust_otel.instrumentation.cohere:CohereInstrumentor"),
    "huggingface_hub": Supported(
        "huggingface_hub",
        "braintrust_otel.instrumentation.huggingface_hub:HuggingFaceHubInstrumentor"),
    "bedrock": Supported(
        "botocore", "braintrust_otel.instrumentation.bedrock:BedrockInstrumentor"),
    "transformers": Supported(
        "transformers", "braintrust_otel.instrumentation.transformers:TransformersInstrumentor"),
    "google_discoveryengine": Supported(
        "google.cloud.discoveryengine_v1",
        "braintrust_otel.instrumentation.google_discoveryengine:GoogleDiscoveryEngineInstrumentor"),
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
    "temporal": Supported(
        "temporalio", "braintrust_otel.instrumentation.temporal:TemporalInstrumentor"),
    "typesafe": Supported(
        "typesafe_sdk", "braintrust_otel.instrumentation.typesafe:TypeSafeInstrumentor"),
    "claude_agent_sdk": Supported(
        "claude_agent_sdk",
        "braintrust_otel.instrumentation.claude_agent_sdk:ClaudeAgentSDKInstrumentor"),
    "pipecat": Supported("pipecat", "braintrust_otel.instrumentation.pipecat:PipecatInstrumentor"),
    "livekit_agents": Supported(
        "livekit.agents",
        "braintrust_otel.instrumentation.livekit_agents:LiveKitAgentsInstrumentor"),
    "ai_sdk": Supported("ai", "braintrust_otel.instrumentation.ai_sdk:AISDKInstrumentor"),
    "agentscope": Supported(
        "agentscope", "braintrust_otel.instrumentation.agentscope:AgentScopeInstrumentor"),
    "cursor_sdk": Supported(
        "cursor_sdk", "braintrust_otel.instrumentation.cursor_sdk:CursorSDKInstrumentor"),
}

#: Every flag the official SDK's ``auto_instrument`` (0.48.1) takes, in its order.
#: A flag without an entry in ``INSTRUMENTORS`` would be accepted and report False.
OFFICIAL_FLAGS = (
    "openai", "anthropic", "litellm", "ai_sdk", "pydantic_ai", "google_genai",
    "google_discoveryengine", "instructor", "openrouter", "mistral", "huggingface_hub",
    "transformers", "agno", "agentscope", "claude_agent_sdk", "cursor_sdk", "dspy", "adk",
    "langchain", "llamaindex", "openai_agents", "cohere", "autogen", "bedrock", "crewai",
    "strands", "temporal", "livekit_agents", "pipecat", "typesafe",
)


def entry_points() -> dict[str, str]:
    """The ``opentelemetry_instrumentor`` entry points the registry implies (name -> target)."""
    return {f"braintrust_{name}": s.instrumentor for name, s in INSTRUMENTORS.items()}


def library_present(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
