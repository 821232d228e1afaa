"""Google ADK objects as row values: pure functions, no spans.

The official SDK's ADK rows log the runner's message, ADK's events, a model
request's readable fields and the kind of model call; these functions read
those values off ADK's and google-genai's objects the same way.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable
from typing import Any, Optional

__all__ = ["call_type", "event_output", "llm_metadata", "llm_request_input", "plain",
           "tool_node_arguments"]

#: The fields of a request's config that make its row readable.
_CONFIG_FIELDS = ("system_instruction", "response_mime_type", "response_schema",
                  "response_json_schema", "input_schema", "output_schema", "max_output_tokens",
                  "temperature", "top_p", "top_k", "stop_sequences", "candidate_count")


def plain(value: Any) -> Any:
    """A pydantic object (ADK's events, google-genai's types) as plain data without its
    empty fields; a pydantic model class as its JSON schema; anything else as it is."""
    if inspect.isclass(value):
        schema = getattr(value, "model_json_schema", None)
        return schema() if callable(schema) else value.__name__
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _config(config: Any) -> Any:
    picked = {name: plain(value) for name in _CONFIG_FIELDS
              if (value := getattr(config, name, None)) is not None}
    return picked or plain(config)


def llm_request_input(request: Any) -> Any:
    """A model request as the ``llm_call`` row's input: ``model``, ``contents``, the
    readable ``config`` fields and ``live_connect_config``, those that are set."""
    if request is None:
        return None
    out: dict[str, Any] = {}
    if getattr(request, "model", None):
        out["model"] = request.model
    if getattr(request, "contents", None):
        out["contents"] = plain(request.contents)
    if getattr(request, "config", None):
        out["config"] = _config(request.config)
    if getattr(request, "live_connect_config", None):
        out["live_connect_config"] = plain(request.live_connect_config)
    return out or plain(request)


def llm_metadata(flow: Any, request: Any) -> dict[str, Any]:
    """The ``llm_call`` row's metadata: the flow's class, the model, ``provider:
    google``, and the request's tools and tool config when it has them."""
    model = getattr(request, "model", None) or getattr(getattr(flow, "llm", None), "model",
                                                       None)
    out: dict[str, Any] = {"flow_class": type(flow).__name__,
                           "model": str(model) if model else None, "provider": "google"}
    config = getattr(request, "config", None)
    for name in ("tools", "tool_config"):
        value = getattr(config, name, None)
        if value:
            out[name] = plain(value)
    return out


def _parts(content: Any) -> Iterable[Any]:
    return getattr(content, "parts", None) or []


def _has(part: Any, *names: str) -> bool:
    return any(getattr(part, name, None) is not None for name in names)


def call_type(request: Any, response: Any) -> str:
    """What a model call was for: ``response_generation`` (the request carries a tool's
    response), ``tool_selection`` (the reply calls a tool) or ``direct_response``."""
    for content in getattr(request, "contents", None) or []:
        if any(_has(p, "function_response") for p in _parts(content)):
            return "response_generation"
    calls = getattr(response, "get_function_calls", None)
    if callable(calls):
        try:
            if calls():
                return "tool_selection"
        except Exception:  # an event of another shape: read its parts instead
            pass
    parts = [*_parts(getattr(response, "content", None)), *(getattr(response, "parts", None)
                                                            or [])]
    if any(_has(p, "function_call") for p in parts):
        return "tool_selection"
    return "direct_response"


def event_output(last: Any, with_content: Optional[Any]) -> Any:
    """The last event of a model call as output; when it has no content, the content of
    the last event that had some rides along (``{"event", "content"}``)."""
    if with_content is None or getattr(last, "content", None) is not None:
        return plain(last)
    content = getattr(with_content, "content", None)
    if content is None:
        return plain(last)
    return {"event": plain(last), "content": plain(content)}


def tool_node_arguments(node_input: Any) -> Any:
    """A workflow tool node's input as the tool's arguments: a content's text or a
    string parsed as JSON when it is; ``{}`` for what is not a mapping or a model."""
    value = node_input
    if hasattr(value, "parts"):
        value = "".join(getattr(p, "text", "") or "" for p in (value.parts or []))
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if isinstance(value, dict) or hasattr(value, "model_dump"):
        return plain(value)
    return {}
