"""Rows that change a logged row after the fact: feedback and span updates.

Both are merge rows on the short path to the sink (not spans), so loggers,
experiments and spans share one implementation whatever the backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from braintrust_otel.masking import mask_row

from . import _state
from ._span import _check_mapping, _check_numbers, _check_tags, safe_repr

__all__ = ["log_feedback", "update_span"]

_SOURCES = ("external", "app", "api")
#: Fields an update may set (what a span's ``log`` accepts, plus the span ids).
_UPDATABLE = frozenset({"input", "output", "expected", "error", "tags", "scores", "metadata",
                        "metrics", "span_attributes", "root_span_id", "span_id"})


def log_feedback(
    parent: str | None,
    id: str,
    scores: Mapping[str, float | None] | None = None,
    expected: Any = None,
    tags: Sequence[str] | None = None,
    comment: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    source: str | None = None,
    *,
    where: str = "log_feedback()",
) -> None:
    """Merges feedback into the row ``id`` of the object ``parent`` names.

    Scores merge into the row's scores; ``expected`` and ``tags`` replace
    the row's; the comment and ``metadata`` go into the row's metadata.

    Raises:
        TypeError, ValueError: On a bad id, source or an empty feedback.
    """
    if not isinstance(id, str) or not id:
        raise TypeError(f"{where}: id must be a non-empty str")
    source = "external" if source is None else source
    if not isinstance(source, str) or source not in _SOURCES:
        raise ValueError(f"{where}: source must be one of {', '.join(_SOURCES)}; "
                         f"got {safe_repr(source)}")
    # Each argument's own check first, so a bad one is named.
    if scores is not None:
        _check_numbers(scores, "scores", where, unit=True)
    if metadata is not None:
        _check_mapping(metadata, "metadata", where)
    if tags is not None:
        tags = list(_check_tags(tags, where))
    if comment is not None and not isinstance(comment, str):
        raise TypeError(f"{where}: comment must be a str, got {type(comment).__name__}")
    if scores is None and expected is None and tags is None and comment is None:
        raise ValueError(f"{where}: give at least one of scores, expected, tags, comment")
    row: dict[str, Any] = {"id": id, "_is_merge": True, "_parent": parent}
    if scores is not None:
        row["scores"] = dict(scores)
    if expected is not None:
        row["expected"] = expected
    if tags is not None:
        row["tags"] = list(tags)
    meta = dict(metadata or {})
    if comment is not None:
        meta["comment"] = comment
    if meta:
        row["metadata"] = meta
    row["_audit_source"] = source
    _state.write_rows([mask_row(row)])


def update_span(parent: str | None, id: str, event: Mapping[str, Any], *,
                where: str = "update_span()") -> None:
    """Merges ``event`` (fields as for ``span.log``) into the row ``id`` of ``parent``.

    Raises:
        TypeError, ValueError: On a bad id, an unknown field, or only one of
            ``root_span_id``/``span_id``.
    """
    if not isinstance(id, str) or not id:
        raise TypeError(f"{where}: id must be a non-empty str")
    unknown = set(event) - _UPDATABLE
    if unknown:
        raise TypeError(f"{where}: unexpected field(s) {', '.join(sorted(unknown))}")
    if ("root_span_id" in event) != ("span_id" in event):
        raise ValueError(f"{where}: give both root_span_id and span_id, or neither")
    for arg in ("metadata", "span_attributes"):
        if event.get(arg) is not None:
            _check_mapping(event[arg], arg, where)
    for arg, unit in (("scores", True), ("metrics", False)):
        if event.get(arg) is not None:
            _check_numbers(event[arg], arg, where, unit=unit)
    if event.get("tags") is not None:
        _check_tags(event["tags"], where)
    row: dict[str, Any] = {k: v for k, v in event.items() if v is not None}
    if "tags" in row:
        row["tags"] = list(row["tags"])
    row.update({"id": id, "_is_merge": True, "_parent": parent})
    _state.write_rows([mask_row(row)])
