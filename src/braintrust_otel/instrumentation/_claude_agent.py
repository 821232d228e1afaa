"""Claude Agent SDK messages as row values: pure functions, no spans.

The SDK hands the application typed messages (dataclasses) read from the
``claude`` CLI's stream-json output. These functions turn them into the
values the official SDK's rows carry: content blocks as dicts tagged with
their Anthropic ``type``, tool names split into MCP server and tool, the
result message's metadata and token metrics.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, NamedTuple, Optional

__all__ = ["ToolName", "block", "blocks", "copy_usage", "llm_input", "merge_usage",
           "result_metadata", "result_usage", "system_event", "task_field", "task_metadata",
           "task_name", "task_output", "tool_metadata", "tool_name", "tool_result_output",
           "usage_metadata", "usage_metrics"]

#: Content block class -> the Anthropic ``type`` its dict carries.
_BLOCK_TYPES = {"TextBlock": "text", "ThinkingBlock": "thinking", "ToolUseBlock": "tool_use",
                "ToolResultBlock": "tool_result"}
_SYSTEM_FIELDS = ("task_id", "description", "uuid", "session_id", "tool_use_id", "task_type",
                  "status", "output_file", "summary", "last_tool_name", "usage")
_RESULT_FIELDS = ("num_turns", "session_id", "stop_reason", "total_cost_usd", "duration_ms",
                  "duration_api_ms")
#: Non-numeric usage fields kept as ``usage_<name>`` metadata.
_USAGE_METADATA = ("service_tier", "inference_geo", "speed", "fallback_credit")
_MODEL_USAGE_FIELDS = {"inputTokens": "input_tokens", "outputTokens": "output_tokens",
                       "cacheReadInputTokens": "cache_read_input_tokens",
                       "cacheCreationInputTokens": "cache_creation_input_tokens"}


class ToolName(NamedTuple):
    """A tool's name as the model called it, as shown, and its MCP server if any."""

    raw: str
    display: str
    mcp_server: Optional[str]


def tool_name(name: Any) -> ToolName:
    """Splits ``mcp__<server>__<tool>`` into server and tool; other names stay whole."""
    raw = str(name) if name is not None else "unknown"
    if raw.startswith("mcp__"):
        server, sep, tool = raw[len("mcp__"):].rpartition("__")
        if sep and server and tool:
            return ToolName(raw, tool, server)
    return ToolName(raw, raw, None)


def tool_metadata(name: ToolName, tool_use_id: str) -> dict[str, Any]:
    """A tool span's metadata: GenAI tool name and call id, MCP facts for MCP tools."""
    metadata: dict[str, Any] = {"gen_ai.tool.name": name.display,
                                "gen_ai.tool.call.id": tool_use_id}
    if name.raw != name.display:
        metadata["raw_tool_name"] = name.raw
    if name.mcp_server is not None:
        metadata.update({"gen_ai.operation.name": "execute_tool",
                         "mcp.method.name": "tools/call", "mcp.server": name.mcp_server})
    return metadata


def _only_text(content: Any) -> Any:
    """A one-text-part list as its text (how the official rows show short results)."""
    if (isinstance(content, list) and len(content) == 1 and isinstance(content[0], Mapping)
            and content[0].get("type") == "text" and "text" in content[0]):
        return content[0]["text"]
    return content


def block(value: Any) -> Any:
    """One content block (an SDK dataclass) as a dict with its Anthropic ``type``."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    out = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    kind = _BLOCK_TYPES.get(type(value).__name__)
    if kind is not None:
        out["type"] = kind
    if kind == "tool_result":
        out["content"] = _only_text(out.get("content"))
        if out.get("is_error") is None:
            out.pop("is_error", None)
    return out


def blocks(content: Any) -> Any:
    """A message's content: a list of blocks as dicts, a string as it is."""
    if not isinstance(content, list):
        return content
    return [block(b) for b in content]


def tool_result_output(result: Any) -> dict[str, Any]:
    """A tool span's output from the ``ToolResultBlock`` that answered it."""
    content = getattr(result, "content", None)
    if dataclasses.is_dataclass(content) and not isinstance(content, type):
        shown: Any = block(content)
    elif isinstance(content, list):
        shown = _only_text(blocks(content))
    else:
        shown = content
    output: dict[str, Any] = {"content": shown}
    if getattr(result, "is_error", None) is True:
        output["is_error"] = True
    return output


def llm_input(prompt: Any, history: list[dict[str, Any]]) -> Optional[list[dict[str, Any]]]:
    """A model call's input: the user's prompt, then the conversation so far."""
    if isinstance(prompt, str):
        return [{"content": prompt, "role": "user"}, *history]
    return list(history) or None


def system_event(message: Any) -> dict[str, Any]:
    """A system message (init, task started/progress/notification) as a task event."""
    event: dict[str, Any] = {"subtype": getattr(message, "subtype", None)}
    for name in _SYSTEM_FIELDS:
        value = getattr(message, name, None)
        if value is not None:
            event[name] = value
    if len(event) == 1 and getattr(message, "data", None):
        event["data"] = message.data
    return event


def _count(value: Any) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value < 0 or int(value) != value:
        return None
    return int(value)


def _as_mapping(value: Any) -> Optional[Mapping[str, Any]]:
    if value is None or isinstance(value, Mapping):
        return value
    try:
        return dict(vars(value))
    except TypeError:
        return None


