"""Overflow uploads (``/logs3/overflow`` then ``PUT /upload/<key>``) kept on disk until claimed.

A client that asks for a key and uploads but never sends the ``/logs3`` claim
must not hold memory: bodies go to files, every key expires after a time to
live, and the bytes held at once are bounded (a full spool answers 507, which
clients retry).
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
        directory: Where bodies are written; a fresh temporary folder (removed at
            exit) when None. Files already there are removed: they belong to no key.
        ttl: Seconds a key (and its body) lives before it is forgotten.
        max_bytes: Total size of the bodies held at once.
        max_keys: Keys outstanding at once.
        clock: Seconds, monotonic (for tests).
    """

    def __init__(self, directory: Optional[Path] = None, ttl: float = 600.0,
                 max_bytes: int = 512 * 1024 * 1024, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="braintrust-serve-uploads-"))
            weakref.finalize(self, shutil.rmtree, directory, True)
        else:
            directory.mkdir(parents=True, exist_ok=True)
            for stale in directory.glob("*.body"):
                stale.unlink(missing_ok=True)
        self.directory = directory
        self.ttl, self.max_bytes, self.max_keys, self._clock = ttl, max_bytes, max_keys, clock
        # key -> (issued at, bytes stored or None before the upload); insertion order is age.
        self._keys: dict[str, tuple[float, Optional[int]]] = {}
        self.held = 0  # bytes on disk

    def issue(self) -> str:
        """A new upload key.

        Raises:
            HTTPError: 503 when ``max_keys`` keys are outstanding.
        """
        self._expire()
        if len(self._keys) >= self.max_keys:
            raise HTTPError(503, f"{self.max_keys} overflow uploads are already waiting; "
                            "try again later", {"Retry-After": "5"})
        key = uuid.uuid4().hex
        self._keys[key] = (self._clock(), None)
        return key

    def put(self, key: str, body: bytes) -> None:
        """Stores the body uploaded for ``key`` (replacing an earlier one).

        Raises:
            HTTPError: 404 for a key never issued or expired; 507 when the spool is full.
        """
        self._expire()
        if key not in self._keys:
            raise HTTPError(404, "unknown or expired upload key")
        issued, size = self._keys[key]
        if self.held - (size or 0) + len(body) > self.max_bytes:
            raise HTTPError(507, f"the server holds {self.held} bytes of unclaimed uploads "
                            f"(limit {self.max_bytes}); try again later", {"Retry-After": "5"})
        path = self._path(key)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(body)
        os.replace(tmp, path)
        self.held += len(body) - (size or 0)
        self._keys[key] = (issued, len(body))

    def claim(self, key: str) -> Optional[bytes]:
        """The body uploaded for ``key``, forgetting it; None if there is none (or it expired)."""
        self._expire()
        entry = self._keys.get(key) if _safe(key) else None
        if entry is None or entry[1] is None:
            return None
        self._drop(key)
        try:
            return self._path(key).read_bytes()
        finally:
            self._path(key).unlink(missing_ok=True)

    def _expire(self) -> None:
        deadline = self._clock() - self.ttl
        for key, (issued, _) in list(self._keys.items()):
            if issued > deadline:
                break  # the rest are younger
            self._drop(key)
            self._path(key).unlink(missing_ok=True)

    def _drop(self, key: str) -> None:
        _, size = self._keys.pop(key)
        self.held -= size or 0

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.body"


def _safe(key: str) -> bool:
    return len(key) == 32 and all(c in "0123456789abcdef" for c in key)
