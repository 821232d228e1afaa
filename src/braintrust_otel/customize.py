"""Span customizers: user hooks that may rewrite each row before it is delivered.

A customizer is an object with a synchronous ``on_span_export(data) -> dict``.
The exporter runs the registered ones, in order, on every span row (facade,
instrumented and foreign OTel spans alike; not dataset rows or feedback), on
the processor's worker thread. Identity and routing fields are put back after
each hook, so a hook cannot move a row to another trace or project. A hook
that raises or returns something other than a dict stops the chain, and the
row is delivered stripped of its content (identity, timing, type, and
``context = {"customizer_error": True}``), with the failure reported once.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Sequence
from typing import Any, Optional

from . import diagnostics
from .serialize import plain_row

__all__ = ["SpanCustomizer", "SpanExportData", "customize_row", "get_span_customizers",
           "set_span_customizers"]

SpanExportData = dict[str, Any]
"""A row as a hook sees it: a plain dict (input, output, metadata, metrics, ...)."""

#: Fields no hook may change: row identity, tree shape and routing.
_PROTECTED = frozenset((
    "id", "span_id", "root_span_id", "span_parents", "org_id", "project_id", "experiment_id",
    "dataset_id", "log_id", "prompt_session_id", "_parent", "_is_merge", "_merge_paths",
    "_parent_id", "_object_delete", "_array_delete", "_xact_id",
))

_customizers: tuple[Any, ...] = ()
_lock = threading.Lock()


class SpanCustomizer:
    """Base class for span customizers; override :meth:`on_span_export`."""

    def on_span_export(self, data: SpanExportData) -> SpanExportData:
        """Returns the row to deliver: ``data`` itself, changed or not, or a new dict.

        Args:
            data: The row (a copy the hook may change).

        Returns:
            The row to deliver.
        """
        return data


def set_span_customizers(customizers: Optional[Sequence[Any]]) -> None:
    """Replaces the process-wide list of span customizers.

    Args:
        customizers: Customizer instances, run in order; None or ``[]`` turns them off.

    Raises:
        TypeError: For a class instead of an instance, an object without a
            callable ``on_span_export``, or an ``async`` hook.
    """
    global _customizers
    if customizers is not None and not isinstance(customizers, Sequence):
        raise TypeError("span_customizers must be a sequence of customizers, "
                        f"not {type(customizers).__name__}")
    snapshot = tuple(customizers or ())
    for customizer in snapshot:
        if isinstance(customizer, type):
            raise TypeError(f"span_customizers: pass an instance, {customizer.__name__}(), "
                            "not the class")
        hook = getattr(customizer, "on_span_export", None)
        if not callable(hook):
            raise TypeError(f"span_customizers: {type(customizer).__name__} has no callable "
                            "on_span_export(data)")
        if inspect.iscoroutinefunction(hook):
            raise TypeError(f"span_customizers: {type(customizer).__name__}.on_span_export "
                            "must be synchronous")
    with _lock:
        _customizers = snapshot


def get_span_customizers() -> tuple[Any, ...]:
    """The customizers now registered."""
    return _customizers


def customize_row(row: dict[str, Any]) -> dict[str, Any]:
    """Runs the registered customizers on ``row``; returns the row to deliver."""
    customizers = _customizers
    if not customizers:
        return row
    row = plain_row(row)  # hooks see plain values
    protected = {k: row[k] for k in _PROTECTED if k in row}
    data: dict[str, Any] = dict(row)
    for customizer in customizers:
        try:
            result = customizer.on_span_export(data)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                raise TypeError("on_span_export returned an awaitable, not a dict")
            if not isinstance(result, dict):
                raise TypeError(f"on_span_export returned {type(result).__name__}, not a dict")
            data = {k: v for k, v in result.items() if k not in _PROTECTED}
            data.update(protected)
        except Exception as exc:
            # No payload in the report: the row may hold exactly what the hook was to remove.
            diagnostics.report("customizer", f"span customizer {type(customizer).__name__} "
                               f"failed ({type(exc).__name__}); row delivered without content")
            return _stripped(row, protected)
    return data


def _stripped(row: dict[str, Any], protected: dict[str, Any]) -> dict[str, Any]:
    out = dict(protected)
    if "created" in row:
        out["created"] = row["created"]
    metrics = row.get("metrics")
    if isinstance(metrics, dict):
        timing = {k: metrics[k] for k in ("start", "end") if k in metrics}
        if timing:
            out["metrics"] = timing
    attrs = row.get("span_attributes")
    if isinstance(attrs, dict):
        kept = {k: attrs[k] for k in ("name", "type") if k in attrs}
        if kept:
            out["span_attributes"] = kept
    out["context"] = {"customizer_error": True}
    return out
