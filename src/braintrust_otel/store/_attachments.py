"""Attachment bytes: files named by their SHA-256 beside the database, keys in a table."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from ._db import _Database, _transaction


class _Attachments(_Database):
    # -- attachments --------------------------------------------------------

    @property
    def attachment_dir(self) -> Path:
        """Where attachment bytes live: files named by their SHA-256, beside the database.

        On PostgreSQL the bytes are in the database (``blobs``), so that servers on
        several machines share them.
        """
        return self.path.parent / "attachments"

    def put_attachment(self, key: str, data: bytes, filename: str | None,
                       content_type: str | None) -> None:
        """Stores attachment bytes (once per content) and records the key."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.attachment_dir / digest[:2] / digest
        if self.dialect.blobs_in_database:
            pass  # written below, in the same transaction as the key
        elif not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{digest}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        with self._lock:
            conn = self._connection()
            with _transaction(conn):
                if self.dialect.blobs_in_database:
                    conn.execute("INSERT INTO blobs (sha256, data) VALUES (?, ?)"
                                 " ON CONFLICT DO NOTHING", (digest, data))
                conn.execute("INSERT INTO attachments VALUES (?,?,?,?,?) ON CONFLICT (key)"
                             " DO UPDATE SET sha256=excluded.sha256, filename=excluded.filename,"
                             " content_type=excluded.content_type, size=excluded.size",
                             (key, digest, filename, content_type, len(data)))

    def has_attachment(self, key: str) -> bool:
        """Whether an attachment with this key is stored."""
        with self._lock:
            return self._connection().execute("SELECT 1 FROM attachments WHERE key = ?",
                                              (key,)).fetchone() is not None

    def get_attachment(self, key: str) -> bytes:
        """The bytes of an attachment by key.

        Raises:
            KeyError: When no attachment has this key.
        """
        with self._lock:
            row = self._connection().execute("SELECT sha256 FROM attachments WHERE key = ?",
                                             (key,)).fetchone()
        if row is None:
            raise KeyError(f"no attachment with key {key!r}")
        digest = str(row[0])
        if self.dialect.blobs_in_database:
            with self._lock:
                blob = self._connection().execute("SELECT data FROM blobs WHERE sha256 = ?",
                                                  (digest,)).fetchone()
            return bytes(blob[0])
        return (self.attachment_dir / digest[:2] / digest).read_bytes()

    def attachment_info(self, key: str) -> dict[str, Any]:
        """An attachment's ``filename``, ``content_type`` and ``size`` ({} when unknown)."""
        with self._lock:
            row = self._connection().execute(
                "SELECT filename, content_type, size FROM attachments WHERE key = ?",
                (key,)).fetchone()
        return {} if row is None else {"filename": row[0], "content_type": row[1],
                                       "size": row[2]}
