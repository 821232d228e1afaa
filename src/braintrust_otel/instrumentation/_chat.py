"""OpenAI-style chat pieces shared by providers that speak the same shapes."""

from __future__ import annotations

import json
from typing import Any

from ._llm import LLMCall, dump, get

__all__ = ["merge_chunks", "parse_arguments", "record_tool_calls"]


def merge_chunks(chunks: list[Any]) -> tuple[list[dict[str, Any]], Any, Any, Any]:
    """Streamed chat chunks as ``(choices, usage, model, id)`` of one whole response."""
    merged: dict[int, dict[str, Any]] = {}
    usage = model = rid = None
    for chunk in chunks:
        model, rid = get(chunk, "model") or model, get(chunk, "id") or rid
        usage = get(chunk, "usage") or usage
        for choice in get(chunk, "choices") or []:
            index = get(choice, "index") or 0
            out = merged.setdefault(index, {"index": index,
                                            "message": {"role": "assistant", "content": ""},
                                            "finish_reason": None})
            delta, message = get(choice, "delta"), out["message"]
            if get(delta, "role"):
                message["role"] = get(delta, "role")
            content = get(delta, "content")
            if isinstance(content, str):
                message["content"] += content
            for call_delta in get(delta, "tool_calls") or []:
                calls = message.setdefault("tool_calls", [])
                i = get(call_delta, "index") or 0
                while len(calls) <= i:
                    calls.append({"id": None, "type": "function",
                                  "function": {"name": "", "arguments": ""}})
                if get(call_delta, "id"):
                    calls[i]["id"] = get(call_delta, "id")
                fn = get(call_delta, "function")
                if get(fn, "name"):
                    calls[i]["function"]["name"] += get(fn, "name")
                arguments = get(fn, "arguments")
                if isinstance(arguments, str):
                    calls[i]["function"]["arguments"] += arguments
                elif arguments is not None:
                    calls[i]["function"]["arguments"] = dump(arguments)
            if get(choice, "finish_reason"):
                out["finish_reason"] = get(choice, "finish_reason")
    return [merged[i] for i in sorted(merged)], usage, model, rid


def parse_arguments(arguments: Any) -> Any:
    """Tool-call arguments as data when they are a JSON string, else unchanged."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return arguments


def record_tool_calls(call: LLMCall, choices: list[Any]) -> None:
    """One ``tool: name`` child span per tool call in the response's choices."""
    for choice_index, choice in enumerate(choices):
        for tool_index, tool_call in enumerate(get(choice, "message", "tool_calls") or []):
            fn = get(tool_call, "function")
            kind = get(tool_call, "type") or "function"
            call.tool_call(str(get(fn, "name") or kind),
                           parse_arguments(get(fn, "arguments")),
                           {k: v for k, v in (("tool_call_id", get(tool_call, "id")),
                                              ("tool_type", kind),
                                              ("tool_index", tool_index),
                                              ("choice_index", choice_index))
                            if v is not None})
