"""One connection per process (SQLite file or PostgreSQL): opening, recreating a lost file,
transactions."""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable, Optional

from .. import diagnostics
from .._local_paths import default_store_location, default_store_path, is_postgres_url
from ._dialect import SQLITE, Dialect, PostgresDialect
from ._schema import _KNOWN_COLUMNS

# Serializes schema creation across processes starting on one PostgreSQL database
# (CREATE ... IF NOT EXISTS races otherwise); any constant key works.
_SCHEMA_LOCK_KEY = 0x6272_7374
_PAGE_SIZE = 16384
# Batches of at least this many rows go to PostgreSQL by COPY (fewer: one INSERT each).
_COPY_FROM = 16
_STAGING = "rows_in"
_UPSERT_ROWS = (
    "INSERT INTO rows (oid, id, root_span_id, span_id, is_root, created, xact_id, data)"
    " {source} ON CONFLICT (oid, id) DO UPDATE SET"
    " root_span_id=excluded.root_span_id, span_id=excluded.span_id,"
    " is_root=excluded.is_root, created=excluded.created,"
    " xact_id=excluded.xact_id, data=excluded.data")
# A thread of its own copies the WAL into the database file (a checkpoint)
# after this much row text: with the index pages each batch rewrites, about
# 16 MiB of WAL in a new store of span rows, about 50 MiB in one of 200,000
# (then the writer copies the tail, see _copy_tail). The writing connection
# checkpoints on its own only past the backstop, when that thread falls
# behind. A lower backstop (64 MiB) gave most checkpoints back to the writer.
_CHECKPOINT_TEXT = 12 * 1024 * 1024
_BACKSTOP_BYTES = 128 * 1024 * 1024
# Rounds one checkpoint thread runs while the writer keeps adding to the WAL.
_CHECKPOINT_ROUNDS = 4
# SQLite's page cache per connection (its default is 2 MiB), in KiB: a
# sixteenth of the file when it opens, within these bounds (see _cache_kib).
_CACHE_KIB = 16 * 1024
_CACHE_MAX_KIB = 64 * 1024


