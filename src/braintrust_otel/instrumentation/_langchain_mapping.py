"""LangChain's run objects as Braintrust fields: messages in OpenAI chat format, choices,
token counts, model, run names and user metadata. Pure mapping for the callback handler
in :mod:`._langchain_handler`; it touches LangChain objects only through their attributes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Optional

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool",
          "function": "function", "developer": "developer",
          "AIMessageChunk": "assistant", "HumanMessageChunk": "user"}
_TOOL_PARAMS = ("tools", "functions")
_TOOL_CHOICE_PARAMS = ("tool_choice", "function_call")
# Request parameters worth keeping as metadata; the rest of invocation_params
# repeats the client's configuration.
_PARAMS = ("temperature", "top_p", "top_k", "max_tokens", "max_completion_tokens", "stop",
           "seed", "frequency_penalty", "presence_penalty", "n", "stream", "response_format",
           "reasoning_effort", "parallel_tool_calls")


def _message(msg: Any) -> Any:
    """A LangChain message in OpenAI chat format (anything else as it is)."""
    kind = getattr(msg, "type", None)
    if not isinstance(kind, str) or not hasattr(msg, "content"):
        return msg
    role = getattr(msg, "role", None) if kind == "chat" else _ROLES.get(kind, kind)
    out: dict[str, Any] = {"role": role, "content": msg.content}
    calls = getattr(msg, "tool_calls", None)
    if calls:
        out["tool_calls"] = [
            {"id": c.get("id"), "type": "function",
             "function": {"name": c.get("name"), "arguments": json.dumps(c.get("args") or {})}}
            for c in calls if isinstance(c, Mapping)]
        if out["content"] == "":
            out["content"] = None  # as OpenAI returns an answer that only calls tools
    if kind == "tool" and getattr(msg, "tool_call_id", None):
        out["tool_call_id"] = msg.tool_call_id
    if getattr(msg, "name", None):
        out["name"] = msg.name
    return out


def _plain(value: Any, depth: int = 0) -> Any:
    """Run inputs and outputs as plain data: messages in chat format, documents as dicts."""
    if depth > 20:
        return value
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    if hasattr(value, "page_content"):  # a Document
        return {"page_content": value.page_content,
                "metadata": _plain(getattr(value, "metadata", {}), depth + 1)}
    converted = _message(value)
    if converted is not value:
        return converted
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return _plain(dump(), depth + 1)
        except Exception:
            pass
    return value


def _choices(response: Any) -> Any:
    """An ``LLMResult`` as OpenAI-style choices (one list per prompt when batched)."""
    out = []
    for batch in getattr(response, "generations", None) or []:
        choices = []
        for i, gen in enumerate(batch or []):
            message = getattr(gen, "message", None)
            info = getattr(gen, "generation_info", None) or {}
            choices.append({
                "index": i,
                "message": _message(message) if message is not None
                else {"role": "assistant", "content": getattr(gen, "text", None)},
                "finish_reason": info.get("finish_reason")
                or (getattr(message, "response_metadata", None) or {}).get("finish_reason"),
            })
        out.append(choices)
    return out[0] if len(out) == 1 else out


def _usage(response: Any) -> dict[str, Any]:
    """Token metrics of an ``LLMResult``, in Braintrust's names."""
    metrics: dict[str, Any] = {}
    for batch in getattr(response, "generations", None) or []:
        for gen in batch or []:
            usage = getattr(getattr(gen, "message", None), "usage_metadata", None)
            if not isinstance(usage, Mapping):
                continue
            for src, dst in (("input_tokens", "prompt_tokens"),
                             ("output_tokens", "completion_tokens"), ("total_tokens", "tokens")):
                if isinstance(usage.get(src), (int, float)):
                    metrics[dst] = metrics.get(dst, 0) + usage[src]
            details = usage.get("input_token_details") or {}
            for src, dst in (("cache_read", "prompt_cached_tokens"),
                             ("cache_creation", "prompt_cache_creation_tokens")):
                if isinstance(details.get(src), (int, float)):
                    metrics[dst] = metrics.get(dst, 0) + details[src]
            reasoning = (usage.get("output_token_details") or {}).get("reasoning")
            if isinstance(reasoning, (int, float)):
                metrics["completion_reasoning_tokens"] = (
                    metrics.get("completion_reasoning_tokens", 0) + reasoning)
    if not metrics:  # older integrations report usage only in llm_output
        usage = (getattr(response, "llm_output", None) or {}).get("token_usage") or {}
        for src, dst in (("prompt_tokens", "prompt_tokens"),
                         ("completion_tokens", "completion_tokens"), ("total_tokens", "tokens")):
            if isinstance(usage.get(src), (int, float)):
                metrics[dst] = usage[src]
    if "tokens" not in metrics and {"prompt_tokens", "completion_tokens"} <= set(metrics):
        metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
    return metrics


def _response_model(response: Any) -> Any:
    for batch in getattr(response, "generations", None) or []:
        for gen in batch or []:
            meta = getattr(getattr(gen, "message", None), "response_metadata", None) or {}
            if meta.get("model_name") or meta.get("model"):
                return meta.get("model_name") or meta.get("model")
    output = getattr(response, "llm_output", None) or {}
    return output.get("model_name") or output.get("model")


def _name(name: Optional[str], serialized: Optional[Mapping[str, Any]], default: str) -> str:
    if name:
        return name
    serialized = serialized or {}
    ids = serialized.get("id") or []
    return str(serialized.get("name") or (ids[-1] if ids else None) or default)


def _user_metadata(metadata: Optional[Mapping[str, Any]], tags: Optional[Sequence[str]]
                   ) -> dict[str, Any]:
    out = {k: v for k, v in (metadata or {}).items() if not k.startswith("ls_")}
    if tags:
        out["tags"] = list(tags)
    return out
