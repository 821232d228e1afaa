"""Pipecat frames as row values: pure functions, no spans.

Pipecat runs a pipeline of processors that pass frames; the frames carry the
LLM context (messages, tools), the streamed reply, tool calls and results,
and metrics. These functions read those facts off frames and processors as
the official SDK's rows show them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional

__all__ = ["LLM_METADATA", "llm_metadata", "llm_output", "messages", "metric_metadata",
           "parse_jsonish", "processor_metadata", "processor_name", "provider", "tool_call",
           "tools", "usage_metrics"]

#: The metadata keys an llm response row keeps.
LLM_METADATA = frozenset({"model", "provider", "frequency_penalty", "presence_penalty", "seed",
                          "temperature", "top_p", "max_tokens", "max_completion_tokens", "tools",
                          "tool_choice"})
#: Substring of a module or processor name -> provider, first match wins.
_PROVIDERS = (("openai", "openai"), ("anthropic", "anthropic"), ("google", "google"),
              ("gemini", "google"), ("mistral", "mistral"), ("cohere", "cohere"),
              ("bedrock", "bedrock"), ("aws", "bedrock"), ("openrouter", "openrouter"))
_USAGE = (("prompt_tokens", "prompt_tokens"), ("completion_tokens", "completion_tokens"),
          ("total_tokens", "tokens"), ("cache_read_input_tokens", "cache_read_input_tokens"),
          ("cache_creation_input_tokens", "cache_creation_input_tokens"),
          ("reasoning_tokens", "reasoning_tokens"))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _given(value: Any) -> bool:
    return value is not None and type(value).__name__ not in ("NotGiven", "Omit")


def provider(name: str) -> Optional[str]:
    """The provider a module or processor name points at (``OpenAILLMService#0`` -> openai)."""
    lowered = name.lower()
    return next((p for needle, p in _PROVIDERS if needle in lowered), None)


def processor_name(processor: Any) -> Optional[str]:
    """A processor's name (Pipecat's ``name``), else its class name."""
    name = getattr(processor, "name", None)
    if isinstance(name, str):
        return name
    return type(processor).__name__ if processor is not None else None


def processor_metadata(processor: Any) -> dict[str, Any]:
    """Model (from the service's settings) and provider (from its module) of a processor."""
    out: dict[str, Any] = {}
    model = getattr(getattr(processor, "_settings", None), "model", None) \
        or getattr(processor, "model", None)
    if isinstance(model, str):
        out["model"] = model
    found = provider(type(processor).__module__) if processor is not None else None
    if found:
        out["provider"] = found
    return out


def metric_metadata(metric: Any) -> dict[str, Any]:
    """Model and provider named by a metrics entry."""
    out: dict[str, Any] = {}
    model = getattr(metric, "model", None)
    if isinstance(model, str):
        out["model"] = model
    source = getattr(metric, "processor", None)
    if isinstance(source, str) and (found := provider(source)):
        out["provider"] = found
    return out


def llm_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Only the kept keys, and none that is None."""
    return {k: v for k, v in metadata.items() if k in LLM_METADATA and v is not None}


def messages(context: Any) -> Any:
    """An LLM context's messages (``get_messages()`` where it has one)."""
    get = getattr(context, "get_messages", None)
    if callable(get):
        try:
            return get()
        except Exception:
            pass
    return getattr(context, "messages", None)


def tools(context: Any) -> dict[str, Any]:
    """An LLM context's tools (in OpenAI's function format) and tool choice, as metadata."""
    out: dict[str, Any] = {}
    schema = getattr(context, "tools", None)
    if _given(schema):
        standard = getattr(schema, "standard_tools", None)
        if standard is None and isinstance(schema, list):
            standard = schema
        found: list[Any] = []
        for tool in standard or ():
            as_dict = getattr(tool, "to_default_dict", None)
            payload = as_dict() if callable(as_dict) else tool
            if isinstance(payload, Mapping):
                found.append(payload if payload.get("type") == "function"
                             else {"type": "function", "function": dict(payload)})
        custom = getattr(schema, "custom_tools", None)
        if isinstance(custom, Mapping):
            for values in custom.values():
                if isinstance(values, list):
                    found.extend(v for v in values if isinstance(v, Mapping))
        if found:
            out["tools"] = found
    choice = getattr(context, "tool_choice", None)
    if _given(choice):
        out["tool_choice"] = choice
    return out


def tool_call(call: Any) -> Optional[dict[str, Any]]:
    """A Pipecat function call as an OpenAI tool call (arguments as sorted JSON)."""
    name = getattr(call, "function_name", None)
    if not isinstance(name, str):
        return None
    arguments = getattr(call, "arguments", None)
    return {"id": getattr(call, "tool_call_id", None), "type": "function",
            "function": {"name": name, "arguments": json.dumps(
                arguments if arguments is not None else {}, sort_keys=True, default=str)}}


def llm_output(text: str, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The streamed reply as one OpenAI choice."""
    message: dict[str, Any] = {"role": "assistant", "content": text or None if calls else text}
    if calls:
        message["tool_calls"] = calls
    return [{"index": 0, "finish_reason": "tool_calls" if calls else "stop",
             "message": message}]


def usage_metrics(usage: Any) -> dict[str, float]:
    """Pipecat's ``LLMTokenUsage`` as metrics."""
    return {name: getattr(usage, attr) for attr, name in _USAGE
            if _number(getattr(usage, attr, None))}


def parse_jsonish(value: Any) -> Any:
    """A JSON object, array or string given as text, parsed; anything else as it is."""
    if isinstance(value, str) and value[:1] in ("{", "[", '"'):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
