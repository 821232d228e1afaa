"""Where rows go. A sink is anything with ``write``, ``flush`` and ``shutdown``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = ["RowSink"]


@runtime_checkable
class RowSink(Protocol):
    """The one interface between the exporter and a destination.

    ``write`` is called from the exporter's thread with rows whose ``_parent``
    key names the target object; it may buffer. It must not raise for bad
    rows: it reports them through :mod:`braintrust_otel.diagnostics`. Rows
    hold plain JSON data, unless the sink sets ``accepts_raw_json = True``:
    then top-level values may be :class:`~braintrust_otel.serialize.RawJson`
    (encoded text that ``serialize.dumps`` splices in unread). A sink whose
    cost per row falls with the batch may set ``rows_per_write``: the
    processor then hands it up to that many queued spans per call, even past
    ``OTEL_BSP_MAX_EXPORT_BATCH_SIZE`` (which still decides when it wakes).
    A raw-JSON sink that sets ``accepts_facade_records = True`` may also be
    handed facade records (tuples from
    :func:`~braintrust_otel.mapping.facade.facade_record`) in place of rows,
    when no span customizer is set: it makes their rows itself
    (``record_json`` or ``record_row``).
    """

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Accepts a batch of rows."""

    def flush(self, timeout: float | None = None) -> bool:
        """Delivers everything accepted so far; returns False if it could not in time."""

    def shutdown(self) -> None:
        """Flushes and releases resources; later writes are reported as dropped."""
