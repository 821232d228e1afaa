"""The Braintrust fields of one OpenAI Agents SDK span, read from its span data (pure).

Names, types and fields follow what the official Braintrust SDK logs for the
same span, so a trace looks the same whichever SDK recorded it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ._llm import dump, get

_TYPES = {"agent": "task", "function": "tool", "generation": "llm", "response": "llm",
          "handoff": "function", "guardrail": "function", "custom": "task",
          "mcp_tools": "function", "transcription": "llm", "speech": "llm"}


@dataclass
class AgentsSpan:
    """What one Agents span becomes: its name, span type and logged fields."""

    name: str
    type: str
    input: Any = None
    output: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    has_input: bool = False
    has_output: bool = False


def _sdk_kind(data: Mapping[str, Any]) -> Optional[str]:
    # Task and turn spans export as "custom" spans that name their kind in data.
    inner = data.get("data")
    if data.get("type") == "custom" and isinstance(inner, Mapping):
        kind = inner.get("sdk_span_type")
        return kind if kind in ("task", "turn") else None
    return None


def usage_metrics(usage: Any) -> dict[str, Any]:
    """Token counts of an Agents or Responses usage as Braintrust metrics (unset ones left out)."""
    if usage is None:
        return {}
    prompt, completion = get(usage, "input_tokens"), get(usage, "output_tokens")
    total = get(usage, "total_tokens")
    if total is None and (prompt is not None or completion is not None):
        total = (prompt or 0) + (completion or 0)
    metrics = {"prompt_tokens": prompt, "completion_tokens": completion, "tokens": total}
    return {k: v for k, v in metrics.items() if v is not None}


def _response_metrics(usage: Any) -> dict[str, Any]:
    metrics = usage_metrics(usage)
    for key, path in (("prompt_cached_tokens", ("input_tokens_details", "cached_tokens")),
                      ("completion_reasoning_tokens",
                       ("output_tokens_details", "reasoning_tokens"))):
        value = get(usage, *path)
        if value is not None:
            metrics[key] = value
    return metrics


def start_name(data: Mapping[str, Any]) -> str:
    """The name an Agents span is given when it starts (from its exported data)."""
    kind, inner = _sdk_kind(data), data.get("data")
    if kind == "task" and isinstance(inner, Mapping):
        return str(inner.get("name") or "Task")
    if kind == "turn" and isinstance(inner, Mapping):
        return f"Turn {inner.get('turn')} ({inner.get('agent_name')})"
    if data.get("type") == "response":
        return "Response"
    if data.get("type") == "handoff":
        return f"handoff to {data.get('to_agent')}"
    return str(data.get("name") or data.get("type") or "span")


def span_fields(span_data: Any) -> AgentsSpan:
    """The Braintrust fields of an ended Agents span, from its span data object."""
    data = dict(span_data.export())
    kind = str(data.pop("type", "custom"))
    name = start_name({"type": kind, **data})
    sdk_kind = _sdk_kind({"type": kind, **data})
    if sdk_kind is not None:
        inner = dict(data.get("data") or {})
        span = AgentsSpan(name, "task", metrics=usage_metrics(inner.get("usage")))
        if sdk_kind == "turn":
            span.metadata = {"agent_name": inner.get("agent_name"), "turn": inner.get("turn")}
        if isinstance(inner.get("metadata"), Mapping):
            span.metadata.update(inner["metadata"])
        return span
    if kind == "response":
        # The exported data holds only ids and usage; the request and reply are on the object.
        response = getattr(span_data, "response", None)
        plain = dump(response) if response is not None else {}
        plain = dict(plain) if isinstance(plain, Mapping) else {}
        output = plain.pop("output", None)
        usage = plain.pop("usage", None)
        given = getattr(span_data, "input", None)
        return AgentsSpan(name, "llm", input=given, output=output, metadata=plain,
                          metrics=_response_metrics(usage), has_input=given is not None,
                          has_output=response is not None)
    span = AgentsSpan(name, _TYPES.get(kind, "task"))
    for key in ("input", "output"):
        if key in data:
            setattr(span, key, data.pop(key))
            setattr(span, f"has_{key}", True)
    usage = data.pop("usage", None)
    if kind == "generation" and isinstance(usage, Mapping):
        prompt, out = usage.get("input_tokens"), usage.get("output_tokens")
        span.metrics = {"prompt_tokens": prompt, "completion_tokens": out,
                        "tokens": (prompt or 0) + (out or 0)}
    elif usage is not None:
        data["usage"] = usage
    data.pop("name", None)
    span.metadata = data
    return span
