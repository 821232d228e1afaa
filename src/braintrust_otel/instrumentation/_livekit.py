"""LiveKit Agents objects as row values: pure functions, no spans.

The rows the official SDK logs for a LiveKit session read their values off
LiveKit's objects: the tool executions of a reply (``_ToolOutput``), the
metrics events its LLMs emit (``LLMMetrics``), and a run's ``RunResult``.
These functions pick those values the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Optional

__all__ = ["metrics_event", "parse_jsonish", "tool_event", "turn_metadata"]

#: LiveKit metrics type -> the fields copied under ``metadata.livekit_metrics``.
_LIVEKIT_METRICS: dict[str, tuple[str, ...]] = {
    "llm_metrics": ("cancelled", "completion_tokens", "prompt_cached_tokens", "prompt_tokens",
                    "tokens_per_second", "total_tokens"),
    "realtime_model_metrics": ("cancelled", "duration", "input_audio_tokens",
                               "input_cached_audio_tokens", "input_cached_tokens",
                               "input_text_tokens", "input_tokens", "output_audio_tokens",
                               "output_text_tokens", "output_tokens", "tokens_per_second",
                               "total_tokens", "ttft"),
}
#: LiveKit metrics type -> (its field, the Braintrust metric it becomes).
_PROMOTED: dict[str, tuple[tuple[str, str], ...]] = {
    "llm_metrics": (("ttft", "time_to_first_token"),),
    "realtime_model_metrics": (("ttft", "time_to_first_token"),),
}
#: String fields of a metrics event that become metadata as they are.
_STRING_FIELDS = ("label", "request_id", "speech_id", "segment_id", "generation_id",
                  "function_calls", "function_tools")
#: What a run's result (or one of its events) may say about the turn.
_TURN_FIELDS = ("generation_id", "speech_id", "interrupted", "function_calls", "function_tools")


def parse_jsonish(value: Any) -> Any:
    """A string that holds a JSON object, array or string, parsed; anything else as it is."""
    if not isinstance(value, str) or not value or value[0] not in '[{"':
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def tool_event(tool_output: Any) -> Optional[dict[str, Any]]:
    """The ``function_tool`` row's fields for the tools one reply ran.

    Args:
        tool_output: LiveKit's ``_ToolOutput`` (its ``output`` lists the executions).

    Returns:
        ``{"input", "output", "metadata"}`` for one call (name and parsed
        arguments in; output and error flag out; the call id), or
        ``{"output": {"tool_calls": [...]}, "metadata": {"tool_call_count"}}``
        for several; None when no tool ran.
    """
    outputs = getattr(tool_output, "output", None)
    if not isinstance(outputs, list) or not outputs:
        return None
    calls = []
    for item in outputs:
        call_in = getattr(item, "fnc_call", None)
        call_out = getattr(item, "fnc_call_out", None)
        call = {"name": getattr(call_in, "name", None),
                "arguments": parse_jsonish(getattr(call_in, "arguments", None)),
                "call_id": getattr(call_in, "call_id", None),
                "output": getattr(call_out, "output", None),
                "is_error": getattr(call_out, "is_error", None)}
        calls.append({k: v for k, v in call.items() if v is not None})
    if len(calls) > 1:
        return {"output": {"tool_calls": calls}, "metadata": {"tool_call_count": len(calls)}}
    [call] = calls
    return {"input": {"name": call.get("name"), "arguments": call.get("arguments")},
            "output": {"output": call.get("output"), "is_error": call.get("is_error")},
            "metadata": {"call_id": call.get("call_id")}}


def _number(obj: Any, name: str) -> Optional[float]:
    value = getattr(obj, name, None)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _string(obj: Any, name: str) -> Optional[str]:
    value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
    return value if isinstance(value, str) else None


def metrics_event(metrics: Any) -> Optional[tuple[dict[str, float], dict[str, Any]]]:
    """A model's metrics event as ``(metrics, metadata)`` for the session row.

    Args:
        metrics: An ``LLMMetrics`` or ``RealtimeModelMetrics`` LiveKit emitted
            (``metrics_collected``), or an event holding one as ``metrics``.

    Returns:
        Time to first token as a metric; model, provider, the request and
        speech ids and the token counts (under ``livekit_metrics``) as
        metadata. None for other metrics (speech, VAD...).
    """
    metrics = getattr(metrics, "metrics", metrics)
    kind = _string(metrics, "type")
    if kind not in _LIVEKIT_METRICS:
        return None
    out = {dest: value for src, dest in _PROMOTED[kind]
           if (value := _number(metrics, src)) is not None}
    meta: dict[str, Any] = {}
    nested = getattr(metrics, "metadata", None)
    if nested is not None:
        for src, dest in (("model_name", "model"), ("model_provider", "provider")):
            if (text := _string(nested, src)) is not None:
                meta[dest] = text
    for name in _STRING_FIELDS:
        if (text := _string(metrics, name)) is not None:
            meta[name] = text
    if isinstance(getattr(metrics, "interrupted", None), bool):
        meta["interrupted"] = metrics.interrupted
    counts = {}
    for name in _LIVEKIT_METRICS[kind]:
        value = getattr(metrics, name, None)
        if value is None:
            continue
        dump = getattr(value, "model_dump", None)
        counts[name] = dump(mode="python") if callable(dump) else value
    if counts:
        meta["livekit_metrics"] = counts
    return out, meta


def turn_metadata(result: Any) -> dict[str, Any]:
    """What a ``RunResult`` (or its events) says about the turn: generation and speech
    ids, whether it was interrupted, the function calls and tools."""
    found: dict[str, Any] = {}
    events = getattr(result, "events", None)
    for source in [result, *(events if isinstance(events, list) else [])]:
        for field in _TURN_FIELDS:
            if field in found:
                continue
            for key in (field, f"lk.{field}", f"lk.response.{field}"):
                value = (source.get(key) if isinstance(source, Mapping)
                         else getattr(source, key, None))
                if value is not None:
                    found[field] = value
                    break
    return found
