"""The subset of BTQL's JSON form the SDKs send, evaluated over rows in memory.

Pure functions, no I/O: :func:`parse_query` checks a query and names its
source; :func:`apply` filters, sorts, projects and pages rows. What is
supported: ``select`` of ``star`` or aliased identifiers, ``from`` one of the
object functions (``experiment('<id>')`` and so on), ``filter`` with
comparisons, ``and``/``or``/``not``, null tests and ``like``/``ilike``/
``includes``, ``sort`` by identifiers, ``limit`` and an opaque ``cursor``.
Anything else is a :class:`ValueError` naming it (the server answers 400).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple, Optional

__all__ = ["SOURCES", "Query", "apply", "parse_query"]

#: The object functions a query may read from.
SOURCES = ("experiment", "dataset", "project_logs", "project_prompts", "project_functions")

_COMPARE = {"eq", "ne", "lt", "le", "gt", "ge", "like", "ilike", "includes"}
_MAX_LIMIT = 100_000


class Query(NamedTuple):
    """A checked query: where it reads from and what it does with the rows."""

    source: str
    object_id: str
    select: Any
    filter: Any
    sort: Any
    limit: Optional[int]
    offset: int


def _node(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("op"), str):
        raise ValueError(f"{where} must be an expression object with an op")
    return value


def parse_query(query: Any, default_limit: int = 1000) -> Query:
    """Checks a query and returns its parts.

    Args:
        query: The ``query`` member of a ``/btql`` request body.
        default_limit: Rows per page when the query sets no ``limit``.

    Returns:
        The checked :class:`Query`.

    Raises:
        ValueError: When the query is not an object, reads from no supported
            source, or uses something outside the subset.
    """
    if not isinstance(query, dict):
        raise ValueError("query must be a JSON object (BTQL text is not supported)")
    source = _node(query.get("from"), "from")
    name = source.get("name")
    names = name.get("name") if isinstance(name, dict) else None
    args = source.get("args")
    if (source["op"] != "function" or not isinstance(names, list) or len(names) != 1
            or names[0] not in SOURCES or not isinstance(args, list) or len(args) != 1
            or not isinstance(args[0], dict) or not isinstance(args[0].get("value"), str)):
        raise ValueError(f"from must be one of {', '.join(s + '(<id>)' for s in SOURCES)}")
    limit = query.get("limit", default_limit)
    if limit is None:
        limit = default_limit
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError("limit must be a non-negative integer")
    cursor = query.get("cursor")
    if cursor is not None and (not isinstance(cursor, str) or not cursor.isdigit()):
        raise ValueError("cursor must be a cursor this server returned")
    for key in query:
        if key not in ("select", "from", "filter", "sort", "limit", "cursor"):
            raise ValueError(f"query.{key} is not supported by this server")
    if query.get("filter") is not None:
        _check(query["filter"], "filter")
    sort = query.get("sort") or []
    if not isinstance(sort, list) or not all(
            isinstance(s, dict) and s.get("dir", "asc") in ("asc", "desc") for s in sort):
        raise ValueError("sort must be a list of {expr, dir} with dir asc or desc")
    return Query(names[0], args[0]["value"], query.get("select"), query.get("filter"), sort,
                 min(limit, _MAX_LIMIT), int(cursor) if cursor else 0)


def _check(expr: Any, where: str) -> None:
    node = _node(expr, where)
    op = node["op"]
    if op in ("ident", "literal"):
        if op == "ident" and not (isinstance(node.get("name"), list) and node["name"]):
            raise ValueError(f"{where}: ident needs a non-empty name list")
        return
    if op in ("and", "or"):
        for i, child in enumerate(_children(node)):
            _check(child, f"{where}.{op}[{i}]")
        return
    if op in ("not", "isnull", "isnotnull"):
        _check(node.get("expr"), f"{where}.{op}")
        return
    if op in _COMPARE:
        _check(node.get("left"), f"{where}.{op}.left")
        _check(node.get("right"), f"{where}.{op}.right")
        return
    raise ValueError(f"{where}: operator {op!r:.40} is not supported by this server")


def _children(node: dict[str, Any]) -> list[Any]:
    # Both the n-ary form (children) and the binary one (left/right) occur.
    children = node.get("children")
    if isinstance(children, list):
        return children
    return [node.get("left"), node.get("right")]


def _lookup(row: Any, path: Sequence[Any]) -> Any:
    for part in path:
        if isinstance(row, dict):
            row = row.get(part)
        elif isinstance(row, list) and isinstance(part, int) and -len(row) <= part < len(row):
            row = row[part]
        else:
            return None
    return row


def _value(expr: dict[str, Any], row: dict[str, Any]) -> Any:
    if expr["op"] == "ident":
        return _lookup(row, expr["name"])
    if expr["op"] == "literal":
        return expr.get("value")
    return _truth(expr, row)


def _ordered(left: Any, right: Any, op: str) -> bool:
    try:
        if op == "lt":
            return bool(left < right)
        if op == "le":
            return bool(left <= right)
        if op == "gt":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:  # unlike types never compare true, as NULL does not
        return False


def _like(value: Any, pattern: Any, ignore_case: bool) -> bool:
    if not isinstance(value, str) or not isinstance(pattern, str):
        return False
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) \
        is not None


def _truth(expr: dict[str, Any], row: dict[str, Any]) -> bool:
    op = expr["op"]
    if op == "and":
        return all(_truth(c, row) for c in _children(expr))
    if op == "or":
        return any(_truth(c, row) for c in _children(expr))
    if op == "not":
        return not _truth(expr["expr"], row)
    if op in ("isnull", "isnotnull"):
        return bool((_value(expr["expr"], row) is None) == (op == "isnull"))
    if op in ("ident", "literal"):
        return bool(_value(expr, row))
    left, right = _value(expr["left"], row), _value(expr["right"], row)
    if op == "eq":
        return left is not None and bool(left == right)
    if op == "ne":
        return left is not None and right is not None and bool(left != right)
    if op in ("like", "ilike"):
        return _like(left, right, op == "ilike")
    if op == "includes":
        return isinstance(left, (list, str)) and right in left
    return left is not None and right is not None and _ordered(left, right, op)


def _sort_key(value: Any) -> tuple[int, Any]:
    # NULLs last, numbers before strings, anything else by its text.
    if value is None:
        return (3, 0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, repr(value))


def _project(select: Any, row: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(select, list) or any(
            isinstance(s, dict) and s.get("op") == "star" for s in select):
        return row
    out: dict[str, Any] = {}
    for item in select:
        expr = item.get("expr", item) if isinstance(item, dict) else None
        if not isinstance(expr, dict) or expr.get("op") != "ident":
            raise ValueError("select supports star and identifiers only")
        alias = item.get("alias") or str(expr["name"][-1])
        out[alias] = _lookup(row, expr["name"])
    return out


def apply(query: Query, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                               Optional[str]]:
    """Runs a checked query over the rows of its source.

    Args:
        query: From :func:`parse_query`.
        rows: Every row of ``query.source``, oldest first.

    Returns:
        The page of matching rows and the cursor of the next page (None after the last).
    """
    found = [r for r in rows if query.filter is None or _truth(query.filter, r)]
    for item in reversed(query.sort):
        expr = _node(item.get("expr"), "sort.expr")
        found.sort(key=lambda r, e=expr: _sort_key(_value(e, r)),  # type: ignore[misc]
                   reverse=item.get("dir") == "desc")
    end = len(found) if query.limit is None else query.offset + query.limit
    page = [_project(query.select, r) for r in found[query.offset:end]]
    return page, (str(end) if end < len(found) else None)