class _Connection:
    """A database connection that speaks SQLite's SQL (see ``_dialect``) on either engine."""

    def __init__(self, raw: Any, dialect: Dialect) -> None:
        self.raw = raw
        self.dialect = dialect
        self._rows_per_statement = _rows_per_statement(raw) if dialect.name == "sqlite" else 0

    def execute(self, sql: str, args: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """Runs one statement; returns a cursor (``fetchone``, ``fetchall``)."""
        return self.raw.execute(self.dialect.sql(sql), args)

    def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        """Runs one statement once per parameter tuple."""
        if self.dialect.name == "sqlite":
            self.raw.executemany(sql, args)
            return
        with self.raw.cursor() as cur:
            cur.executemany(self.dialect.sql(sql), args)

    def upsert_rows(self, params: Sequence[Sequence[Any]]) -> int:
        """Inserts or replaces rows ``(oid, id, root_span_id, span_id, is_root, created,
        xact_id, data)``; ids are unique within ``params``.

        Returns:
            The size of the rows' ``data`` text, in characters (SQLite; 0 on PostgreSQL).
        """
        if self.dialect.name == "sqlite":
            return _upsert_sqlite(self.raw, params, self._rows_per_statement)
        if len(params) < _COPY_FROM:
            self.executemany(_UPSERT_ROWS.format(source="VALUES (?,?,?,?,?,?,?,?)"), params)
            return 0
        # One COPY and one statement instead of a statement per row: the server
        # does a fraction of the work. The staging table empties at each commit.
        with self.raw.cursor() as cur:
            with cur.copy(f"COPY {_STAGING} FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
            cur.execute(_UPSERT_ROWS.format(source=f"SELECT * FROM {_STAGING}"))
        return 0

    def begin(self) -> None:
        """Starts a write transaction; writers take turns, as SQLite makes them."""
        self.raw.execute(self.dialect.begin)
        if self.dialect.name != "sqlite":
            # The counter row's lock is PostgreSQL's BEGIN IMMEDIATE: one writer
            # at a time, so transaction ids follow commit order.
            self.raw.execute("SELECT value FROM meta WHERE key = 'xact_id' FOR UPDATE")

    def close(self) -> None:
        """Closes the connection."""
        self.raw.close()


def _upsert_sqlite(raw: sqlite3.Connection, params: Sequence[Sequence[Any]],
                   most: int) -> int:
    # One statement per chunk of up to ``most`` rows, not one per row
    # (executemany): about 10% fewer instructions per row written, and a few
    # GIL releases per transaction instead of one per row (sqlite3 gives up
    # the GIL around each step; a one-row step is likely over before the
    # application's waiting thread can use it, a step of hundreds of rows is
    # not). See docs/design.md, "The store's write path".
    # Chunks are powers of two, so at most a dozen statement texts exist
    # (sqlite3 caches their compiled form).
    done, total = 0, len(params)
    if not total:
        return 0
    # SQLite copies each bound value and keeps it until the statement is
    # reset: large rows (1 MB inputs) go fewer to a statement, about 8 MB at a time.
    text = sum(len(row[-1]) for row in params)
    average = text // total
    while most > 1 and average * most > _STATEMENT_TEXT:
        most //= 2
    while done < total:
        size = most
        while size > total - done:
            size //= 2
        end = done + size
        raw.execute(_values_sql(size), [value for row in params[done:end] for value in row])
        done = end
    return text


@functools.lru_cache(maxsize=32)
def _values_sql(rows: int) -> str:
    return _UPSERT_ROWS.format(source="VALUES " + ",".join(["(?,?,?,?,?,?,?,?)"] * rows))


def _rows_per_statement(raw: sqlite3.Connection) -> int:
    # As many rows as the build's limit on parameters allows (8 per row), up to 512:
    # SQLite's default limit is 32,766 since 3.32 and 999 before.
    getlimit = getattr(raw, "getlimit", None)  # Python 3.11+
    if getlimit is not None:
        limit = int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    else:
        limit = 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
    most = 1
    while most * 2 * _ROW_COLUMNS <= limit and most < _MOST_ROWS_PER_STATEMENT:
        most *= 2
    return most


_ROW_COLUMNS = 8
_MOST_ROWS_PER_STATEMENT = 512
_STATEMENT_TEXT = 8 * 1024 * 1024


def _connect_postgres(url: str) -> _Connection:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RuntimeError("a PostgreSQL store needs psycopg: "
                           "pip install 'braintrust-otel[postgres]'") from exc
    PostgresDialect.failures = (psycopg.OperationalError, sqlite3.OperationalError)
    raw = psycopg.connect(url, autocommit=True)
    dialect = PostgresDialect()
    with raw.transaction():
        raw.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
        raw.execute(dialect.schema)
    # This session's own table (temporary: no other connection sees it) for
    # batches copied in before they are merged into ``rows``.
    raw.execute(f"CREATE TEMP TABLE {_STAGING} (oid BIGINT, id TEXT, root_span_id TEXT, "
                "span_id TEXT, is_root INTEGER, created TEXT, xact_id BIGINT, data TEXT) "
                "ON COMMIT DELETE ROWS")
    return _Connection(raw, dialect)


def _redact(url: str) -> str:
    # A password in the URL is not printed in messages.
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, user = head.partition("//")
    return f"{scheme}//{user.split(':', 1)[0]}:***@{tail}"


class _Database:
    """The connection and the per-process caches every part of the store shares.

    Args:
        path: The database file, created with its folder when missing; or a
            ``postgresql://`` URL of a PostgreSQL database.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.url: str | None = None
        self.dialect: Dialect = SQLITE
        if path is None:
            path = default_store_location()
        if isinstance(path, str) and is_postgres_url(path):
            self.url, self.dialect = path, PostgresDialect()
            # Local things (the sink's spool) still need a folder on this machine.
            self.path = default_store_path()
        else:
            self.path = Path(path) if path is not None else default_store_path()
        self._lock = threading.RLock()
        self._conn: _Connection | None = None
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
        self._unchecked = 0  # row text written since the last checkpoint began
        self._checkpointer: threading.Thread | None = None
        self._tail = False  # a checkpoint thread ran since the writer copied the WAL's tail
        self._cache = _CACHE_KIB  # the SQLite connection's page cache, in KiB

    @property
    def location(self) -> str:
        """Where the rows are: the file's path, or the database URL without its password."""
        return _redact(self.url) if self.url is not None else str(self.path)

    def _lost(self) -> bool:
        # Only a file can be deleted under a running process.
        return self.url is None and self._file != _file_id(self.path)

    def _connection(self) -> _Connection:
        if self.url is not None:
            if self._conn is None or self._pid != os.getpid() or self._conn.raw.closed:
                self._conn, self._pid = _connect_postgres(self.url), os.getpid()
                self._oids.clear()
            return self._conn
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
            # Rows are spans of a few KB: 16 KiB pages hold several per page and
            # cost fewer B-tree splits and WAL frames per row than the default
            # 4 KiB (about 1.5x the write rate). Only a new file takes it; one
            # made with another page size keeps its own.
            conn.execute(f"PRAGMA page_size={_PAGE_SIZE}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            # Checkpoints are where WAL mode syncs to disk; a thread of their
            # own runs them (_wrote), and this connection only past a backstop.
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            conn.execute(f"PRAGMA wal_autocheckpoint={_BACKSTOP_BYTES // page}")
            # Row ids and trace ids are random, so each batch inserts all over
            # the two id indexes: once they and a batch's new data pages outgrow
            # the cache, every batch reads index pages back (the default 2 MiB
            # cost 1.27x the CPU per row at 100,000 rows; 16 MiB about 10 us
            # more system CPU per row at 200,000). The cache grows with the
            # store (_cache_kib); SQLite takes it only as pages are used.
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            self._cache = _cache_kib(pages * page)
            conn.execute(f"PRAGMA cache_size=-{self._cache}")
            # Every statement is idempotent, so racing processes may both run it.
            conn.executescript(SQLITE.schema)
            self._conn, self._pid = _Connection(conn, SQLITE), os.getpid()
            self._file = _file_id(self.path)
            if self._known:
                self._register_known(self._conn)
        return self._conn

    def _wrote(self, text: int) -> None:
        # After each committed write, with its rows' text size: once enough
        # WAL has built up, a thread of its own checkpoints it
        # (PASSIVE: it neither waits for this connection's writes nor blocks
        # them). A checkpoint copies the WAL into the database file and syncs
        # both, tens of milliseconds of I/O that the writing thread, whose
        # next batch is waiting, used to spend itself (SQLite's automatic
        # checkpoint runs in the connection that committed).
        if self.url is not None:
            return
        self._unchecked += text
        if self._unchecked < _CHECKPOINT_TEXT:
            return
        running = self._checkpointer
        if running is not None and running.is_alive():
            return  # still copying: asked again after the next write
        thread = threading.Thread(target=_checkpoint, args=(self.path.absolute(),),
                                  name="braintrust-store-checkpoint", daemon=True)
        try:
            thread.start()
        except RuntimeError:
            return  # no new threads (the interpreter is exiting): the backstop remains
        self._checkpointer, self._unchecked = thread, 0
        self._tail = True
        self._grow_cache()

    def _copy_tail(self) -> None:
        # Before a write begins, once the thread's checkpoint has ended: the
        # frames written meanwhile (about a batch) are copied here, so the
        # write begins with the whole WAL copied and starts it over.
        running = self._checkpointer
        if not self._tail or running is None or running.is_alive() or self._conn is None:
            return
        self._tail = False
        try:
            self._conn.raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            pass

    def _grow_cache(self) -> None:
        # A process that keeps writing makes its store larger than it was
        # when the connection opened: the cache follows (once per checkpoint).
        try:
            wanted = _cache_kib(os.stat(self.path).st_size)
            if wanted > self._cache and self._conn is not None:
                self._conn.raw.execute(f"PRAGMA cache_size=-{wanted}")
                self._cache = wanted
        except (OSError, sqlite3.Error):
            pass

    def _drop_lost_connection(self) -> bool:
        # True when the PostgreSQL connection is gone (the server restarted or
        # cut it): it is dropped, and the next call connects again.
        conn = self._conn
        if self.url is None or conn is None or self._pid != os.getpid():
            return False
        if not (conn.raw.closed or conn.raw.broken):
            return False
        self._conn = None
        self._oids.clear()
        return True

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

    def _register_known(self, conn: _Connection) -> None:
        with _transaction(conn):
            for (table, _), values in self._known.items():
                marks = ",".join("?" * len(values))
                conn.execute(f"INSERT INTO {table} {_KNOWN_COLUMNS[table]} "
                             f"VALUES ({marks}) ON CONFLICT DO NOTHING", values)

    def _oid(self, conn: _Connection, object_type: str, object_id: str,
             create: bool) -> int | None:
        key = (object_type, object_id)
        found = self._oids.get(key)
        if found is not None:
            return found
        if create:
            conn.execute(
                "INSERT INTO objects (object_type, object_id) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING", key
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
            running = self._checkpointer
            if running is not None and running.is_alive():
                # Its connection open would keep this close from removing the WAL.
                running.join()
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
            found: list[Any] = conn.execute(sql, (oid, *args)).fetchall()
            return found


def _checkpoint(path: Path) -> None:
    # On a connection of its own, opened only if the file is still there
    # (mode=rw: a store deleted meanwhile is not made again here). Rounds
    # repeat while the writer added frames during the last one, so the WAL is
    # often wholly copied when the next write begins, which then starts it
    # over from its beginning instead of letting it grow. A failure costs
    # nothing (the WAL stays, and the writer's backstop checkpoint remains),
    # so none is reported, nor printed by the thread.
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=5.0,
                               isolation_level=None, check_same_thread=False)
    except Exception:
        return
    try:
        conn.execute("PRAGMA synchronous=NORMAL")
        for _ in range(_CHECKPOINT_ROUNDS):
            busy, log, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if busy or copied >= log:
                break
    except Exception:
        pass
    finally:
        conn.close()


def _cache_kib(file_bytes: int) -> int:
    # The id indexes take about 125 bytes per row (two random-key entries on
    # partly filled pages): 3.5% of a store of 3 KB span rows, 10% of one of
    # 1 KB rows. A sixteenth of the file holds them and a batch's new pages
    # for rows of about 2 KB and up, from the 16 MiB a new store gets up to
    # 64 MiB (a store of 1 GB); past that, or with smaller rows, some index
    # pages are read back again. Memory is taken only as pages are used.
    return max(_CACHE_KIB, min(_CACHE_MAX_KIB, file_bytes // 16 // 1024))


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class _transaction:
    """A write transaction (writers take turns), rolled back on error (then ``on_rollback``)."""

    def __init__(self, conn: _Connection,
                 on_rollback: Optional[Callable[[], None]] = None) -> None:
        self._conn = conn
        self._on_rollback = on_rollback

    def __enter__(self) -> None:
        self._conn.begin()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._conn.raw.execute("COMMIT")
            return
        try:
            self._conn.raw.execute("ROLLBACK")
        except Exception:
            # The connection itself failed (PostgreSQL gone): the error that
            # got us here is the one to report, and the next call reconnects.
            pass
        if self._on_rollback is not None:
            self._on_rollback()
