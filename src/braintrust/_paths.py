"""Dotted paths into nested mappings (``input.lang``, ``nested.x``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["MISSING", "get_path"]

MISSING: Any = object()


def get_path(value: Any, dotted: str) -> Any:
    """The value at ``dotted`` inside nested mappings, or :data:`MISSING`."""
    for part in dotted.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return MISSING
    return value
