"""Stored objects in the shapes the official SDK's schemas require."""

from __future__ import annotations

from typing import Any

__all__ = ["ORG_ID", "prompt_object", "roots_named_by_trace"]

#: The one organization a local server has.
ORG_ID = "00000000-0000-4000-8000-000000000001"


def prompt_object(found: dict[str, Any]) -> dict[str, Any]:
    """A stored prompt or function with every field the SDK's prompt schema requires.

    Args:
        found: The prompt as the store returns it.

    Returns:
        A new dict: the stored fields over null defaults.
    """
    return {"name": found.get("slug"), "description": None, "tags": None,
            "function_type": None, "org_id": ORG_ID, "log_id": "p", **found}


def roots_named_by_trace(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Experiment rows as the official SDK's readers expect them: a root span's
    ``span_id`` equal to its ``root_span_id``.

    That holds of the SDK's legacy (UUID) ids, and its experiment readers
    (``as_dataset``, hence ``BaseExperiment()``) pick a trace's root by it; with
    its default OpenTelemetry-shaped ids a root span has a span id of its own, and
    those readers would find no case. Each such root is renamed to its trace id,
    and so is every parent reference to it, so the rows still form the same trees.

    Args:
        rows: Rows as stored (not changed).

    Returns:
        The rows, renamed ones as new dicts.
    """
    renamed: dict[tuple[Any, Any], Any] = {}
    for row in rows:
        root, span = row.get("root_span_id"), row.get("span_id")
        if not row.get("span_parents") and root and span and span != root:
            renamed[(root, span)] = root
    if not renamed:
        return rows
    out = []
    for row in rows:
        root, span = row.get("root_span_id"), row.get("span_id")
        if (root, span) in renamed:
            row = {**row, "span_id": root}
        parents = row.get("span_parents")
        if isinstance(parents, list) and any((root, p) in renamed for p in parents):
            row = {**row, "span_parents": [renamed.get((root, p), p) for p in parents]}
        out.append(row)
    return out
