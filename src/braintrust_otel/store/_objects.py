"""Projects, experiments, datasets and prompts: the objects rows belong to."""

from __future__ import annotations

import json
import uuid
from typing import Any

from .. import diagnostics
from ..serialize import decode, dumps, repair
from ._db import _Connection, _Database, _transaction


class _Objects(_Database):
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
                        "INSERT INTO projects (id, name) VALUES (?, ?) ON CONFLICT DO NOTHING",
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

    def _experiment_where(self, conn: _Connection, where: str,
                          args: tuple[Any, ...]) -> dict[str, Any] | None:
        row = conn.execute(
            f"SELECT id, project_id, name, created, seq, info FROM experiments WHERE {where}",
            args,
        ).fetchone()
        if row is None:
            return None
        self._known[("experiments", row[0])] = tuple(row)
        out: dict[str, Any] = decode(row[5])
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
                    "INSERT INTO datasets (id, project_id, name, info) VALUES (?,?,?,?)"
                    " ON CONFLICT DO NOTHING",
                    (str(uuid.uuid4()), project_id, name, _encodable_json(info or {})),
                )
                row = conn.execute(
                    "SELECT id, project_id, name, created, info FROM datasets"
                    " WHERE project_id = ? AND name = ?", (project_id, name)).fetchone()
            self._known[("datasets", row[0])] = tuple(row)
        out: dict[str, Any] = decode(row[4])
        out.update(id=row[0], project_id=row[1], name=row[2], created=row[3])
        return out

    def find_dataset(self, id: str) -> dict[str, Any] | None:
        """The dataset with this id (``id``, ``project_id``, ``name``, ``created``), or None."""
        with self._lock:
            row = self._connection().execute(
                "SELECT id, project_id, name, created FROM datasets WHERE id = ?", (id,)
            ).fetchone()
        return dict(zip(("id", "project_id", "name", "created"), row)) if row else None

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
        out: dict[str, Any] = decode(row[5])
        out.update(id=row[0], project_id=row[1], slug=row[2], _xact_id=str(row[3]),
                   created=row[4])
        return out


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
