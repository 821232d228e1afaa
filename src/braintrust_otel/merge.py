"""Merging a partial row into the row it updates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .serialize import RawJson

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
        if type(current) is RawJson and isinstance(value, Mapping):
            current = base[key] = current.value()
        if isinstance(current, dict) and isinstance(value, Mapping):
            deep_merge(current, value)
        else:
            base[key] = value
    base.pop("_is_merge", None)
    return base


#: Fields that, with ``id``, say which stored row a row writes.
OBJECT_ID_KEYS = ("experiment_id", "dataset_id", "prompt_session_id", "project_id", "log_id")


def combine_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Folds merge rows into earlier rows for the same object and id.

    A full row followed by merges becomes one full row; merges alone become
    one merge row. Order is kept (each row stays where its first write was),
    so sending the result is equivalent to sending ``rows``.

    Args:
        rows: Rows with object ids resolved.

    Returns:
        The combined rows (the input dicts may be changed).
    """
    for row in rows:
        if row.get("_is_merge"):
            break
    else:
        # No merge rows (the span path's usual batch): nothing folds, so the
        # per-row key (six lookups and a tuple) is not worth building.
        return list(rows)
    out: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = (*(row.get(k) for k in OBJECT_ID_KEYS), row.get("id"))
        earlier = seen.get(key)
        if earlier is not None and row.get("_is_merge"):
            still_merge = bool(earlier.get("_is_merge"))
            merge_row(earlier, row)
            if still_merge:
                earlier["_is_merge"] = True
            continue
        seen[key] = row
        out.append(row)
    return out
