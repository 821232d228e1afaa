"""Reading rows back: an object's rows, its traces, a dataset as of a version."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from ..serialize import decode
from ._db import _Database


class StoredRow(NamedTuple):
    """One row as the store returns it."""

    object_type: str
    object_id: str
    xact_id: int
    data: dict[str, Any]


class _Reads(_Database):
    def count(self, object_type: str, object_id: str) -> int:
        """How many rows an object holds."""
        found = self._query(object_type, object_id, "SELECT count(*) FROM rows WHERE oid=?")
        return int(found[0][0]) if found else 0

    def rows(self, object_type: str, object_id: str) -> Iterator[StoredRow]:
        """Every row of an object, in write order."""
        fetched = self._query(object_type, object_id,
                              f"SELECT xact_id, data FROM rows WHERE oid=? ORDER BY xact_id,"
                              f" {self.dialect.row_order}")
        for xact, data in fetched:
            yield StoredRow(object_type, object_id, xact, _with_xact(data, xact))

    def recent_traces(self, object_type: str, object_id: str, limit: int = 10) -> list[str]:
        """The root span ids of the newest traces of an object, newest first."""
        found = self._query(
            object_type, object_id,
            f"SELECT root_span_id FROM rows WHERE oid=? AND {self.dialect.is_root}"
            " ORDER BY created DESC LIMIT ?",
            (limit,),
        )
        return [r[0] for r in found]

    def trace(self, object_type: str, object_id: str, root_span_id: str) -> list[dict[str, Any]]:
        """Every row of one trace, oldest first."""
        found = self._query(
            object_type, object_id,
            "SELECT xact_id, data FROM rows WHERE oid=? AND root_span_id=?"
            f" ORDER BY created, {self.dialect.row_order}",
            (root_span_id,),
        )
        return [_with_xact(d, x) for x, d in found]


    def comments(self, object_type: str, object_id: str,
                 row_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """The comments (``log_feedback(comment=)``) on the given rows, oldest first.

        A comment is a row of its own with no span ids, pointing at its row through
        ``origin.id``; returns ``{row id: [{"text", "created"}, ...]}``.
        """
        wanted = set(row_ids)
        found = self._query(
            object_type, object_id,
            "SELECT xact_id, data FROM rows WHERE oid=? AND root_span_id IS NULL"
            f" ORDER BY created, {self.dialect.row_order}",
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for _, data in found:
            row = decode(data) if isinstance(data, str) else data
            origin, comment = row.get("origin"), row.get("comment")
            if not (isinstance(origin, dict) and isinstance(comment, dict)):
                continue
            if origin.get("id") in wanted:
                out.setdefault(origin["id"], []).append(
                    {"text": comment.get("text"), "created": row.get("created")})
        return out

    def dataset_version(self, dataset_id: str) -> int | None:
        """The transaction id of a dataset's latest write, or None when it has none."""
        found = self._query("dataset", dataset_id,
                            "SELECT max(xact_id) FROM row_versions WHERE oid = ?")
        return int(found[0][0]) if found and found[0][0] is not None else None

    def dataset_rows(self, dataset_id: str, version: int | None = None) -> list[dict[str, Any]]:
        """A dataset's records, as of ``version`` (a transaction id) or now."""
        if version is None:
            return [r.data for r in self.rows("dataset", dataset_id)]
        # Each record's last write at or before the version, in first-write order.
        found = self._query(
            "dataset", dataset_id,
            "SELECT v.data, v.deleted, v.xact_id FROM row_versions v JOIN ("
            " SELECT oid, id, max(xact_id) AS last, min(xact_id) AS first FROM row_versions"
            " WHERE oid = ? AND xact_id <= ? GROUP BY oid, id) m"
            " ON v.oid = m.oid AND v.id = m.id AND v.xact_id = m.last ORDER BY m.first, v.id",
            (int(version),))
        return [_with_xact(data, xact) for data, deleted, xact in found if not deleted]

    def find_row(self, object_type: str, object_id: str, row_id: str) -> dict[str, Any] | None:
        """The row ``row_id`` of an object (by its primary key), or None."""
        found = self._query(object_type, object_id,
                            "SELECT xact_id, data FROM rows WHERE oid=? AND id=?", (row_id,))
        return _with_xact(found[0][1], found[0][0]) if found else None

    def dataset_versions(self, dataset_id: str) -> list[int]:
        """Every transaction id that changed a dataset, newest first (its versions)."""
        found = self._query("dataset", dataset_id,
                            "SELECT DISTINCT xact_id FROM row_versions WHERE oid = ?"
                            " ORDER BY xact_id DESC")
        return [int(x) for (x,) in found]


def _with_xact(data: str, xact: int) -> dict[str, Any]:
    row: dict[str, Any] = decode(data)
    row["_xact_id"] = str(xact)
    return row
