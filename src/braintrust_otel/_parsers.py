"""Parsers of environment-variable text, one per type; each raises ValueError saying
what it expected. :mod:`braintrust_otel.settings` names them per variable."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, TypeVar

N = TypeVar("N", int, float)

_TRUE = frozenset(("1", "true", "yes", "on"))
_FALSE = frozenset(("0", "false", "no", "off"))


# -- parsers: one per type; each raises ValueError saying what it expected --

def parse_int(text: str) -> int:
    """A whole number (``20000``, ``-1``)."""
    try:
        return int(text)
    except ValueError:
        raise ValueError("not a whole number") from None


def parse_float(text: str) -> float:
    """A finite number (``10``, ``0.5``)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def parse_bool(text: str) -> bool:
    """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off``, any case."""
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("not one of 1/true/yes/on or 0/false/no/off")


def parse_path(text: str) -> Path:
    """A file system path; ``~`` is expanded."""
    return Path(text).expanduser()


def parse_store(text: str) -> str:
    """A file system path (``~`` expanded), or a ``postgresql://`` URL kept as written."""
    if text.startswith(("postgresql://", "postgres://")):
        return text
    return str(Path(text).expanduser())


def parse_str(text: str) -> str:
    """Any text (already stripped of surrounding white space)."""
    return text


def _at_least(parse: Callable[[str], N], low: N) -> Callable[[str], N]:
    def checked(text: str) -> N:
        value = parse(text)
        if value < low:
            raise ValueError(f"less than {low}")
        return value
    return checked


def _positive(parse: Callable[[str], N]) -> Callable[[str], N]:
    def checked(text: str) -> N:
        value = parse(text)
        if value <= 0:
            raise ValueError("not above 0")
        return value
    return checked


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _size(value: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value % scale == 0:
            return f"{value // scale} {unit}"
    return str(value)
