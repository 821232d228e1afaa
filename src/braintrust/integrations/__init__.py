"""``braintrust.integrations.<library>``: the official SDK's per-library module paths.

Each module offers the names the official SDK 0.48.1 exports there (setup
functions, the ``<Library>Integration`` classes, handlers and ``wrap_*``
helpers), backed by this package's OTel instrumentors. The
``<Library>Integration`` classes are also here, each loaded (with its module)
when first used, so importing this package imports no library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: ``<Library>Integration`` -> the submodule defining it.
_MODULES = {
    "ADKIntegration": "adk",
    "AgentScopeIntegration": "agentscope",
    "AgnoIntegration": "agno",
    "AISDKIntegration": "ai_sdk",
    "AnthropicIntegration": "anthropic",
    "AutoGenIntegration": "autogen",
    "BedrockRuntimeIntegration": "bedrock_runtime",
    "ClaudeAgentSDKIntegration": "claude_agent_sdk",
    "CohereIntegration": "cohere",
    "CrewAIIntegration": "crewai",
    "CursorSDKIntegration": "cursor_sdk",
    "DSPyIntegration": "dspy",
    "GoogleDiscoveryEngineIntegration": "google_discoveryengine",
    "GoogleGenAIIntegration": "google_genai",
    "HuggingFaceHubIntegration": "huggingface_hub",
    "InstructorIntegration": "instructor",
    "LangChainIntegration": "langchain",
    "LiteLLMIntegration": "litellm",
    "LiveKitAgentsIntegration": "livekit_agents",
    "LlamaIndexIntegration": "llamaindex",
    "MistralIntegration": "mistral",
    "OpenAIIntegration": "openai",
    "OpenAIAgentsIntegration": "openai_agents",
    "OpenRouterIntegration": "openrouter",
    "PipecatIntegration": "pipecat",
    "PydanticAIIntegration": "pydantic_ai",
    "StrandsIntegration": "strands",
    "TemporalIntegration": "temporal",
    "TransformersIntegration": "transformers",
    "TypeSafeIntegration": "typesafe",
}

if TYPE_CHECKING:
    from .adk import ADKIntegration
    from .agentscope import AgentScopeIntegration
    from .agno import AgnoIntegration
    from .ai_sdk import AISDKIntegration
    from .anthropic import AnthropicIntegration
    from .autogen import AutoGenIntegration
    from .bedrock_runtime import BedrockRuntimeIntegration
    from .claude_agent_sdk import ClaudeAgentSDKIntegration
    from .cohere import CohereIntegration
    from .crewai import CrewAIIntegration
    from .cursor_sdk import CursorSDKIntegration
    from .dspy import DSPyIntegration
    from .google_discoveryengine import GoogleDiscoveryEngineIntegration
    from .google_genai import GoogleGenAIIntegration
    from .huggingface_hub import HuggingFaceHubIntegration
    from .instructor import InstructorIntegration
    from .langchain import LangChainIntegration
    from .litellm import LiteLLMIntegration
    from .livekit_agents import LiveKitAgentsIntegration
    from .llamaindex import LlamaIndexIntegration
    from .mistral import MistralIntegration
    from .openai import OpenAIIntegration
    from .openai_agents import OpenAIAgentsIntegration
    from .openrouter import OpenRouterIntegration
    from .pipecat import PipecatIntegration
    from .pydantic_ai import PydanticAIIntegration
    from .strands import StrandsIntegration
    from .temporal import TemporalIntegration
    from .transformers import TransformersIntegration
    from .typesafe import TypeSafeIntegration

__all__ = [
    "ADKIntegration", "AISDKIntegration", "AgentScopeIntegration", "AgnoIntegration",
    "AnthropicIntegration", "AutoGenIntegration", "BedrockRuntimeIntegration",
    "ClaudeAgentSDKIntegration", "CohereIntegration", "CrewAIIntegration", "CursorSDKIntegration",
    "DSPyIntegration", "GoogleDiscoveryEngineIntegration", "GoogleGenAIIntegration",
    "HuggingFaceHubIntegration", "InstructorIntegration", "LangChainIntegration",
    "LiteLLMIntegration", "LiveKitAgentsIntegration", "LlamaIndexIntegration",
    "MistralIntegration", "OpenAIAgentsIntegration", "OpenAIIntegration", "OpenRouterIntegration",
    "PipecatIntegration", "PydanticAIIntegration", "StrandsIntegration", "TemporalIntegration",
    "TransformersIntegration", "TypeSafeIntegration",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
