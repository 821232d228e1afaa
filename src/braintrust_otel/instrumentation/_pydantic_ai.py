"""Pure mapping of Pydantic AI runs, model requests and results to the official rows' fields.

The official SDK logs Pydantic AI's own objects (messages, model responses)
as they are and lets the serializer turn them into dicts; these helpers pick
the same fields: an agent run's input (prompt, the run's keyword arguments,
the agent's toolsets and instructions) and metadata (model, provider, agent
name, end strategy, output type), a model request's input and metadata, and
the token metrics of a response.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, Optional

__all__ = ["agent_input_and_metadata", "agent_output", "direct_request_fields", "model_info",
           "model_request_fields", "resolved_input", "response_metadata", "response_metrics",
           "stream_output", "tool_definitions"]

#: The ``run*`` keyword arguments an agent run's input shows (when the caller passes them).
_RUN_KWARGS = ("output_type", "message_history", "deferred_tool_results", "model_settings",
               "usage_limits", "toolsets", "instructions", "metadata", "conversation_id",
               "capabilities", "retries", "spec", "prog_name")

#: Words in a model class's name -> the provider the official rows name.
_PROVIDERS = (("OpenAI", "openai"), ("Anthropic", "anthropic"), ("GoogleCloud", "google-cloud"),
              ("Google", "google"), ("Gemini", "gemini"), ("Groq", "groq"),
              ("Mistral", "mistral"), ("VertexAI", "vertexai"), ("Xai", "xai"), ("XAI", "xai"))


def _split_model(model: Any) -> tuple[Optional[str], Optional[str]]:
    """``(model name, provider)`` of a ``"provider:name"`` string."""
    if not model:
        return None, None
    text = str(model)
    if ":" in text:
        provider, name = text.split(":", 1)
        return name, provider
    return text, None


def model_info(model: Any) -> tuple[Optional[str], Optional[str]]:
    """``(model name, provider)`` of a model object or model string."""
    if not model:
        return None, None
    if isinstance(model, str):
        return _split_model(model)
    if hasattr(model, "model_name"):
        class_name = type(model).__name__
        provider = next((p for word, p in _PROVIDERS if word in class_name), None)
        return model.model_name, provider
    if hasattr(model, "name"):
        return _split_model(model.name)
    return None, None


def _type_shape(value: Any) -> Any:
    """An output type as the rows show it: a class name, a pydantic model's JSON schema,
    an output wrapper (``ToolOutput``...) as a dict, a list of those."""
    if isinstance(value, (list, tuple)):
        return [_type_shape(item) for item in value]
    if hasattr(value, "output"):
        shaped: dict[str, Any] = {"wrapper": type(value).__name__}
        for field in ("name", "description"):
            if getattr(value, field, None):
                shaped[field] = getattr(value, field)
        shaped["output"] = _type_shape(value.output)
        return shaped
    if inspect.isclass(value):
        schema = getattr(value, "model_json_schema", None)
        if callable(schema):
            try:
                return schema()
            except Exception:
                pass
        return value.__name__
    return getattr(value, "__name__", value)


def _toolset_shape(toolset: Any) -> dict[str, Any]:
    shaped: dict[str, Any] = {"id": getattr(toolset, "id", type(toolset).__name__),
                              "label": getattr(toolset, "label", None)}
    tools = getattr(toolset, "tools", None)
    if tools:
        listed = []
        for name, tool in tools.items():
            entry: dict[str, Any] = {"name": name}
            if getattr(tool, "description", None):
                entry["description"] = tool.description
            schema = getattr(getattr(tool, "function_schema", None), "json_schema", None)
            if schema is not None:
                entry["parameters"] = schema
            listed.append(entry)
        shaped["tools"] = listed
    return shaped


def agent_input_and_metadata(agent: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]
                             ) -> tuple[dict[str, Any], dict[str, Any]]:
    """An agent run's input and metadata, from the agent and the ``run*`` arguments."""
    data: dict[str, Any] = {}
    prompt = args[0] if args else kwargs.get("user_prompt")
    if prompt is not None:
        data["user_prompt"] = prompt
    for key in _RUN_KWARGS:
        if key not in kwargs:
            continue
        value = kwargs[key]
        data[key] = _type_shape(value) if key in ("output_type", "toolsets") and value else value
    if "model" in kwargs:
        name, provider = _split_model(kwargs["model"])
    else:
        name, provider = model_info(getattr(agent, "model", None))
    metadata: dict[str, Any] = {}
    if name:
        metadata["model"] = name
    if provider:
        metadata["provider"] = provider
    settings = getattr(agent, "model_settings", None)
    if "model_settings" not in kwargs and settings:
        metadata["model_settings"] = settings
    if getattr(agent, "name", None) is not None:
        metadata["agent_name"] = agent.name
    if getattr(agent, "end_strategy", None) is not None:
        metadata["end_strategy"] = str(agent.end_strategy)
    if "output_type" not in kwargs and getattr(agent, "output_type", None) is not None:
        metadata["output_type"] = _type_shape(agent.output_type)
    if "toolsets" not in kwargs:
        toolsets = getattr(agent, "toolsets", None)
        if toolsets:
            data["toolsets"] = [_toolset_shape(t) for t in toolsets]
    if "system_prompt" not in kwargs:
        prompts = getattr(agent, "_system_prompts", None)
        if prompts:
            data["system_prompt"] = "\n\n".join(prompts)
    return data, metadata


