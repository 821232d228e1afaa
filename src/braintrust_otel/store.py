"""The embedded store: Braintrust objects and rows in one SQLite file.

WAL mode with a busy timeout lets several processes (apps, ``braintrust
serve``, ``braintrust logs``) read and write the same file at once. Each
batch of rows is one transaction and gets one transaction id (``_xact_id``),
increasing across processes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

from . import diagnostics
from .merge import merge_row
from .serialize import dumps, repair, repair_row

__all__ = ["Store", "StoredRow", "default_store_path"]

STORE_ENV = "BRAINTRUST_LOCAL_STORE"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('xact_id', 0);
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE IF NOT EXISTS experiments (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    seq INTEGER NOT NULL,
    info TEXT NOT NULL DEFAULT '{}',
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    info TEXT NOT NULL DEFAULT '{}',
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS attachments (
    key TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    filename TEXT,
    content_type TEXT,
    size INTEGER NOT NULL
);
-- Each saved version of a prompt; id is stable per (project, slug).
CREATE TABLE IF NOT EXISTS prompts (
    id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    slug TEXT NOT NULL,
    version INTEGER NOT NULL,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    data TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX IF NOT EXISTS prompts_by_slug ON prompts (project_id, slug, version);
-- Every write to a versioned object (datasets), so it can be read as of a
-- transaction id; deleted marks a delete.
CREATE TABLE IF NOT EXISTS row_versions (
    oid INTEGER NOT NULL,
    id TEXT NOT NULL,
    xact_id INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT,
    PRIMARY KEY (oid, id, xact_id)
);
-- Rows name their object by a small integer: keys and indexes stay short,
-- which halves the cost of writing a row.
CREATE TABLE IF NOT EXISTS objects (
    oid INTEGER PRIMARY KEY,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    UNIQUE (object_type, object_id)
);
CREATE TABLE IF NOT EXISTS rows (
    oid INTEGER NOT NULL REFERENCES objects (oid),
    id TEXT NOT NULL,
    root_span_id TEXT,
    span_id TEXT,
    is_root INTEGER NOT NULL DEFAULT 0,
    created TEXT,
    xact_id INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (oid, id)
);
CREATE INDEX IF NOT EXISTS rows_by_trace ON rows (oid, root_span_id);
CREATE INDEX IF NOT EXISTS rows_roots ON rows (oid, created) WHERE is_root;
PRAGMA user_version = 1;
"""


