"""Merging a partial row into the row it updates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Fields a later write of the same row never changes.
IMMUTABLE = frozenset({"created", "span_id", "root_span_id", "span_parents", "_parent_id"})


def deep_merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Merges ``update`` into ``base`` in place: dicts key by key, anything else replaced.

    Args:
        base: The dict to change.
        update: The values to merge in.

    Returns:
        ``base``.
    """
    for key, value in update.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            deep_merge(current, value)
        else:
            base[key] = value
    return base


def merge_row(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """Applies a merge row (``_is_merge: true``) to the row it updates.

    Args:
        base: The stored row; changed in place.
        update: The merge row.

    Returns:
        ``base``, without an ``_is_merge`` key.
    """
    for key, value in update.items():
        if key == "_is_merge" or (key in IMMUTABLE and key in base):
            continue
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            deep_merge(current, value)
        else:
            base[key] = value
    base.pop("_is_merge", None)
    return base
