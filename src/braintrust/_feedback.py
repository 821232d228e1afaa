"""Rows that change a logged row after the fact: feedback and span updates.

Both are merge rows on the short path to the sink (not spans), so loggers,
experiments and spans share one implementation whatever the backend.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from braintrust_otel.masking import mask, mask_metadata, mask_row

from . import _state
from ._checks import bools_as_numbers
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
    the row's; ``metadata`` describes the feedback (the rows' ``_audit_metadata``,
    as the official SDK); a comment is a row of its own, ``{"origin": {"id": id},
    "comment": {"text": ...}}``.

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
    # As the official SDK: the feedback's metadata describes the feedback (audit
    # metadata), not the row; the comment is a row of its own pointing at the row.
    # mask_row masks the row fields; the audit metadata and the comment are the
    # user's words too.
    audit = dict(mask_metadata(metadata)) if metadata is not None else None
    comment = mask("comment", comment) if comment is not None else None
    rows: list[dict[str, Any]] = []
    update: dict[str, Any] = {}
    if scores is not None:
        update["scores"] = dict(bools_as_numbers(scores))
    if expected is not None:
        update["expected"] = expected
    if tags is not None:
        update["tags"] = list(tags)
    if update:
        rows.append({"id": id, **update, "_audit_source": source, "_audit_metadata": audit,
                     "_is_merge": True, "_parent": parent})
    if comment is not None:
        rows.append({"id": str(uuid.uuid4()),
                     "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                     "origin": {"id": id}, "comment": {"text": comment},
                     "_audit_source": source, "_audit_metadata": audit, "_parent": parent})
    _state.write_rows([mask_row(row) for row in rows])


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
