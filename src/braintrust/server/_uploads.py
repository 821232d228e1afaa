"""Overflow uploads (``/logs3/overflow`` then ``PUT /upload/<key>``) kept on disk until claimed.

A client that asks for a key and uploads but never sends the ``/logs3`` claim
must not hold memory: bodies go to files, every key expires after a time to
live, and the bytes held at once are bounded (a full spool answers 507, which
clients retry).

The folder is the whole state, so every process serving it (``--workers N``
forks after the app is made, and all share the folder) knows every key: the
three requests of one upload may each reach another worker. A key is a file
``<key>.key`` whose modification time is when it was issued; its body is
``<key>.body``. A claim renames the body to a name of its own first, so two
processes claiming one key cannot both get it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
import weakref
from pathlib import Path
from typing import Callable, Optional

from ._http import HTTPError

__all__ = ["UploadSpool"]


class UploadSpool:
    """Keys issued for overflow uploads and the bodies uploaded to them, as files.

    Args:
        directory: Where keys and bodies are written; a fresh temporary folder
            (removed at exit) when None. Expired keys and bodies already there are
            removed; live ones are another process's and are kept.
        ttl: Seconds a key (and its body) lives before it is forgotten.
        max_bytes: Total size of the bodies held at once.
        max_keys: Keys outstanding at once.
        clock: Seconds since the epoch (file times are compared with it; for tests).
    """

    def __init__(self, directory: Optional[Path] = None, ttl: float = 600.0,
                 max_bytes: int = 512 * 1024 * 1024, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.time) -> None:
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="braintrust-serve-uploads-"))
            weakref.finalize(self, _remove_if_owner, os.getpid(), directory)
        else:
            directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.ttl, self.max_bytes, self.max_keys, self._clock = ttl, max_bytes, max_keys, clock
        self._expire()

    @property
    def held(self) -> int:
        """Bytes of uploaded bodies on disk, waiting for their claim."""
        return sum(_size(p) for p in self.directory.glob("*.body"))

    def issue(self) -> str:
        """A new upload key.

        Raises:
            HTTPError: 503 when ``max_keys`` keys are outstanding.
        """
        self._expire()
        if sum(1 for _ in self.directory.glob("*.key")) >= self.max_keys:
            raise HTTPError(503, f"{self.max_keys} overflow uploads are already waiting; "
                            "try again later", {"Retry-After": "5"})
        key = uuid.uuid4().hex
        marker = self._path(key, ".key")
        marker.touch(exist_ok=False)
        now = self._clock()
        os.utime(marker, (now, now))
        return key

    def put(self, key: str, body: bytes) -> None:
        """Stores the body uploaded for ``key`` (replacing an earlier one).

        Raises:
            HTTPError: 404 for a key never issued or expired; 507 when the spool is full.
        """
        self._expire()
        if not _safe(key) or not self._path(key, ".key").exists():
            raise HTTPError(404, "unknown or expired upload key")
        path = self._path(key, ".body")
        held = self.held
        if held - _size(path) + len(body) > self.max_bytes:
            raise HTTPError(507, f"the server holds {held} bytes of unclaimed uploads "
                            f"(limit {self.max_bytes}); try again later", {"Retry-After": "5"})
        # A name of this process's own: two workers writing one key never share a file.
        tmp = self._path(f"{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}", ".tmp")
        tmp.write_bytes(body)
        os.replace(tmp, path)

    def claim(self, key: str) -> Optional[bytes]:
        """The body uploaded for ``key``, forgetting it; None if there is none (or it expired)."""
        self._expire()
        if not _safe(key):
            return None
        taken = self._path(f"{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}", ".claimed")
        try:
            os.rename(self._path(key, ".body"), taken)  # atomic: one claimer wins
        except FileNotFoundError:
            return None
        try:
            return taken.read_bytes()
        finally:
            taken.unlink(missing_ok=True)
            self._path(key, ".key").unlink(missing_ok=True)

    def _expire(self) -> None:
        deadline = self._clock() - self.ttl
        for marker in self.directory.glob("*.key"):
            try:
                if marker.stat().st_mtime > deadline:
                    continue
            except FileNotFoundError:
                continue  # claimed or expired by another process meanwhile
            key = marker.name[:-len(".key")]
            self._path(key, ".body").unlink(missing_ok=True)
            marker.unlink(missing_ok=True)
        # Bodies whose key is gone (a crash between the two unlinks) and files
        # left half-written by a process that died.
        for leftover in (*self.directory.glob("*.body"), *self.directory.glob("*.tmp"),
                         *self.directory.glob("*.claimed")):
            try:
                stale = leftover.stat().st_mtime <= deadline
            except FileNotFoundError:
                continue
            if stale or (leftover.suffix == ".body"
                         and not self._path(leftover.stem, ".key").exists()):
                leftover.unlink(missing_ok=True)

    def _path(self, name: str, suffix: str) -> Path:
        return self.directory / f"{name}{suffix}"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _remove_if_owner(pid: int, directory: Path) -> None:
    # Forked workers inherit the finalizer: only the process that made the
    # folder removes it (the workers exit without running it anyway).
    if os.getpid() == pid:
        shutil.rmtree(directory, True)


def _safe(key: str) -> bool:
    return len(key) == 32 and all(c in "0123456789abcdef" for c in key)
