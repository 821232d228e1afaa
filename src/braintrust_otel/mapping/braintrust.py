"""Rows fields from ``braintrust.*`` attributes (written by the facade or by user code)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import attributes as A
from ..serialize import JsonText, RawJson, loads

_MERGED = ("metadata", "metrics", "scores", "span_attributes")
_PLAIN = {"braintrust.input": "input", "braintrust.output": "output"}
#: Chosen ids that replace the ones derived from the OTel span.
_IDS = {A.SPAN_ID: "span_id", A.ROOT_SPAN_ID: "root_span_id"}
_CODE = {A.CODE_FILE: "caller_filename", A.CODE_FUNCTION: "caller_functionname",
         A.CODE_LINE: "caller_lineno"}
# The attributes every facade span carries, looked up once each: JSON fields
# that replace (input, output, ...), and braintrust.parent, which is consumed
# here and read by common.base_row. (None marks "consume only".)
_DIRECT: dict[str, str | None] = {
    key: field for key, field in A.JSON_FIELDS.items() if field not in _MERGED}
_DIRECT[A.PARENT] = None


def _decode(value: Any) -> Any:
    return loads(value) if isinstance(value, str) else value


def _merge_into(row: dict[str, Any], field: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        return
    current = row.get(field)
    if isinstance(current, dict):
        current.update(value)
    else:
        row[field] = dict(value)


def apply(row: dict[str, Any], attrs: Mapping[str, Any], raw: bool = False) -> set[str]:
    """Copies every ``braintrust.*`` attribute into ``row``.

    JSON-valued attributes are decoded; ``braintrust.metadata.<key>`` style
    flattened names are folded into their field; caller location attributes
    become the row's ``context``.

    Args:
        row: The row being built; changed in place.
        attrs: The span's attributes.
        raw: Carry text the facade encoded (:class:`~braintrust_otel.serialize.JsonText`)
            into the row as :class:`~braintrust_otel.serialize.RawJson`, unread.

    Returns:
        The attribute names consumed, so later mappers leave them alone.
    """
    consumed: set[str] = set()
    context: dict[str, Any] = {}
    for key, value in attrs.items():
        if key in _DIRECT:
            consumed.add(key)
            field = _DIRECT[key]
            if field is not None:
                # Text the facade encoded stays encoded (see serialize.JsonText).
                row[field] = (RawJson(value) if raw and type(value) is JsonText
                              else _decode(value))
            continue
        code_key = _CODE.get(key)
        if code_key is not None:
            context[code_key] = value
            consumed.add(key)
            continue
        if not key.startswith(A.PREFIX):
            continue
        consumed.add(key)
        field = A.JSON_FIELDS.get(key)
        if field is not None:
            _merge_into(row, field, _decode(value))  # the others are in _DIRECT
        elif key == A.TAGS:
            row["tags"] = [value] if isinstance(value, str) else list(value)
        elif key == A.CONTEXT:
            extra = _decode(value)
            if isinstance(extra, Mapping):
                context.update(extra)
        elif key in _PLAIN:
            row[_PLAIN[key]] = value
        elif key in _IDS:
            if isinstance(value, str) and value:
                row[_IDS[key]] = value
        elif key == A.SPAN_PARENTS:
            parents = _decode(value)
            if isinstance(parents, list) and all(isinstance(p, str) for p in parents):
                row["span_parents"] = parents or None
        else:
            head, _, sub = key[len(A.PREFIX):].partition(".")
            if sub and head in _MERGED:
                _merge_into(row, head, {sub: _decode(value)})
    if context:
        row["context"] = context
    return consumed