def resolved_input(data: dict[str, Any], result: Any) -> dict[str, Any]:
    """The run's input completed from its result: the instructions the model got last and
    the system prompts of the whole conversation."""
    if result is None:
        return data
    data = dict(data)
    for message in reversed(result.new_messages()):
        if getattr(message, "instructions", None):
            data["instructions"] = message.instructions
            break
    prompts = [part.content for message in result.all_messages()
               for part in getattr(message, "parts", ())
               if getattr(part, "part_kind", None) == "system-prompt"
               and getattr(part, "content", None)]
    if prompts:
        data["system_prompt"] = "\n\n".join(prompts)
    return data


def agent_output(result: Any) -> Any:
    """A finished run's output: its ``output`` and the last model ``response``."""
    if not result:
        return None
    out: dict[str, Any] = {}
    if hasattr(result, "output"):
        out["output"] = result.output
    if hasattr(result, "response"):
        out["response"] = result.response or None
    return out or result


def stream_output(stream: Any) -> Any:
    """A streamed run's output: the last model ``response``."""
    response = getattr(stream, "response", None) if stream else None
    return {"response": response} if response else None


def tool_definitions(parameters: Any) -> list[dict[str, Any]]:
    """The function and output tools of a request's parameters, in the OpenAI tools format."""
    tools = []
    for field in ("function_tools", "output_tools"):
        for tool in getattr(parameters, field, None) or ():
            name = getattr(tool, "name", None)
            if not name:
                continue
            function: dict[str, Any] = {
                "name": name,
                "parameters": getattr(tool, "parameters_json_schema", None)
                or {"type": "object", "properties": {}, "required": []}}
            if getattr(tool, "description", None):
                function["description"] = tool.description
            if getattr(tool, "strict", None) is not None:
                function["strict"] = tool.strict
            tools.append({"type": "function", "function": function})
    return tools


def model_request_fields(model: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]
                         ) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``(span name, input, metadata)`` of a ``Model.request*`` call."""
    name, provider = model_info(model)
    messages = args[0] if args else kwargs.get("messages")
    settings = args[1] if len(args) > 1 else kwargs.get("model_settings")
    data: dict[str, Any] = {"messages": list(messages or [])}
    metadata: dict[str, Any] = {}
    if name:
        metadata["model"] = name
    if provider:
        metadata["provider"] = provider
    if settings is not None:
        data["model_settings"] = settings
        metadata["invocation_params"] = settings
    return f"chat {name or type(model).__name__}", data, metadata


def direct_request_fields(args: tuple[Any, ...], kwargs: Mapping[str, Any]
                          ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(input, metadata)`` of a direct ``model_request*(model, messages, ...)`` call."""
    model = args[0] if args else kwargs.get("model")
    messages = args[1] if len(args) > 1 else kwargs.get("messages")
    data: dict[str, Any] = {}
    if model is not None:
        data["model"] = str(model)
    if messages:
        data["messages"] = list(messages)
    for key in ("model_settings", "model_request_parameters"):
        if key in kwargs:
            data[key] = kwargs[key]
    name, provider = _split_model(model)
    metadata: dict[str, Any] = {}
    if name:
        metadata["model"] = name
    if provider:
        metadata["provider"] = provider
    return data, metadata


def response_metrics(response: Any) -> dict[str, float]:
    """The token metrics of a model response's usage."""
    usage = getattr(response, "usage", None)
    metrics: dict[str, float] = {}
    if not usage:
        return metrics
    for attr, key in (("input_tokens", "prompt_tokens"), ("output_tokens", "completion_tokens"),
                      ("total_tokens", "tokens"), ("cache_read_tokens", "prompt_cached_tokens"),
                      ("cache_write_tokens", "prompt_cache_creation_tokens"),
                      ("input_audio_tokens", "prompt_audio_tokens"),
                      ("output_audio_tokens", "completion_audio_tokens")):
        value = getattr(usage, attr, None)
        if value is not None:
            metrics[key] = float(value)
    reasoning = getattr(usage, "output_reasoning_tokens", None)
    details = getattr(usage, "details", None)
    if isinstance(details, Mapping):
        if reasoning is None:
            reasoning = next((details[k] for k in ("reasoning_tokens", "thinking_tokens",
                                                   "thoughts_tokens")
                              if details.get(k) is not None), None)
        if details.get("cached_tokens") is not None:
            metrics["prompt_cached_tokens"] = float(details["cached_tokens"])
    if reasoning is not None:
        metrics["completion_reasoning_tokens"] = float(reasoning)
    return metrics


def response_metadata(response: Any) -> Optional[dict[str, Any]]:
    """``{"pydantic_ai_usage": ...}``: a response's audio seconds and web searches, if any."""
    usage = getattr(response, "usage", None)
    found: dict[str, Any] = {}
    if getattr(usage, "audio_seconds", None) is not None:
        found["audio_seconds"] = float(usage.audio_seconds)  # type: ignore[union-attr]
    details = getattr(usage, "details", None)
    if isinstance(details, Mapping) and details.get("web_search_requests") is not None:
        found["web_search_requests"] = details["web_search_requests"]
    return {"pydantic_ai_usage": found} if found else None
