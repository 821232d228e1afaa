"""Provider instrumentors: one OTel ``BaseInstrumentor`` per LLM client library.

Each is registered as an ``opentelemetry_instrumentor`` entry point
(``braintrust_openai``, ``braintrust_anthropic``, ...), so
``opentelemetry-instrument`` loads it, and ``braintrust.auto_instrument()``
turns on every one whose library is installed.
"""

from __future__ import annotations

__all__ = ["INSTRUMENTORS"]

#: Library name -> "module:class" of its instrumentor.
INSTRUMENTORS = {
    "openai": "braintrust_otel.instrumentation.openai:OpenAIInstrumentor",
    "anthropic": "braintrust_otel.instrumentation.anthropic:AnthropicInstrumentor",
    "google_genai": "braintrust_otel.instrumentation.google_genai:GoogleGenAIInstrumentor",
}