def default_store_path() -> Path:
    """The store file: ``$BRAINTRUST_LOCAL_STORE``, else the user's data directory.

    Returns:
        ``~/.local/share/braintrust/store.sqlite`` on Linux (honouring
        ``XDG_DATA_HOME``), ``~/Library/Application Support/braintrust/...`` on
        macOS, ``%LOCALAPPDATA%\\braintrust\\...`` on Windows.
    """
    explicit = os.environ.get(STORE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "braintrust" / "store.sqlite"


class StoredRow(NamedTuple):
    """One row as the store returns it."""

    object_type: str
    object_id: str
    xact_id: int
    data: dict[str, Any]


class Store:
    """A handle on one SQLite store file, safe to share between threads.

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

    # -- projects -----------------------------------------------------------

    def ensure_project(self, name: str | None = None, id: str | None = None) -> dict[str, str]:
        """Returns the project with this id or name, creating it when missing.

        Args:
            name: The project name.
            id: The project id; wins over ``name``. An unknown id is
                registered with the given name (or the id as its name).

        Returns:
            ``{"id": ..., "name": ...}``.
        """
        if name is None and id is None:
            raise ValueError("ensure_project needs a name or an id")
        with self._lock:
            conn = self._connection()
            with _transaction(conn):
                if id is not None:
                    found = conn.execute(
                        "SELECT id, name FROM projects WHERE id = ?", (id,)
                    ).fetchone()
                    if found is None:
                        conn.execute(
                            "INSERT INTO projects (id, name) VALUES (?, ?)", (id, name or id)
                        )
                        found = (id, name or id)
                else:
                    conn.execute(
                        "INSERT OR IGNORE INTO projects (id, name) VALUES (?, ?)",
                        (str(uuid.uuid4()), name),
                    )
                    found = conn.execute(
                        "SELECT id, name FROM projects WHERE name = ?", (name,)
                    ).fetchone()
            self._known[("projects", found[0])] = (found[0], found[1])
        return {"id": found[0], "name": found[1]}

    def projects(self) -> list[dict[str, str]]:
        """Lists every project, oldest first."""
        with self._lock:
            cur = self._connection().execute(
                "SELECT id, name, created FROM projects ORDER BY created"
            )
            return [{"id": i, "name": n, "created": c} for i, n, c in cur.fetchall()]

    def find_project(
        self, name: str | None = None, id: str | None = None
    ) -> dict[str, str] | None:
        """Returns the project with this id (or else name), or None."""
        with self._lock:
            conn = self._connection()
            key, value = ("id", id) if id is not None else ("name", name)
            found = conn.execute(
                f"SELECT id, name FROM projects WHERE {key} = ?", (value,)
            ).fetchone()
        return {"id": found[0], "name": found[1]} if found else None

    # -- experiments --------------------------------------------------------

    def create_experiment(self, project_id: str, name: str | None = None,
                          info: dict[str, Any] | None = None,
                          ensure_new: bool = True) -> dict[str, Any]:
        """Registers an experiment in a project and returns it.

        Args:
            project_id: The project.
            name: The name; a taken name gets a numeric suffix when
                ``ensure_new``, else the existing experiment is returned.
                None picks ``experiment-<n>``.
            info: Metadata, tags, base experiment id, and so on.
            ensure_new: Whether a taken name makes a new experiment.

        Returns:
            ``{"id", "name", "project_id", "created", "seq", **info}``.
        """
        with self._lock:
            conn = self._connection()
            with _transaction(conn):
                seq = conn.execute(
                    "SELECT coalesce(max(seq), 0) + 1 FROM experiments WHERE project_id = ?",
                    (project_id,),
                ).fetchone()[0]
                base = name or f"experiment-{seq}"
                candidate, n = base, 1
                while True:
                    found = conn.execute(
                        "SELECT id FROM experiments WHERE project_id = ? AND name = ?",
                        (project_id, candidate),
                    ).fetchone()
                    if found is None:
                        break
                    if not ensure_new:
                        return self._experiment_where(conn, "id = ?", (found[0],)) or {}
                    n += 1
                    candidate = f"{base}-{n}"
                exp_id = str(uuid.uuid4())
                conn.execute(
                    "INSERT INTO experiments (id, project_id, name, seq, info)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (exp_id, project_id, candidate, seq, _encodable_json(info or {})),
                )
                return self._experiment_where(conn, "id = ?", (exp_id,)) or {}

    def find_experiment(self, id: str | None = None, project_id: str | None = None,
                        name: str | None = None) -> dict[str, Any] | None:
        """The experiment with this id, or with this name in a project; or None."""
        with self._lock:
            conn = self._connection()
            if id is not None:
                return self._experiment_where(conn, "id = ?", (id,))
            return self._experiment_where(conn, "project_id = ? AND name = ?", (project_id, name))

    def experiments(self, project_id: str) -> list[dict[str, Any]]:
        """A project's experiments, oldest first."""
        with self._lock:
            conn = self._connection()
            ids = conn.execute("SELECT id FROM experiments WHERE project_id = ? ORDER BY seq",
                               (project_id,)).fetchall()
            return [e for (i,) in ids if (e := self._experiment_where(conn, "id = ?", (i,)))]

    def _experiment_where(self, conn: sqlite3.Connection, where: str,
                          args: tuple[Any, ...]) -> dict[str, Any] | None:
        row = conn.execute(
            f"SELECT id, project_id, name, created, seq, info FROM experiments WHERE {where}",
            args,
        ).fetchone()
        if row is None:
            return None
        self._known[("experiments", row[0])] = tuple(row)
        out: dict[str, Any] = json.loads(row[5])
        out.update(id=row[0], project_id=row[1], name=row[2], created=row[3], seq=row[4])
        return out

    # -- datasets -----------------------------------------------------------

    def ensure_dataset(self, project_id: str, name: str,
                       info: dict[str, Any] | None = None) -> dict[str, Any]:
        """Returns the dataset with this name in a project, creating it when missing."""
        with self._lock:
            conn = self._connection()
            with _transaction(conn):
                conn.execute(
                    "INSERT OR IGNORE INTO datasets (id, project_id, name, info) VALUES (?,?,?,?)",
                    (str(uuid.uuid4()), project_id, name, _encodable_json(info or {})),
                )
                row = conn.execute(
                    "SELECT id, project_id, name, created, info FROM datasets"
                    " WHERE project_id = ? AND name = ?", (project_id, name)).fetchone()
            self._known[("datasets", row[0])] = tuple(row)
        out: dict[str, Any] = json.loads(row[4])
        out.update(id=row[0], project_id=row[1], name=row[2], created=row[3])
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
            " SELECT id, max(xact_id) AS last, min(xact_id) AS first FROM row_versions"
            " WHERE oid = ?1 AND xact_id <= ?2 GROUP BY id) m"
            " ON v.id = m.id AND v.xact_id = m.last WHERE v.oid = ?1 ORDER BY m.first, v.id",
            (int(version),))
        return [_with_xact(data, xact) for data, deleted, xact in found if not deleted]

    # -- attachments --------------------------------------------------------

    @property
    def attachment_dir(self) -> Path:
        """Where attachment bytes live: files named by their SHA-256, beside the database."""
        return self.path.parent / "attachments"

    def put_attachment(self, key: str, data: bytes, filename: str | None,
                       content_type: str | None) -> None:
        """Stores attachment bytes (once per content) and records the key."""
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        path = self.attachment_dir / digest[:2] / digest
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{digest}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        with self._lock:
            conn = self._connection()
            with _transaction(conn):
                conn.execute("INSERT OR REPLACE INTO attachments VALUES (?,?,?,?,?)",
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
        return (self.attachment_dir / digest[:2] / digest).read_bytes()

    def attachment_info(self, key: str) -> dict[str, Any]:
        """An attachment's ``filename``, ``content_type`` and ``size`` ({} when unknown)."""
        with self._lock:
            row = self._connection().execute(
                "SELECT filename, content_type, size FROM attachments WHERE key = ?",
                (key,)).fetchone()
        return {} if row is None else {"filename": row[0], "content_type": row[1],
                                       "size": row[2]}

    # -- listings for the web UI --------------------------------------------

    def roots(self, object_type: str, object_id: str, limit: int = 50, offset: int = 0,
              search: str | None = None, errors_only: bool = False,
              span_type: str | None = None) -> tuple[list[dict[str, Any]], int]:
        """Root rows of an object, newest first, filtered by text, errors or span type.

        Returns:
            ``(rows, total matching)``.
        """
        where = "oid = :oid AND is_root"
        if search:
            where += " AND instr(lower(data), lower(:q)) > 0"
        if errors_only:
            where += " AND json_extract(data, '$.error') IS NOT NULL"
        if span_type:
            where += " AND json_extract(data, '$.span_attributes.type') = :type"
        with self._lock:
            conn = self._connection()
            oid = self._oid(conn, object_type, object_id, create=False)
            if oid is None:
                return [], 0
            params = {"oid": oid, "limit": int(limit), "offset": int(offset), "q": search or "",
                      "type": span_type or ""}
            found = conn.execute(
                f"SELECT xact_id, data FROM rows WHERE {where} ORDER BY created DESC"
                " LIMIT :limit OFFSET :offset", params).fetchall()
            total = conn.execute(f"SELECT count(*) FROM rows WHERE {where}", params).fetchone()[0]
        return [_with_xact(d, x) for x, d in found], int(total)

    def datasets(self, project_id: str) -> list[dict[str, Any]]:
        """A project's datasets, oldest first."""
        with self._lock:
            found = self._connection().execute(
                "SELECT id, name, created FROM datasets WHERE project_id = ? ORDER BY created",
                (project_id,)).fetchall()
        return [{"id": i, "name": n, "created": c} for i, n, c in found]

    def prompts(self, project_id: str) -> list[dict[str, Any]]:
        """Every saved version of a project's prompts, newest first."""
        with self._lock:
            found = self._connection().execute(
                "SELECT id, slug, version, created, data FROM prompts WHERE project_id = ?"
                " ORDER BY version DESC", (project_id,)).fetchall()
        out = []
        for pid, slug, version, created, data in found:
            item: dict[str, Any] = json.loads(data)
            item.update(id=pid, slug=slug, _xact_id=str(version), created=created)
            out.append(item)
        return out

    # -- prompts ------------------------------------------------------------

    def save_prompt(self, project_id: str, slug: str, data: dict[str, Any]) -> dict[str, Any]:
        """Saves a new version of the prompt ``slug`` in a project and returns it.

        Args:
            project_id: The project.
            slug: The prompt's slug (stable name).
            data: ``name``, ``description``, ``prompt_data``, ``tags``...

        Returns:
            The saved prompt, with ``id``, ``project_id``, ``slug`` and ``_xact_id``.
        """
        with self._lock:
            conn = self._connection()
            with _transaction(conn):
                found = conn.execute("SELECT id, version, data FROM prompts WHERE project_id = ?"
                                     " AND slug = ? ORDER BY version DESC LIMIT 1",
                                     (project_id, slug)).fetchone()
                encoded = _encodable_json(data)
                if found and json.loads(found[2]) == json.loads(encoded):
                    # Saved again unchanged (`braintrust push` of the same file): no new
                    # version, so a prompt's versions are its real edits.
                    xact = found[1]
                else:
                    conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'xact_id'")
                    xact = conn.execute("SELECT value FROM meta WHERE key = 'xact_id'"
                                        ).fetchone()[0]
                    prompt_id = found[0] if found else str(uuid.uuid4())
                    conn.execute("INSERT INTO prompts (id, project_id, slug, version, data)"
                                 " VALUES (?,?,?,?,?)",
                                 (prompt_id, project_id, slug, xact, encoded))
        return self.find_prompt(project_id=project_id, slug=slug, version=xact) or {}

    def find_prompt(self, project_id: str | None = None, slug: str | None = None,
                    version: int | None = None, id: str | None = None) -> dict[str, Any] | None:
        """A prompt by id or (project, slug): the given version, else the latest."""
        args: list[Any] = [id] if id is not None else [project_id, slug]
        where = "id = ?" if id is not None else "project_id = ? AND slug = ?"
        if version is not None:
            where += " AND version = ?"
            args.append(int(version))
        with self._lock:
            row = self._connection().execute(
                f"SELECT id, project_id, slug, version, created, data FROM prompts WHERE {where}"
                " ORDER BY version DESC LIMIT 1", args).fetchone()
        if row is None:
            return None
        out: dict[str, Any] = json.loads(row[5])
        out.update(id=row[0], project_id=row[1], slug=row[2], _xact_id=str(row[3]),
                   created=row[4])
        return out

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
            xact = self._write(rows)
            # Deleted between the check and the commit: the batch went to the
            # unlinked file, so it is written again into the new one.
            if self._file != _file_id(self.path):
                self._connection()
                xact = self._write(rows)
            self._written += len(rows)
        return xact

    def _write(self, rows: list[tuple[str, str, dict[str, Any]]]) -> int:
        with self._lock:
            conn = self._connection()
            # Object ids cached in a transaction that rolls back may be reused by
            # another process for another object: forget them.
            with _transaction(conn, on_rollback=self._oids.clear):
                conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'xact_id'")
                xact = conn.execute("SELECT value FROM meta WHERE key = 'xact_id'").fetchone()[0]
                # The batch is applied in order: a later write of a row sees
                # the earlier ones of the same batch (merges, deletes).
                final: dict[tuple[int, str], Optional[dict[str, Any]]] = {}
                versioned: set[int] = set()
                for object_type, object_id, row in rows:
                    oid = self._oid(conn, object_type, object_id, create=True)
                    assert oid is not None
                    if object_type == "dataset":
                        versioned.add(oid)
                    key = (oid, row["id"])
                    if row.get("_object_delete"):
                        final[key] = None
                        continue
                    if row.get("_is_merge"):
                        if key in final:
                            base = final[key]
                        else:
                            old = conn.execute(
                                "SELECT data FROM rows WHERE oid=? AND id=?", key).fetchone()
                            base = json.loads(old[0]) if old is not None else None
                        if base is not None:
                            row = merge_row(dict(base), row)
                        else:
                            row = {k: v for k, v in row.items() if k != "_is_merge"}
                    final[key] = row
                params = [_params(oid, xact, row) for (oid, _), row in final.items()
                          if row is not None]
                deletes = [key for key, row in final.items() if row is None]
                history = [(oid, rid, xact, 1 if row is None else 0,
                            None if row is None else dumps(row))
                           for (oid, rid), row in final.items() if oid in versioned]
                if deletes:
                    conn.executemany("DELETE FROM rows WHERE oid = ? AND id = ?", deletes)
                if history:
                    conn.executemany(
                        "INSERT OR REPLACE INTO row_versions (oid, id, xact_id, deleted, data)"
                        " VALUES (?,?,?,?,?)", history)
                conn.executemany(
                    "INSERT INTO rows (oid, id, root_span_id, span_id, is_root,"
                    " created, xact_id, data) VALUES (?,?,?,?,?,?,?,?)"
                    " ON CONFLICT (oid, id) DO UPDATE SET"
                    " root_span_id=excluded.root_span_id, span_id=excluded.span_id,"
                    " is_root=excluded.is_root, created=excluded.created,"
                    " xact_id=excluded.xact_id, data=excluded.data",
                    params,
                )
        return int(xact)

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
                full, read-only); rows written before the failure stay written.
        """
        try:
            self.write(rows)
            return []
        except sqlite3.OperationalError:
            raise
        except Exception as exc:
            if len(rows) == 1:
                return self._write_repaired(rows[0], exc)
            if isinstance(exc, UnicodeEncodeError) and self._write_batch_repaired(rows):
                return []
        half = len(rows) // 2
        return self.write_each(rows[:half]) + self.write_each(rows[half:])

    def _write_batch_repaired(self, rows: Sequence[tuple[str, str, dict[str, Any]]]) -> bool:
        fixed: list[tuple[str, str, dict[str, Any]]] = []
        replaced = 0
        try:
            for object_type, object_id, row in rows:
                text = dumps(row)
                if not text.isascii():
                    try:
                        text.encode()
                    except UnicodeEncodeError:
                        row, n = repair_row(row)
                        replaced += n
                fixed.append((object_type, object_id, row))
            self.write(fixed)
        except sqlite3.OperationalError:
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
        except sqlite3.OperationalError:
            raise
        except Exception as again:
            return [(triple, again)]
        diagnostics.report("encoding", f"a stored row held {replaced} surrogate code points, "
                           "which UTF-8 cannot hold: lone ones were replaced with U+FFFD",
                           n=replaced)
        return []

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

    def count(self, object_type: str, object_id: str) -> int:
        """How many rows an object holds."""
        found = self._query(object_type, object_id, "SELECT count(*) FROM rows WHERE oid=?")
        return int(found[0][0]) if found else 0

    def rows(self, object_type: str, object_id: str) -> Iterator[StoredRow]:
        """Every row of an object, in write order."""
        fetched = self._query(object_type, object_id,
                              "SELECT xact_id, data FROM rows WHERE oid=? ORDER BY xact_id, rowid")
        for xact, data in fetched:
            yield StoredRow(object_type, object_id, xact, _with_xact(data, xact))

    def recent_traces(self, object_type: str, object_id: str, limit: int = 10) -> list[str]:
        """The root span ids of the newest traces of an object, newest first."""
        found = self._query(
            object_type, object_id,
            "SELECT root_span_id FROM rows WHERE oid=? AND is_root ORDER BY created DESC LIMIT ?",
            (limit,),
        )
        return [r[0] for r in found]

    def trace(self, object_type: str, object_id: str, root_span_id: str) -> list[dict[str, Any]]:
        """Every row of one trace, oldest first."""
        found = self._query(
            object_type, object_id,
            "SELECT xact_id, data FROM rows WHERE oid=? AND root_span_id=?"
            " ORDER BY created, rowid",
            (root_span_id,),
        )
        return [_with_xact(d, x) for x, d in found]

    # -- lookups for the web UI's links ---------------------------------------

    def find_row(self, object_type: str, object_id: str, row_id: str) -> dict[str, Any] | None:
        """The row ``row_id`` of an object (by its primary key), or None."""
        found = self._query(object_type, object_id,
                            "SELECT xact_id, data FROM rows WHERE oid=? AND id=?", (row_id,))
        return _with_xact(found[0][1], found[0][0]) if found else None

    def find_roots(self, object_type: str, object_id: str, *, limit: int = 50,
                   offset: int = 0, search: str | None = None, errors_only: bool = False,
                   span_type: str | None = None, span_name: str | None = None,
                   model: str | None = None, metadata: tuple[str, str] | None = None,
                   tag: str | None = None,
                   score: tuple[str, float | None, float | None] | None = None,
                   since: str | None = None, until: str | None = None,
                   sort: str = "created", descending: bool = True
                   ) -> tuple[list[dict[str, Any]], int]:
        """Root rows of an object's traces, filtered on any span of the trace, paged.

        Args:
            object_type, object_id: The object (``project_logs`` and a project id, ...).
            limit, offset: The page.
            search: Text anywhere in the root row.
            errors_only: Only traces with a failed span.
            span_type, span_name, model: Only traces with a span of this type, name or
                ``metadata.model``.
            metadata: ``(key, value)``: a span whose ``metadata.<key>`` is ``value`` (as text).
            tag: A tag of the root.
            score: ``(name, min, max)``: a span scoring ``name`` within the bounds (inclusive;
                None is unbounded).
            since, until: ISO-8601 UTC times bounding the root's ``created``.
            sort: ``created``, ``duration``, ``tokens``, ``name`` or ``score:<name>``.
            descending: Largest first.

        Returns:
            ``(rows, total matching)``.
        """
        params: dict[str, Any] = {"limit": int(limit), "offset": int(offset)}
        where = ["r.oid = :oid", "r.is_root"]
        in_trace: list[str] = []
        if search:
            where.append("instr(lower(r.data), lower(:q)) > 0")
            params["q"] = search
        if errors_only:
            in_trace.append("json_extract(s.data, '$.error') IS NOT NULL")
        for path, value, key in (("$.span_attributes.type", span_type, "type"),
                                 ("$.span_attributes.name", span_name, "name"),
                                 ("$.metadata.model", model, "model")):
            if value:
                in_trace.append(f"json_extract(s.data, '{path}') = :{key}")
                params[key] = value
        if metadata:
            in_trace.append("CAST(json_extract(s.data, :meta_path) AS TEXT) = :meta_value")
            params["meta_path"] = "$.metadata." + json.dumps(metadata[0])
            params["meta_value"] = metadata[1]
        if score:
            params["score_path"] = "$.scores." + json.dumps(score[0])
            cond = "json_extract(s.data, :score_path) IS NOT NULL"
            if score[1] is not None:
                cond += " AND json_extract(s.data, :score_path) >= :score_min"
                params["score_min"] = score[1]
            if score[2] is not None:
                cond += " AND json_extract(s.data, :score_path) <= :score_max"
                params["score_max"] = score[2]
            in_trace.append(cond)
        for cond in in_trace:
            where.append("EXISTS (SELECT 1 FROM rows s WHERE s.oid = r.oid"
                         f" AND s.root_span_id = r.root_span_id AND {cond})")
        if tag:
            where.append("EXISTS (SELECT 1 FROM json_each(r.data, '$.tags') WHERE value = :tag)")
            params["tag"] = tag
        if since:
            where.append("r.created >= :since")
            params["since"] = since
        if until:
            where.append("r.created <= :until")
            params["until"] = until
        if sort == "duration":
            order = ("json_extract(r.data, '$.metrics.end')"
                     " - json_extract(r.data, '$.metrics.start')")
        elif sort == "tokens":
            order = ("(SELECT sum(json_extract(s.data, '$.metrics.tokens')) FROM rows s"
                     " WHERE s.oid = r.oid AND s.root_span_id = r.root_span_id)")
        elif sort == "name":
            order = "json_extract(r.data, '$.span_attributes.name')"
        elif sort.startswith("score:"):
            order = "json_extract(r.data, :sort_path)"
            params["sort_path"] = "$.scores." + json.dumps(sort[6:])
        else:
            order = "r.created"
        direction = "DESC" if descending else "ASC"
        sql_where = " AND ".join(where)
        with self._lock:
            conn = self._connection()
            oid = self._oid(conn, object_type, object_id, create=False)
            if oid is None:
                return [], 0
            params["oid"] = oid
            found = conn.execute(
                f"SELECT r.xact_id, r.data FROM rows r WHERE {sql_where}"
                f" ORDER BY {order} {direction} NULLS LAST, r.created {direction}"
                " LIMIT :limit OFFSET :offset", params).fetchall()
            total = conn.execute(f"SELECT count(*) FROM rows r WHERE {sql_where}",
                                 params).fetchone()[0]
        return [_with_xact(d, x) for x, d in found], int(total)

    def daily_roots(self, object_type: str, object_id: str, days: int = 30
                    ) -> list[dict[str, Any]]:
        """The traces of an object's last ``days`` days, for its overview.

        Returns:
            One dict per root, oldest first: ``created``, ``duration`` (seconds), ``scores``
            (the root's), ``errors`` (failed spans in the trace) and ``llm``: a
            ``[model, prompt_tokens, completion_tokens, tokens]`` list per span with tokens.
        """
        sql = """
        SELECT r.created,
               json_extract(r.data, '$.metrics.end') - json_extract(r.data, '$.metrics.start'),
               json_extract(r.data, '$.scores'),
               (SELECT count(*) FROM rows s WHERE s.oid = r.oid
                  AND s.root_span_id = r.root_span_id
                  AND json_extract(s.data, '$.error') IS NOT NULL),
               (SELECT json_group_array(json_array(json_extract(s.data, '$.metadata.model'),
                        json_extract(s.data, '$.metrics.prompt_tokens'),
                        json_extract(s.data, '$.metrics.completion_tokens'),
                        json_extract(s.data, '$.metrics.tokens')))
                  FROM rows s WHERE s.oid = r.oid AND s.root_span_id = r.root_span_id
                  AND json_extract(s.data, '$.metrics.tokens') IS NOT NULL)
        FROM rows r
        WHERE r.oid = ? AND r.is_root
          AND r.created >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)
        ORDER BY r.created"""
        found = self._query(object_type, object_id, sql, (f"-{int(days)} days",))
        out = []
        for created, duration, scores, errors, llm in found:
            out.append({"created": created, "duration": duration,
                        "scores": json.loads(scores) if scores else {},
                        "errors": errors, "llm": json.loads(llm) if llm else []})
        return out

    def dataset_versions(self, dataset_id: str) -> list[int]:
        """Every transaction id that changed a dataset, newest first (its versions)."""
        found = self._query("dataset", dataset_id,
                            "SELECT DISTINCT xact_id FROM row_versions WHERE oid = ?"
                            " ORDER BY xact_id DESC")
        return [int(x) for (x,) in found]

    def find_dataset(self, id: str) -> dict[str, Any] | None:
        """The dataset with this id (``id``, ``project_id``, ``name``, ``created``), or None."""
        with self._lock:
            row = self._connection().execute(
                "SELECT id, project_id, name, created FROM datasets WHERE id = ?", (id,)
            ).fetchone()
        return dict(zip(("id", "project_id", "name", "created"), row)) if row else None


_KNOWN_COLUMNS = {
    "projects": "(id, name)",
    "experiments": "(id, project_id, name, created, seq, info)",
    "datasets": "(id, project_id, name, created, info)",
}


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _encodable_json(value: Any) -> str:
    # For metadata written once per object (experiments, datasets, prompts):
    # checked at once, since there is no batch to set aside.
    text = dumps(value)
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        text, replaced = repair(text)
        diagnostics.report("encoding", f"object metadata held {replaced} surrogate code "
                           "points; lone ones were replaced with U+FFFD", n=replaced)
    return text


def _with_xact(data: str, xact: int) -> dict[str, Any]:
    row: dict[str, Any] = json.loads(data)
    row["_xact_id"] = str(xact)
    return row


def _params(oid: int, xact: int, row: dict[str, Any]) -> Sequence[Any]:
    parents = row.get("span_parents")
    return (
        oid,
        row["id"],
        row.get("root_span_id"),
        row.get("span_id"),
        0 if parents else 1,
        row.get("created"),
        xact,
        dumps(row),
    )


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
