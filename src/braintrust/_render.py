"""Mustache rendering of a saved prompt's parts (messages, content parts, params).

Pure functions of a template and its variables: :meth:`Prompt.build` calls
them. A variable with no value renders empty unless ``strict``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import chevron  # type: ignore[import-untyped]
from chevron.tokenizer import tokenize  # type: ignore[import-untyped]

from ._paths import MISSING, get_path

__all__ = ["BRAINTRUST_PARAMS", "render", "render_message", "render_params"]

#: Prompt parameters that only Braintrust reads; build() leaves them out of the call.
BRAINTRUST_PARAMS = ("use_cache",)


def render(template: str, variables: Mapping[str, Any], strict: bool) -> str:
    """Mustache-renders ``template``; a missing variable is empty unless ``strict``."""
    if strict:
        _check_variables(template, variables)
    return str(chevron.render(template, dict(variables)))


def _check_variables(template: str, variables: Mapping[str, Any]) -> None:
    depth = 0
    for kind, key in tokenize(template):
        if kind in ("section", "inverted section"):
            depth += 1
        elif kind == "end":
            depth -= 1
        elif kind in ("variable", "no escape") and depth == 0 and key != "." \
                and get_path(variables, key) is MISSING:
            raise ValueError(f"Prompt.build(strict=True): no value for variable {key!r}")


def _render_json_values(value: Any, variables: Mapping[str, Any], strict: bool) -> Any:
    # Templates inside a JSON schema: a non-string variable is inserted as JSON.
    if isinstance(value, str):
        as_json = {k: v if isinstance(v, str) else json.dumps(v) for k, v in variables.items()}
        return render(value, as_json, strict)
    if isinstance(value, list):
        return [_render_json_values(v, variables, strict) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _render_json_values(v, variables, strict) for k, v in value.items()}
    return value


def render_params(params: Mapping[str, Any], variables: Mapping[str, Any],
                  strict: bool) -> dict[str, Any]:
    """The call parameters, less Braintrust-only ones, with templates in a JSON-schema
    ``response_format`` rendered."""
    out = {k: v for k, v in params.items() if k not in BRAINTRUST_PARAMS}
    fmt = out.get("response_format")
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_schema" \
            and isinstance(fmt.get("json_schema"), Mapping) \
            and fmt["json_schema"].get("schema") is not None:
        schema = _render_json_values(fmt["json_schema"]["schema"], variables, strict)
        if isinstance(schema, str):
            schema = json.loads(schema)
        out["response_format"] = {**fmt, "json_schema": {**fmt["json_schema"], "schema": schema}}
    return out


def render_message(message: Mapping[str, Any], variables: Mapping[str, Any],
                   strict: bool) -> dict[str, Any]:
    """A chat message with its content (text and parts), tool calls and
    ``tool_call_id`` rendered; fields that are None are left out."""
    out = {k: v for k, v in message.items() if v is not None}
    content = message.get("content")
    if isinstance(content, str):
        out["content"] = render(content, variables, strict)
    elif isinstance(content, list):
        out["content"] = [_render_part(part, variables, strict) for part in content]
    else:
        out["content"] = content
    if isinstance(message.get("tool_calls"), list):
        out["tool_calls"] = [
            {"type": call.get("type", "function"),
             "id": render(str(call.get("id", "")), variables, strict),
             "function": {"name": render(str(call["function"].get("name", "")), variables,
                                         strict),
                          "arguments": render(str(call["function"].get("arguments", "")),
                                              variables, strict)}}
            for call in message["tool_calls"]]
    if isinstance(message.get("tool_call_id"), str):
        out["tool_call_id"] = render(message["tool_call_id"], variables, strict)
    return out


def _render_part(part: Any, variables: Mapping[str, Any], strict: bool) -> Any:
    if not isinstance(part, Mapping):
        return part
    kind = part.get("type")
    if kind == "text":
        return {**part, "text": render(str(part.get("text", "")), variables, strict)}
    if kind == "image_url":
        image = part.get("image_url") or {}
        return {**part, "image_url": {**image, "url": render(str(image.get("url", "")),
                                                              variables, strict)}}
    if kind == "file":
        file = dict(part.get("file") or {})
        for key in ("file_data", "file_id", "filename"):
            if isinstance(file.get(key), str):
                file[key] = render(file[key], variables, strict)
        return {**part, "file": file}
    raise ValueError(f"Prompt.build(): unknown message content type {kind!r}")
