"""Writing rows: one transaction per batch, merges applied in order, bad rows bisected out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union

from .. import diagnostics
from ..mapping.facade import EncodedRow
from ..merge import merge_row
from ..serialize import decode, dumps, repair_row
from ._db import _Connection, _Database, _transaction

# A row to write: its dict, or a facade row already encoded (record_json).
StoreRow = Union[dict[str, Any], EncodedRow]


class _Writes(_Database):
    # -- rows ---------------------------------------------------------------

    def write(self, rows: Iterable[tuple[str, str, dict[str, Any]]]) -> int:
        """Writes rows in one transaction.

        A row with ``_is_merge: true`` is merged into the stored row with the
        same id; any other row replaces it.

        Args:
            rows: ``(object_type, object_id, row)`` triples.

        Returns:
            The transaction id given to these rows.
        """
        rows = list(rows)
        with self._lock:
            try:
                xact = self._write(rows)
            except self.dialect.failures:
                if not self._drop_lost_connection():
                    raise
                # The database went away under the connection (a restart): once
                # more on a new one. The batch was rolled back, or, if the cut
                # came during COMMIT, is written again, to the same result
                # (replacing is idempotent, and so is merging the same row twice).
                xact = self._write(rows)
            # Deleted between the check and the commit: the batch went to the
            # unlinked file, so it is written again into the new one.
            if self._lost():
                self._connection()
                xact = self._write(rows)
            self._written += len(rows)
        return xact

    def _write(self, rows: list[tuple[str, str, Any]]) -> int:
        # (A row may be an EncodedRow: see LocalSink and record_json.)
        with self._lock:
            conn = self._connection()
            if self._tail:
                self._copy_tail()
            # Object ids cached in a transaction that rolls back may be reused by
            # another process for another object: forget them.
            with _transaction(conn, on_rollback=self._oids.clear):
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'xact_id'")
                xact = conn.execute("SELECT value FROM meta WHERE key = 'xact_id'").fetchone()[0]
                # The batch is applied in order: a later write of a row sees
                # the earlier ones of the same batch (merges, deletes).
                final: dict[tuple[int, str], Optional[StoreRow]] = {}
                versioned: set[int] = set()
                oids = self._oids
                deletes = False
                for object_type, object_id, row in rows:
                    oid = oids.get((object_type, object_id))
                    if oid is None:
                        oid = self._oid(conn, object_type, object_id, create=True)
                        assert oid is not None
                    if object_type == "dataset":
                        versioned.add(oid)
                    if type(row) is EncodedRow:
                        # Written as JSON already (record_json): never a
                        # merge or a delete.
                        final[(oid, row.id)] = row
                        continue
                    key = (oid, row["id"])
                    if row.get("_object_delete"):
                        final[key] = None
                        deletes = True
                        continue
                    if row.get("_is_merge"):
                        row = self._merged(conn, final, key, row)
                    final[key] = row
                # Each row's indexed columns and its JSON text, in one pass
                # (the Python here holds the GIL the application's threads need).
                params = [
                    (oid, row.id, row.root_span_id, row.span_id, row.is_root, row.created,
                     xact, row.text) if isinstance(row, EncodedRow) else
                    (oid, row["id"], row.get("root_span_id"), row.get("span_id"),
                     0 if row.get("span_parents") or not _is_span(row) else 1,
                     row.get("created"), xact, dumps(row))
                    for (oid, _), row in final.items() if row is not None]
                if deletes:
                    conn.executemany("DELETE FROM rows WHERE oid = ? AND id = ?",
                                     [key for key, row in final.items() if row is None])
                if versioned:
                    conn.executemany(
                        "INSERT INTO row_versions (oid, id, xact_id, deleted, data)"
                        " VALUES (?,?,?,?,?) ON CONFLICT (oid, id, xact_id) DO UPDATE SET"
                        " deleted=excluded.deleted, data=excluded.data",
                        [(oid, rid, xact, 1 if row is None else 0,
                          None if row is None else _text(row))
                         for (oid, rid), row in final.items() if oid in versioned])
                text = conn.upsert_rows(params)
            self._wrote(text)
        return int(xact)

    @staticmethod
    def _merged(conn: _Connection, final: dict[tuple[int, str], Optional[StoreRow]],
                key: tuple[int, str], row: dict[str, Any]) -> dict[str, Any]:
        # The row merged into the stored one (or an earlier write of this batch);
        # only a merge row reads the stored row.
        if key in final:
            base = final[key]
            if isinstance(base, EncodedRow):
                base = decode(base.text)
        else:
            old = conn.execute("SELECT data FROM rows WHERE oid=? AND id=?", key).fetchone()
            base = decode(old[0]) if old is not None else None
        if base is not None:
            return merge_row(dict(base), row)
        return {k: v for k, v in row.items() if k != "_is_merge"}

    def write_each(self, rows: Sequence[tuple[str, str, dict[str, Any]]]
                   ) -> list[tuple[tuple[str, str, dict[str, Any]], Exception]]:
        """Writes rows, setting aside only those that cannot be written.

        The batch is one transaction (:meth:`write`) when it can be. When a
        row makes it fail (a value UTF-8 cannot hold, an id that is not a
        string), the batch is split in halves, in order, until the failing
        rows are alone, so no other row is lost with them; only a failing
        batch pays for this. A row whose strings hold lone surrogates is
        written with those characters replaced by U+FFFD (counted as
        ``encoding``); when that was the failure, the batch is first retried
        whole with such rows repaired, so an application that logs them often
        does not pay a transaction per row.

        Args:
            rows: ``(object_type, object_id, row)`` triples.

        Returns:
            The rows that could not be written, each with its error.

        Raises:
            sqlite3.OperationalError: When the database itself fails (busy,
                full, read-only; ``psycopg.OperationalError`` on PostgreSQL); rows
                written before the failure stay written.
        """
        try:
            self.write(rows)
            return []
        except self.dialect.failures:
            raise
        except Exception as exc:
            if len(rows) == 1:
                return self._write_repaired(rows[0], exc)
            if isinstance(exc, UnicodeEncodeError) and self._write_batch_repaired(rows):
                return []
        half = len(rows) // 2
        return self.write_each(rows[:half]) + self.write_each(rows[half:])

    def _write_batch_repaired(self, rows: Sequence[tuple[str, str, Any]]) -> bool:
        fixed: list[tuple[str, str, Any]] = []
        replaced = 0
        try:
            for object_type, object_id, row in rows:
                text = _text(row)
                if type(row) is not EncodedRow and not text.isascii():
                    try:
                        text.encode()
                    except UnicodeEncodeError:
                        row, n = repair_row(row)
                        replaced += n
                fixed.append((object_type, object_id, row))
            self.write(fixed)
        except self.dialect.failures:
            raise
        except Exception:
            return False  # another kind of bad row: halve the batch to find it
        diagnostics.report("encoding", f"stored rows held {replaced} surrogate code points, "
                           "which UTF-8 cannot hold: lone ones were replaced with U+FFFD",
                           n=replaced)
        return True

    def _write_repaired(self, triple: tuple[str, str, dict[str, Any]], exc: Exception
                        ) -> list[tuple[tuple[str, str, dict[str, Any]], Exception]]:
        object_type, object_id, row = triple
        try:
            fixed, replaced = repair_row(row)
        except Exception:
            return [(triple, exc)]
        if not replaced:
            return [(triple, exc)]
        try:
            self.write([(object_type, object_id, fixed)])
        except self.dialect.failures:
            raise
        except Exception as again:
            return [(triple, again)]
        diagnostics.report("encoding", f"a stored row held {replaced} surrogate code points, "
                           "which UTF-8 cannot hold: lone ones were replaced with U+FFFD",
                           n=replaced)
        return []


def _text(row: Any) -> str:
    # A row's JSON: an EncodedRow's own (valid UTF-8 by construction), else dumps.
    return row.text if type(row) is EncodedRow else dumps(row)


def _is_span(row: dict[str, Any]) -> bool:
    # Listed as a trace's root (or a dataset's record) unless it is a comment on a
    # row (log_feedback: no span id) or a log record (type "log", filed under a
    # span's ids), which belong to a trace without being one.
    if "comment" in row and "span_id" not in row:
        return False
    attrs = row.get("span_attributes")
    return not (isinstance(attrs, dict) and attrs.get("type") == "log")

