"""The embedded-store sink: rows into the local SQLite store."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

from .. import attributes as A
from .. import diagnostics
from ..mapping.facade import EncodedRow, FacadeRecord, record_json
from ..parent import DEFAULT_PARENT, default_parent, parse_parent
from ..retry import RetryPolicy
from ..serialize import decode, dumps, repair
from ..settings import get_settings
from ..spool import Spool
from ..store import Store

__all__ = ["LocalSink"]

# A database another process holds busy past SQLite's own 30 s wait, or a
# passing I/O error: tried again a few times before the rows count as dropped.
_BUSY = RetryPolicy(attempts=5, base=0.05)


class LocalSink:
    """Writes rows to an embedded :class:`~braintrust_otel.store.Store`.

    Writes are synchronous (SQLite is fast and local), retried while the
    database is busy, and counted as dropped only after every attempt failed.
    A row that can never be stored does not take its batch with it: it is
    kept in ``<spool>/rejected`` and reported.

    Args:
        store: The store, or a path to one; None for the default path.
        notice: Print a one-line notice on stderr on the first write.
        spool: Where rejected rows are kept; ``$BRAINTRUST_SPOOL_DIR``, else
            ``spool`` beside the store.
    """

    #: Rows may hold :class:`~braintrust_otel.serialize.RawJson` values: they
    #: are only ever encoded here, through ``serialize.dumps``, which splices them.
    accepts_raw_json = True

    #: Spans the processor may hand over per ``write`` when that many are
    #: queued (each write is one transaction). Row and trace ids are random,
    #: so every transaction rewrites index pages all over the store's two id
    #: indexes: 2,048 rows share those page writes 4x as widely as 512 do
    #: (about 1.5x the rows per CPU-second into a store of 100,000 rows,
    #: ``benchmarks/store_writes.py --prefill``). Only a backlog makes batches
    #: this large, so a quiet program's rows are not held back.
    rows_per_write = 2048

    #: Facade records may come in place of rows (see ``RowSink``): a record of
    #: the common shapes is stored as the JSON ``record_json`` writes directly,
    #: about a third of the export worker's work per row less than making the
    #: row's dicts and encoding them.
    accepts_facade_records = True

    def __init__(self, store: Store | str | os.PathLike[str] | None = None, notice: bool = True,
                 spool: Spool | None = None):
        self.store = store if isinstance(store, Store) else Store(store)
        self._spool = spool
        self._notice = notice
        self._targets: dict[str, tuple[str, str, dict[str, str]]] = {}
        self._tails: dict[str, str] = {}
        self._lock = threading.Lock()
        self._closed = False

    def target(self, parent: str) -> tuple[str, str, dict[str, str]]:
        """Where rows with this ``braintrust.parent`` are stored; the project
        is created in the store when missing (remembered per parent string).

        Args:
            parent: A parent string (``project_name:...``, ``experiment_id:...``).

        Returns:
            ``(object_type, object_id, ids)``: ``("project_logs", project id,
            {"project_id": ..., "log_id": "g"})``, or the experiment's or
            dataset's type and id with ``{"experiment_id": ...}`` /
            ``{"dataset_id": ...}``.

        Raises:
            ValueError: When the parent string is invalid.
        """
        found = self._targets.get(parent)
        if found is None:
            p = parse_parent(parent)
            if p.kind == "experiment_id":
                found = ("experiment", p.value, {"experiment_id": p.value})
            elif p.kind == "dataset_id":
                found = ("dataset", p.value, {"dataset_id": p.value})
            else:
                project = self.store.ensure_project(
                    name=p.value if p.kind == "project_name" else None,
                    id=p.value if p.kind == "project_id" else None,
                )
                ids = {"project_id": project["id"], "log_id": "g"}
                found = ("project_logs", project["id"], ids)
            self._targets[parent] = found
        return found

    def write(self, rows: Sequence[dict[str, Any] | FacadeRecord]) -> None:
        """Stores rows, resolving each row's ``_parent`` to its object."""
        if self._closed:
            diagnostics.report("dropped", f"{len(rows)} rows written after shutdown", n=len(rows))
            return
        if not rows:
            return
        with self._lock:
            if self._notice:
                self._notice = False
                _print_notice(self.store)
            triples: list[tuple[str, str, Any]] = []
            for row in rows:
                if isinstance(row, tuple):
                    # A facade record (accepts_facade_records): its row's JSON
                    # written directly when its shape allows, else its row,
                    # filed under the target found once (its _parent is the
                    # same braintrust.parent).
                    record = row
                    object_type, object_id, ids = self._target_of(record[7].get(A.PARENT))
                    try:
                        encoded = record_json(record, self._tail(object_id, ids))
                    except Exception:
                        encoded = None  # (record_row reports what fails there too)
                    if encoded is not None:
                        triples.append((object_type, object_id, encoded))
                        continue
                    row = _record_row(record)
                    row.pop("_parent", None)
                else:
                    object_type, object_id, ids = self._target_of(row.pop("_parent", None))
                row.update(ids)
                triples.append((object_type, object_id, row))
            try:
                rejected = _BUSY.call(lambda: self.store.write_each(triples))
                if rejected:
                    self._reject(rejected)
            except Exception as exc:
                diagnostics.report(
                    "dropped",
                    f"could not write {len(triples)} rows to {self.store.location}",
                    exc,
                    n=len(triples),
                )

    def _tail(self, object_id: str, ids: dict[str, str]) -> str:
        # The end of a directly written row: the target's ids, as the row's
        # dict would have them after row.update(ids) (made once per target).
        found = self._tails.get(object_id)
        if found is None:
            found = self._tails[object_id] = "," + dumps(ids)[1:] if ids else "}"
        return found

    def _target_of(self, parent: Any) -> tuple[str, str, dict[str, str]]:
        if not isinstance(parent, str) or not parent:
            parent = default_parent()
        try:
            return self.target(parent)
        except Exception as exc:
            error = exc
        fixed, replaced = repair(parent)
        if replaced:
            # A project name holding lone surrogates: stored under the repaired name.
            try:
                found = self.target(fixed)
                diagnostics.report("encoding", f"a parent held {replaced} surrogate code "
                                   "points; lone ones were replaced with U+FFFD", n=replaced)
                return found
            except Exception as exc:
                error = exc
        diagnostics.report("bad_parent", "invalid parent; row stored in the default project",
                           error)
        return self.target(DEFAULT_PARENT)

    def _reject(self, rejected: list[tuple[tuple[str, str, dict[str, Any]], Exception]]) -> None:
        spool = self._spool
        if spool is None:
            explicit = get_settings().spool_dir
            spool = self._spool = Spool(explicit or self.store.path.parent / "spool")
        kept = spool.reject([decode(row.text) if isinstance(row, EncodedRow) else row
                             for (_, _, row), _ in rejected])
        where = f"; kept in {kept}" if kept is not None else "; they could not be kept either"
        diagnostics.report("rejected", f"{len(rejected)} rows could not be stored in "
                           f"{self.store.location}{where}", rejected[0][1], n=len(rejected))

    def upload_attachment(self, reference: dict[str, Any], data: bytes) -> None:
        """Keeps an attachment's bytes beside the store, addressed by content hash."""
        self.store.put_attachment(reference["key"], data, reference.get("filename"),
                                  reference.get("content_type"))

    def read_attachment(self, reference: dict[str, Any]) -> bytes:
        """Reads an attachment's bytes back."""
        return self.store.get_attachment(reference["key"])

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing is buffered; returns True."""
        return True

    def shutdown(self) -> None:
        """Closes the database connection."""
        self._closed = True
        self.store.close()


def _record_row(record: Any) -> dict[str, Any]:
    # A record's row the ordinary way (the exporter's map_span, which never raises).
    from ..exporter import map_span

    return map_span(record, raw=True)


def _print_notice(store: Store) -> None:
    text = (f"braintrust: no API key set; logging to the local store {store.location} "
            "(view with `braintrust logs`, or `braintrust serve` for the web UI)")
    try:
        # A progress bar on the terminal (Eval's) would be cut in two by a plain print:
        # tqdm.write prints above the bars and redraws them. Only when tqdm is in use.
        tqdm_module = sys.modules.get("tqdm")
        if tqdm_module is not None and getattr(tqdm_module.tqdm, "_instances", None):
            tqdm_module.tqdm.write(text, file=sys.stderr)
            return
        print(text, file=sys.stderr, flush=True)
    except Exception:
        pass
