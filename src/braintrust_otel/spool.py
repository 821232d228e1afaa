"""A disk spool for rows that could not be delivered yet.

Each payload is one file, written to a temporary name and renamed into
place, so a reader never sees half a file. A process takes a file by
renaming it to a claimed name first, so two processes sharing the folder
never send the same file. Total size is bounded: past the bound the oldest
files go, and the rows in them are counted and reported as dropped.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import diagnostics
from .serialize import dumps

__all__ = ["Spool", "default_spool_dir"]

_SUFFIX = ".rows.json"
_CLAIMED = ".claimed-"


def default_spool_dir() -> Path:
    """``$BRAINTRUST_SPOOL_DIR``, else ``spool`` beside the default local store."""
    explicit = os.environ.get("BRAINTRUST_SPOOL_DIR")
    if explicit:
        return Path(explicit).expanduser()
    from .store import default_store_path

    return default_store_path().parent / "spool"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Spool:
    """A folder of undelivered row batches.

    Args:
        directory: The folder; created when missing.
        max_bytes: Bound on the folder's total size
            (``BRAINTRUST_SPOOL_MAX_BYTES``, 1 GiB).
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None,
                 max_bytes: int | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_spool_dir()
        self.max_bytes = max_bytes or int(os.environ.get("BRAINTRUST_SPOOL_MAX_BYTES",
                                                         1 << 30))
        self._lock = threading.Lock()

    def put(self, rows: Sequence[dict[str, Any]]) -> None:
        """Writes rows as one file; never raises (a failure is a counted drop)."""
        if not rows:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}-{len(rows)}"
            final = self.directory / (name + _SUFFIX)
            tmp = self.directory / (name + ".tmp")
            tmp.write_bytes(_encode_lines(rows))
            os.replace(tmp, final)
        except Exception as exc:
            diagnostics.report("dropped", f"could not spool {len(rows)} rows to "
                               f"{self.directory}", exc, n=len(rows))
            return
        self._enforce_bound()

    def reject(self, rows: Sequence[dict[str, Any]]) -> Path | None:
        """Keeps rows that can never be delivered in ``<spool>/rejected``, for a person.

        They are not replayed. Never raises.

        Args:
            rows: The rows set aside.

        Returns:
            The file written, or None when it could not be written.
        """
        try:
            folder = self.directory / "rejected"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / (f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
                             f"-{len(rows)}{_SUFFIX}")
            path.write_bytes(_encode_lines(rows))
            return path
        except Exception:
            return None

    def _files(self) -> list[Path]:
        try:
            return sorted(p for p in self.directory.iterdir() if p.name.endswith(_SUFFIX)
                          and _CLAIMED not in p.name)
        except FileNotFoundError:
            return []

    def _enforce_bound(self) -> None:
        with self._lock:
            files = self._files()
            sizes = []
            for path in files:
                try:
                    sizes.append(path.stat().st_size)
                except OSError:
                    sizes.append(0)
            total = sum(sizes)
            for path, size in zip(files, sizes):
                if total <= self.max_bytes:
                    break
                try:
                    path.unlink()
                except OSError:
                    continue
                total -= size
                lost = _row_count(path)
                diagnostics.report("dropped", f"spool over {self.max_bytes} bytes; oldest "
                                   f"batch of {lost} rows deleted", n=lost)

    def pending_rows(self) -> int:
        """How many rows wait in the spool (claimed files excluded)."""
        return sum(_row_count(p) for p in self._files())

    def take(self) -> tuple[Path, list[dict[str, Any]]] | None:
        """Claims the oldest file and returns it with its rows, or None when empty.

        Call :meth:`done` after delivering the rows, or :meth:`release` to
        give the file back.
        """
        self._reclaim_abandoned()
        for path in self._files():
            claimed = path.with_name(f"{path.name}{_CLAIMED}{os.getpid()}")
            try:
                os.rename(path, claimed)
            except OSError:
                continue  # another process took it
            try:
                text = claimed.read_text(encoding="utf-8")
                rows = [json.loads(line) for line in text.splitlines() if line]
            except Exception as exc:
                diagnostics.report("dropped", f"unreadable spool file {claimed.name}", exc,
                                   n=_row_count(path))
                claimed.unlink(missing_ok=True)
                continue
            return claimed, rows
        return None

    def done(self, claimed: Path) -> None:
        """Deletes a delivered file."""
        claimed.unlink(missing_ok=True)

    def release(self, claimed: Path) -> None:
        """Puts a claimed file back, for a later attempt."""
        original = claimed.name.split(_CLAIMED)[0]
        try:
            os.rename(claimed, claimed.with_name(original))
        except OSError:
            pass

    def _reclaim_abandoned(self) -> None:
        # Files claimed by a process that died before delivering them.
        try:
            claimed = [p for p in self.directory.iterdir() if _CLAIMED in p.name]
        except FileNotFoundError:
            return
        for path in claimed:
            try:
                pid = int(path.name.rsplit(_CLAIMED, 1)[1])
            except ValueError:
                continue
            if pid != os.getpid() and not _pid_alive(pid):
                self.release(path)


def _encode_lines(rows: Sequence[dict[str, Any]]) -> bytes:
    """One JSON row per line, as UTF-8."""
    text = "\n".join(dumps(r) for r in rows)
    try:
        return text.encode()
    except UnicodeEncodeError:
        # A row holds characters UTF-8 cannot (lone surrogates). Escaped JSON
        # keeps them exactly, so the sink that sends the row decides what to
        # do with them; only this rare batch pays for encoding twice.
        return "\n".join(_ascii_line(r) for r in rows).encode()


def _ascii_line(row: dict[str, Any]) -> str:
    text = dumps(row)
    try:
        text.encode()
        return text
    except UnicodeEncodeError:
        return json.dumps(json.loads(text), ensure_ascii=True, separators=(",", ":"))


def _row_count(path: Path) -> int:
    try:
        return int(path.name.split(_SUFFIX)[0].rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0
