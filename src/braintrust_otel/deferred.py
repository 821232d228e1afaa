"""Experiments and datasets created while the Braintrust service could not be reached.

Such an object gets a local id at once, so the application runs on and its
rows (which name the local id in ``_parent``) go to the spool. Its
registration waits in a small file beside the spool; whichever process
first delivers one of its rows with the service back registers it, records
the service's id in the same file, and every row is sent under that id.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from .api import ApiConnection

__all__ = ["DeferredObjects"]

_TYPES = {"experiment_id": "experiment", "dataset_id": "dataset"}


class DeferredObjects:
    """The registrations that wait for the service, kept as files in ``directory``.

    Args:
        directory: One JSON file per object, named by its local id.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}  # local id -> service id; plain ids map to themselves

    def add(self, kind: str, project_name: str | None, project_id: str | None,
            body: dict[str, Any]) -> str:
        """Records an object to register later and returns its local id.

        Args:
            kind: ``experiment_id`` or ``dataset_id``.
            project_name, project_id: The project (the id wins).
            body: The registration request body, without ``project_id``.

        Raises:
            OSError: When the file cannot be written.
        """
        local_id = str(uuid.uuid4())
        spec = {"kind": kind, "project_name": project_name, "project_id": project_id,
                "body": body}
        self._write(local_id, spec)
        return local_id

    def resolve(self, conn: ApiConnection, kind: str, object_id: str) -> str:
        """The service's id for ``object_id``: itself, unless it is a deferred local id,
        which is registered now (once, across processes sharing the folder).

        Raises:
            ServiceUnreachableError, requests.RequestException, RuntimeError:
                When the registration cannot be made now (rows wait in the spool).
        """
        found = self._ids.get(object_id)
        if found is not None:
            return found
        path = self.directory / f"{object_id}.json"
        if kind not in _TYPES or not path.exists():
            self._ids[object_id] = object_id
            return object_id
        with self._lock, _file_lock(self.directory / ".lock"):
            spec = json.loads(path.read_text())
            real = spec.get("resolved")
            if not isinstance(real, str):
                real = self._register(conn, spec)
                spec["resolved"] = real
                self._write(object_id, spec)
            self._ids[object_id] = real
            return real

    def _register(self, conn: ApiConnection, spec: dict[str, Any]) -> str:
        project_id = spec.get("project_id") or conn.project_id(spec.get("project_name")
                                                               or "Global")
        got = conn.register_object(_TYPES[spec["kind"]], {**spec["body"], "project_id": project_id})
        return str(got["id"])

    def _write(self, local_id: str, spec: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f".{local_id}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(spec))
        os.replace(tmp, self.directory / f"{local_id}.json")


class _file_lock:
    """An exclusive lock between processes (POSIX ``flock``; none elsewhere)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd = -1

    def __enter__(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: a race may register an object twice
            return
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing releases the lock
            self._fd = -1
