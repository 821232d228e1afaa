"""Cursor SDK values as row values: pure functions, no spans.

The Cursor SDK hands the application dataclasses (``TokenUsage``,
``ModelSelection``, ``SDKImage``...) parsed from the bridge's JSON, and lets
callers pass plain dicts in their place. These functions read either form
and build what the official SDK's Cursor rows carry: the user message as
chat messages, token counts as Braintrust metrics, tool calls in the OpenAI
shape, a model turn's output as one choice.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import mimetypes
import re
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from ..attachments import Attachment

__all__ = ["assistant_message", "field", "model_id", "run_error", "tool_call", "turn_output",
           "usage_metrics", "user_messages"]

#: Run statuses that end a run without success (the SDK also spells them as the
#: wire enum, ``RUN_LIFECYCLE_STATUS_ERROR``).
_FAILED = ("error", "cancelled", "expired")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def field(value: Any, name: str, default: Any = None) -> Any:
    """``value[name]`` for a mapping, ``value.name`` otherwise; ``default`` when absent."""
    if isinstance(value, Mapping):
        return value.get(name, default)
    return getattr(value, name, default)


def model_id(value: Any) -> Optional[str]:
    """The model's id: ``value`` itself when a string, else its ``id`` (a ``ModelSelection``)."""
    if isinstance(value, str):
        return value or None
    found = field(value, "id")
    return str(found) if found else None


def _image_part(image: Any) -> Optional[dict[str, Any]]:
    url = field(image, "url")
    if isinstance(url, Mapping):  # the wire form, {"url": {"url": ...}}
        url = url.get("url")
    if isinstance(url, str) and url:
        return {"type": "image_url", "image_url": {"url": url}}
    data = field(image, "data")
    mime_type = field(image, "mime_type") or field(image, "mimeType")
    if isinstance(data, Mapping):  # the wire form, {"data": {"data": ..., "mimeType": ...}}
        mime_type = data.get("mimeType") or mime_type
        data = data.get("data")
    if not isinstance(data, str) or not data or not isinstance(mime_type, str) or not mime_type:
        return None
    try:
        raw = base64.b64decode(data.partition(",")[2] if data.startswith("data:") else data,
                               validate=True)
    except (binascii.Error, ValueError):
        return {"type": "image_url", "image_url": {"url": data}}
    ext = mimetypes.guess_extension(mime_type) or ".bin"
    return {"type": "image_url", "image_url": {
        "url": Attachment(raw, filename=f"image{ext}", content_type=mime_type)}}


def user_messages(message: Any) -> list[dict[str, Any]]:
    """The message given to ``Agent.send`` as a one-message chat history.

    A string is the content as it is; a ``UserMessage`` (or its dict) with
    images is a list of parts, text first, each image an ``image_url`` part
    (inline image data as an attachment).
    """
    if isinstance(message, str):
        return [{"role": "user", "content": message}]
    text = field(message, "text", "")
    parts: list[dict[str, Any]] = []
    if isinstance(text, str) and text:
        parts.append({"type": "text", "text": text})
    images = field(message, "images") or ()
    for image in images if isinstance(images, Sequence) else ():
        part = _image_part(image)
        if part is not None:
            parts.append(part)
    return [{"role": "user", "content": parts if parts else message}]


def _count(value: Any) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return int(number)


def _usage_fields(usage: Any) -> dict[str, Any]:
    if isinstance(usage, Mapping):
        items = dict(usage)
    elif hasattr(usage, "__dataclass_fields__"):
        items = {name: getattr(usage, name) for name in usage.__dataclass_fields__}
    else:
        return {}
    return {_CAMEL.sub("_", str(name)).lower(): value for name, value in items.items()}


def usage_metrics(usage: Any) -> dict[str, int]:
    """Cursor token usage (a ``TokenUsage`` or its dict, either casing) as Braintrust metrics.

    Cache reads and writes are part of the prompt, as Cursor bills them;
    reasoning tokens are a part of the completion, reported on their own.
    """
    fields = _usage_fields(usage)
    given = {name: _count(fields.get(name)) for name in (
        "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
        "reasoning_tokens")}
    prompt_parts = [given[name] for name in ("input_tokens", "cache_read_tokens",
                                             "cache_write_tokens") if given[name] is not None]
    metrics: dict[str, int] = {}
    prompt = sum(p for p in prompt_parts if p is not None) if prompt_parts else None
    completion = given["output_tokens"]
    if prompt is not None:
        metrics["prompt_tokens"] = prompt
    if completion is not None:
        metrics["completion_tokens"] = completion
    if prompt is not None and completion is not None:
        metrics["tokens"] = prompt + completion
    for source, target in (("cache_read_tokens", "prompt_cached_tokens"),
                           ("cache_write_tokens", "prompt_cache_creation_tokens"),
                           ("reasoning_tokens", "completion_reasoning_tokens")):
        count = given[source]
        if count is not None:
            metrics[target] = count
    return metrics


def tool_call(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    """A tool call in the OpenAI shape (arguments as a JSON string)."""
    if not isinstance(arguments, str):
        try:
            arguments = json.dumps(arguments)
        except (TypeError, ValueError):
            arguments = str(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def assistant_message(text: str, tool_calls: list[dict[str, Any]],
                      reasoning: str = "") -> dict[str, Any]:
    """The assistant message a model turn produced (``reasoning`` kept only when given)."""
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if tool_calls:
        message["tool_calls"] = list(tool_calls)
    if reasoning:
        message["reasoning"] = reasoning
    return message


def turn_output(text: str, tool_calls: list[dict[str, Any]],
                reasoning: str) -> list[dict[str, Any]]:
    """A model turn's output: its reasoning summary (if any), then the one choice."""
    output: list[dict[str, Any]] = []
    if reasoning:
        output.append({"type": "reasoning",
                       "summary": [{"type": "summary_text", "text": reasoning}]})
    output.append({"index": 0, "finish_reason": "tool_calls" if tool_calls else "stop",
                   "message": assistant_message(text, tool_calls)})
    return output


def run_error(status: Any, message: Any = None, cancelled: bool = False) -> Optional[str]:
    """The error of a run that ended with ``status`` (None when it succeeded)."""
    if cancelled:
        return "Cursor run cancelled"
    normalized = str(status or "").lower().removeprefix("run_lifecycle_status_")
    if not normalized.endswith(_FAILED):
        return None
    if isinstance(message, str) and message:
        return f"Cursor run {normalized}: {message}"
    return f"Cursor run {normalized}"
