"""Helpers shared by the convention mappers (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..serialize import loads

Row = dict[str, Any]


def put(row: Row, field: str, value: Any) -> None:
    """Sets ``row[field]`` unless a mapper before already did, or ``value`` is None."""
    if value is not None and field not in row:
        row[field] = value


def put_in(row: Row, field: str, values: Mapping[str, Any]) -> None:
    """Adds keys to the dict ``row[field]``; keys already there win."""
    clean = {k: v for k, v in values.items() if v is not None}
    if not clean:
        return
    current = row.get(field)
    if not isinstance(current, dict):
        current = row[field] = {}
    for key, value in clean.items():
        current.setdefault(key, value)


def set_type(row: Row, span_type: str | None) -> None:
    """Sets ``span_attributes.type`` unless it is set already."""
    if span_type:
        row["span_attributes"].setdefault("type", span_type)


def json_value(value: Any) -> Any:
    """Decodes attribute text that holds JSON; anything else is returned as it is."""
    if isinstance(value, str) and value[:1] in ("{", "[", '"'):
        return loads(value)
    return value


def number(value: Any) -> int | float | None:
    """``value`` when it is a real number, else None."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def indexed(attrs: Mapping[str, Any], prefix: str) -> tuple[list[dict[str, Any]], set[str]]:
    """Rebuilds a list of nested dicts from flattened ``prefix.{i}.a.b`` attributes.

    Returns:
        ``(items, consumed keys)``; items are ordered by index, and nested
        numeric keys become lists too.
    """
    tree: dict[int, Any] = {}
    used: set[str] = set()
    start = prefix + "."
    for key, value in attrs.items():
        if not key.startswith(start):
            continue
        head, _, rest = key[len(start):].partition(".")
        if not head.isdigit() or not rest:
            continue
        used.add(key)
        node = tree.setdefault(int(head), {})
        parts = rest.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = list(value) if isinstance(value, tuple) else value
    return [_listify(tree[i]) for i in sorted(tree)], used


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


def tool_call(id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    """A tool call in OpenAI chat format (arguments as a JSON string)."""
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def choices(messages: list[dict[str, Any]], finish: list[Any] | None = None
            ) -> list[dict[str, Any]]:
    """Output messages as OpenAI-style choices, the layout Braintrust shows for LLM spans."""
    out = []
    for i, message in enumerate(messages):
        reason = message.pop("finish_reason", None)
        if reason is None and finish and i < len(finish):
            reason = finish[i]
        out.append({"index": i, "message": message, "finish_reason": reason})
    return out
