"""Argument checks of the span API: every bad argument gets a TypeError or ValueError
naming the method and the argument; plus reprs that never raise, for those messages."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from braintrust_otel.merge import deep_merge
from braintrust_otel.serialize import dumps, loads

#: Span types Braintrust knows (``span_attributes.type``).
SPAN_TYPES = frozenset({
    "llm", "score", "function", "eval", "task", "tool", "automation", "facet",
    "preprocessor", "classifier", "review", "decision", "question", "log",
})

#: What ``start_span`` logs at once (``event=`` or keywords): ``Span.log``'s fields.
_EVENT_FIELDS = frozenset({"input", "output", "expected", "error", "tags", "scores",
                           "metadata", "metrics", "id"})
_MISSING: Any = object()


def type_name(value: Any) -> str:
    """The name of ``value``'s type, for error messages."""
    return type(value).__name__

def safe_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)`` for an error message: it never raises and stays short."""
    try:
        text = repr(value)
    except Exception:
        # A broken __repr__, or an int too long to print.
        text = f"<{type_name(value)} object>"
    return text if len(text) <= limit else text[:limit] + "..."


def safe_str(value: Any) -> str:
    """``str(value)`` that never raises (for exceptions and names from user code)."""
    try:
        return str(value)
    except Exception:
        return f"<{type_name(value)} object>"


def check_text(value: Any, arg: str, where: str) -> None:
    """Checks an optional name-like argument: a str that UTF-8 can encode.

    Raises:
        TypeError: When ``value`` is neither None nor a str.
        ValueError: When it holds lone surrogates (``"\\ud800"``), which no
            store or request can hold.
    """
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{where}: {arg} must be a str, got {type_name(value)}")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise ValueError(f"{where}: {arg} holds characters UTF-8 cannot encode (lone "
                             f"surrogates): {safe_repr(value)}") from None


def check_type(type: str | None, where: str) -> None:
    if type is not None and (not isinstance(type, str) or type not in SPAN_TYPES):
        if not isinstance(type, str):
            raise TypeError(f"{where}: type must be a str, got {type_name(type)}")
        raise ValueError(
            f"{where}: type must be one of {', '.join(sorted(SPAN_TYPES))}; "
            f"got {safe_repr(type)}"
        )


def check_name(name: Any, where: str) -> None:
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{where}: name must be a str, got {type(name).__name__}")


def _check_mapping(value: Any, arg: str, where: str) -> None:
    if not isinstance(value, Mapping):
        raise TypeError(f"{where}: {arg} must be a dict, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{where}: {arg} keys must be str, got {safe_repr(key)}")


def _check_numbers(value: Any, arg: str, where: str, unit: bool) -> None:
    _check_mapping(value, arg, where)
    for key, number in value.items():
        if number is None and unit:
            continue
        if not isinstance(number, (int, float)):
            raise TypeError(
                f"{where}: {arg}[{safe_repr(key)}] must be a number, "
                f"got {type(number).__name__}"
            )
        if unit and not 0 <= number <= 1:
            raise ValueError(f"{where}: {arg}[{safe_repr(key)}] must be between 0 and 1, "
                             f"got {safe_repr(number)}")


def _check_tags(tags: Any, where: str) -> tuple[str, ...]:
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise TypeError(f"{where}: tags must be a list of str, got {type(tags).__name__}")
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"{where}: tags must be a list of str, got an item "
                            f"{safe_repr(tag)}")
    return tuple(tags)


#: The latest time a span can carry: the end of year 9999, in seconds.
_MAX_SECONDS = 253_402_300_799


def _seconds_to_ns(value: float | None, arg: str, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{where}: {arg} must be seconds since the epoch (a number), "
                        f"got {type_name(value)}")
    if not (isinstance(value, int) or math.isfinite(value)) or not 0 <= value <= _MAX_SECONDS:
        hint = ""
        if (isinstance(value, int) or math.isfinite(value)) and value > _MAX_SECONDS:
            hint = " (this looks like milliseconds or nanoseconds: divide by 1000 or 1e9)"
        raise ValueError(f"{where}: {arg} must be seconds since the epoch, like time.time(), "
                         f"between 0 and {_MAX_SECONDS}; got {safe_repr(value)}{hint}")
    return int(value * 1e9) if isinstance(value, float) else value * 1_000_000_000


def _merge_json(previous: Any, value: Mapping[str, Any], deep: bool) -> str:
    if not isinstance(previous, str):
        return dumps(value)
    # Decoding the earlier write gives a private copy to merge into.
    merged = loads(previous)
    if not isinstance(merged, dict):
        return dumps(value)
    if deep:
        deep_merge(merged, loads(dumps(value)))
    else:
        merged.update(loads(dumps(value)))
    return dumps(merged)


def _event(event: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> Mapping[str, Any] | None:
    # Fields to log at start come as ``event=`` (a dict) or, as in the official
    # SDK, as keyword arguments; keywords win.
    if not fields:
        return event
    if event is None:
        return fields
    _check_mapping(event, "event", "start_span()")
    return {**event, **fields}


def bools_as_numbers(scores: Mapping[str, Any]) -> Mapping[str, Any]:
    """``scores`` with True/False as 1/0, as the official SDK stores them.

    Returns the same mapping when it holds no bool (the common case costs a scan).
    """
    if not any(isinstance(v, bool) for v in scores.values()):
        return scores
    return {k: int(v) if isinstance(v, bool) else v for k, v in scores.items()}


def check_log_fields(where: str, scores: Any, metrics: Any, metadata: Any, tags: Any,
                     id: Any = None) -> tuple[str, ...] | None:
    """Checks the mapping-shaped fields of a ``log`` call (``Span.log``, ``Logger.log``).

    Returns:
        The tags as a tuple, or None when none were given.

    Raises:
        TypeError, ValueError: Naming ``where`` and the argument.
    """
    if scores is not None:
        _check_numbers(scores, "scores", where, unit=True)
    if metrics is not None:
        _check_numbers(metrics, "metrics", where, unit=False)
    if metadata is not None:
        _check_mapping(metadata, "metadata", where)
    if id is not None and not isinstance(id, str):
        raise TypeError(f"{where}: id must be a str, got {type(id).__name__}")
    return _check_tags(tags, where) if tags is not None else None