def task_field(message: Any, name: str) -> Any:
    """A field of a task system message: an attribute (SDK 0.1.11+), else in its raw ``data``."""
    value = getattr(message, name, None)
    if value is not None:
        return value
    data = getattr(message, "data", None)
    return data.get(name) if isinstance(data, Mapping) else None


def task_name(message: Any, task_id: str) -> str:
    """A task span's name: the task's description, else its type, else ``Task <id>``."""
    return str(task_field(message, "description") or task_field(message, "task_type")
               or f"Task {task_id}")


def task_metadata(message: Any) -> dict[str, Any]:
    """What a task started/progress/notification message tells about the task."""
    return {name: value for name in ("task_id", "session_id", "tool_use_id", "task_type",
                                     "status", "last_tool_name", "usage")
            if (value := task_field(message, name)) is not None}


def task_output(message: Any) -> Optional[dict[str, Any]]:
    """A finished task's summary and output file, or None when it names neither."""
    output = {name: value for name in ("summary", "output_file")
              if (value := task_field(message, name)) is not None}
    return output or None


def copy_usage(usage: Any) -> Optional[dict[str, Any]]:
    """The token counts of an Anthropic usage object (a dict, or an object with fields)."""
    usage = _as_mapping(usage)
    if not usage:
        return None
    kept: dict[str, Any] = {}
    for name in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                 "cache_creation_input_tokens"):
        value = _count(usage.get(name))
        if value is not None:
            kept[name] = value
    cache = _as_mapping(usage.get("cache_creation"))
    if cache:
        parts = {k: v for k in ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
                 if (v := _count(cache.get(k))) is not None}
        if parts:
            kept["cache_creation"] = parts
    return kept or None


def merge_usage(base: Optional[Mapping[str, Any]],
                update: Optional[Mapping[str, Any]]) -> Optional[dict[str, Any]]:
    """Counts of ``update`` over those of ``base`` (a stream's later events win)."""
    if not base or not update:
        chosen = update or base
        return dict(chosen) if chosen else None
    merged = {**base, **update}
    if isinstance(base.get("cache_creation"), Mapping) \
            or isinstance(update.get("cache_creation"), Mapping):
        merged["cache_creation"] = {**(base.get("cache_creation") or {}),
                                    **(update.get("cache_creation") or {})}
    return merged


def usage_metadata(usage: Any) -> dict[str, Any]:
    """The non-numeric facts of a usage object, as ``usage_<name>`` metadata."""
    usage = _as_mapping(usage) or {}
    return {f"usage_{name}": usage[name] for name in _USAGE_METADATA
            if usage.get(name) is not None}


def usage_metrics(usage: Any, include_output: bool = True) -> dict[str, float]:
    """Anthropic usage as Braintrust metrics: ``prompt_tokens`` counts cached input too.

    Args:
        usage: The usage (a dict, or an object with fields).
        include_output: False while the output count is not final yet (a streamed
            message before its ``message_delta``): no completion or total then.
    """
    usage = _as_mapping(usage)
    if not usage:
        return {}
    if not include_output:
        usage = {k: v for k, v in usage.items() if k != "output_tokens"}
    metrics: dict[str, float] = {}
    for source, name in (("input_tokens", "prompt_tokens"), ("output_tokens", "completion_tokens"),
                         ("cache_read_input_tokens", "prompt_cached_tokens"),
                         ("cache_creation_input_tokens", "prompt_cache_creation_tokens")):
        value = _count(usage.get(source))
        if value is not None:
            metrics[name] = float(value)
    created = metrics.get("prompt_cache_creation_tokens", 0.0)
    cache = _as_mapping(usage.get("cache_creation"))
    if cache:
        parts = {name: _count(cache.get(source)) for source, name in (
            ("ephemeral_5m_input_tokens", "prompt_cache_creation_5m_tokens"),
            ("ephemeral_1h_input_tokens", "prompt_cache_creation_1h_tokens"))}
        found = {k: float(v) for k, v in parts.items() if v is not None}
        if found:
            # The per-lifetime counts replace the older single total.
            metrics.pop("prompt_cache_creation_tokens", None)
            metrics.update(found)
            created = sum(found.values())
    if any(k.startswith("prompt_") for k in metrics):
        prompt = metrics.get("prompt_tokens", 0.0) + metrics.get("prompt_cached_tokens", 0.0) \
            + created
        metrics["prompt_tokens"] = prompt
        if "completion_tokens" in metrics:
            metrics["tokens"] = prompt + metrics["completion_tokens"]
    return metrics


def result_usage(message: Any) -> Optional[dict[str, Any]]:
    """The run's token usage: per-model usage summed (subagents included), else ``usage``."""
    model_usage = getattr(message, "model_usage", None)
    if isinstance(model_usage, Mapping):
        totals: dict[str, int] = {}
        for per_model in model_usage.values():
            fields = _as_mapping(per_model) or {}
            for source, name in _MODEL_USAGE_FIELDS.items():
                value = _count(fields.get(source))
                if value is not None:
                    totals[name] = totals.get(name, 0) + value
        if totals:
            return dict(totals)
    return copy_usage(getattr(message, "usage", None))


def result_metadata(message: Any) -> dict[str, Any]:
    """The run's facts from its ``ResultMessage``: turns, session, stop reason, cost, times."""
    metadata = {name: value for name in _RESULT_FIELDS
                if (value := getattr(message, name, None)) is not None}
    metadata.update(usage_metadata(getattr(message, "usage", None)))
    return metadata
