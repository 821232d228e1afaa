"""One SQLite connection per process: opening, recreating a lost file, transactions."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from .. import diagnostics
from ._paths import default_store_path
from ._schema import _KNOWN_COLUMNS, _SCHEMA


class _Database:
    """The connection and the per-process caches every part of the store shares.

    Args:
        path: The database file; created with its folder when missing.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._oids: dict[tuple[str, str], int] = {}
        # The file the connection has open, as (device, inode): a store deleted
        # (or replaced) under a running process is noticed, not written blind.
        self._file: tuple[int, int] | None = None
        # Projects, experiments and datasets this handle registered or found,
        # as (table, id) -> the row to insert again if the file is recreated:
        # the process holds their ids.
        self._known: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._written = 0  # rows this handle wrote into the current file

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross fork(); a child opens its own.
        if self._conn is not None and self._pid == os.getpid():
            if self._file == _file_id(self.path):
                return self._conn
            self._recreate()
        if self._conn is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            # Checkpoints are where WAL mode syncs to disk; fewer, larger ones
            # (32 MiB of WAL instead of 4) keep bulk span writes fast.
            conn.execute("PRAGMA wal_autocheckpoint=8192")
            # Every statement is idempotent, so racing processes may both run it.
            conn.executescript(_SCHEMA)
            self._conn, self._pid = conn, os.getpid()
            self._file = _file_id(self.path)
            if self._known:
                self._register_known(conn)
        return self._conn

    def _recreate(self) -> None:
        # SQLite goes on writing to an unlinked file without a word: the rows
        # would vanish. Close the old connection first (it cleans up the old
        # WAL), then open a new file and register again what this process uses.
        lost, self._written = self._written, 0
        try:
            assert self._conn is not None
            self._conn.close()
        except sqlite3.Error:
            pass
        self._conn = None
        self._oids.clear()
        diagnostics.report(
            "store_lost",
            f"the local store {self.path} was deleted or replaced while in use; the "
            f"{lost} rows this process had stored there are gone; new rows go to a new "
            "store at the same path",
            n=max(1, lost),
        )

    def _register_known(self, conn: sqlite3.Connection) -> None:
        with _transaction(conn):
            for (table, _), values in self._known.items():
                marks = ",".join("?" * len(values))
                conn.execute(f"INSERT OR IGNORE INTO {table} {_KNOWN_COLUMNS[table]} "
                             f"VALUES ({marks})", values)

    def _oid(self, conn: sqlite3.Connection, object_type: str, object_id: str,
             create: bool) -> int | None:
        key = (object_type, object_id)
        found = self._oids.get(key)
        if found is not None:
            return found
        if create:
            conn.execute(
                "INSERT OR IGNORE INTO objects (object_type, object_id) VALUES (?, ?)", key
            )
        row = conn.execute(
            "SELECT oid FROM objects WHERE object_type = ? AND object_id = ?", key
        ).fetchone()
        if row is None:
            return None
        self._oids[key] = int(row[0])
        return self._oids[key]

    def close(self) -> None:
        """Closes the connection (a later call opens a new one)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
            self._oids.clear()

    def _query(self, object_type: str, object_id: str, sql: str,
               args: Sequence[Any] = ()) -> list[Any]:
        # Runs ``sql`` with the object's oid as its first parameter; an
        # object never written to has no rows.
        with self._lock:
            conn = self._connection()
            oid = self._oid(conn, object_type, object_id, create=False)
            if oid is None:
                return []
            return conn.execute(sql, (oid, *args)).fetchall()


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on error (then ``on_rollback``)."""

    def __init__(self, conn: sqlite3.Connection,
                 on_rollback: Optional[Callable[[], None]] = None) -> None:
        self._conn = conn
        self._on_rollback = on_rollback

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._conn.execute("COMMIT")
            return
        self._conn.execute("ROLLBACK")
        if self._on_rollback is not None:
            self._on_rollback()
