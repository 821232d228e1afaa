"""Workflow evals: one trial's rows, written as merge rows with ids derived from
(run id, trial, stage) so a step logged again by a later process merges into them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from braintrust_otel import diagnostics
from braintrust_otel.ids import row_id
from braintrust_otel.masking import mask_row

from . import _state
from ._span import Span
from ._workflow_util import _digest, _now_iso


def _row_ids(run_id: str, item_id: str, stage: str) -> tuple[str, str, str]:
    """(row id, span id, root span id) of one stage's row of a trial."""
    root = _digest(run_id, item_id, "root")[:32]
    span = root[:16] if stage == "root" else _digest(run_id, item_id, stage)[:16]
    return row_id(int(root, 16), int(span, 16)), span, root


class _Rows:
    """Writes one trial's rows: merge rows on the short path to the sink."""

    def __init__(self, parent: str, run_id: str, item_id: str) -> None:
        self.parent = parent
        self.run_id = run_id
        self.item_id = item_id

    def ids(self, stage: str) -> tuple[str, str, str]:
        return _row_ids(self.run_id, self.item_id, stage)

    def write(self, stage: str, fields: Mapping[str, Any]) -> None:
        rid, span, root = self.ids(stage)
        row = {k: v for k, v in fields.items()}
        row.update({"id": rid, "span_id": span, "root_span_id": root, "_is_merge": True,
                    "_parent": self.parent})
        try:
            _state.write_rows([mask_row(row)])
        except Exception as exc:  # logging never breaks the run
            diagnostics.report("log", "could not write a workflow eval row", exc)

    def open(self, stage: str, name: str, type: str, fields: Mapping[str, Any]) -> None:
        attrs: dict[str, Any] = {"name": name, "type": type}
        if type not in ("eval", "task"):
            attrs["purpose"] = "scorer"
        _, _, root = self.ids("root")
        self.write(stage, {"span_attributes": attrs, "created": _now_iso(),
                           "span_parents": None if stage == "root" else [root[:16]],
                           "metrics": {"start": time.time()}, **fields})

    def close(self, stage: str, fields: Mapping[str, Any]) -> None:
        self.write(stage, {**fields, "metrics": {"end": time.time()}})

    def span(self, stage: str) -> Span:
        """The stage's row as a facade span: ``log`` merges into the row, and spans
        started under it (or while it is current) are its children."""
        rid, span_id, root = self.ids(stage)
        ctx = SpanContext(trace_id=int(root, 16), span_id=int(span_id, 16), is_remote=False,
                          trace_flags=TraceFlags(TraceFlags.SAMPLED))
        span = Span(NonRecordingSpan(ctx), self.parent)
        span._row_id = rid
        # Treated as already ended: each log() is written at once as a merge row
        # (the row outlives this process; there is no OTel span to end).
        span._ended = True
        return span

    def root_slug(self) -> str:
        return self.span("root").export()
