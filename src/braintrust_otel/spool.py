"""A disk spool for rows that could not be delivered yet.

Each payload is one file, written to a temporary name and renamed into
place, so a reader never sees half a file. A process takes a file by
renaming it to a claimed name first, so two processes sharing the folder
never send the same file. Total size is bounded: past the bound the oldest
files go, and the rows in them are counted and reported as dropped.

A claim names its owner by a random token, not a pid: pids repeat (every
container's first process is pid 1), so a pid cannot tell a dead claimant
from a live one. The owner holds an exclusive ``flock`` on
``.owners/<token>.lock`` for its whole life; the kernel drops that lock when
the process dies however it dies, so a claim whose owner's lock can be taken
is stale and its file goes back into the spool.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
import uuid
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import diagnostics
from ._local_paths import default_store_path
from .serialize import dumps
from .settings import get_settings

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: claims fall back to pid liveness
    fcntl = None  # type: ignore[assignment]

__all__ = ["Spool", "default_spool_dir"]

_SUFFIX = ".rows.json"
_CLAIMED = ".claimed-"
_OWNERS = ".owners"


def default_spool_dir() -> Path:
    """``$BRAINTRUST_SPOOL_DIR``, else ``spool`` beside the default local store."""
    explicit = get_settings().spool_dir
    if explicit is not None:
        return explicit
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
        self.max_bytes = max_bytes or get_settings().spool_max_bytes
        self._lock = threading.Lock()
        self._init_owner()
        ref = weakref.WeakMethod(self._after_fork)
        os.register_at_fork(after_in_child=lambda: (m := ref()) and m())

    def _init_owner(self) -> None:
        self._token = secrets.token_hex(8)
        self._owner_fd: int | None = None

    def _after_fork(self) -> None:
        # The child shares the parent's lock (same open file): drop its copy and
        # claim under a token of its own, so each process's claims die with it.
        if self._owner_fd is not None:
            try:
                os.close(self._owner_fd)
            except OSError:
                pass
        self._init_owner()

    def _claim_suffix(self) -> str:
        """``.claimed-<pid>-<token>``, holding the token's lock first."""
        if self._owner_fd is None and fcntl is not None:
            owners = self.directory / _OWNERS
            owners.mkdir(parents=True, exist_ok=True)
            # Locked before it gets its visible name: a lock file anyone can
            # see is held from birth, so "lock free" always means "owner gone".
            tmp = owners / f"{self._token}.lock.tmp"
            fd = os.open(tmp, os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.replace(tmp, owners / f"{self._token}.lock")
            except OSError:
                os.close(fd)
                raise
            self._owner_fd = fd
        return f"{_CLAIMED}{os.getpid()}-{self._token}"

    def put(self, rows: Sequence[dict[str, Any]], stamp: int | None = None) -> None:
        """Writes rows as one file; never raises (a failure is a counted drop).

        Args:
            rows: The rows.
            stamp: A ``time.time_ns()`` to order the file by (files are sent
                oldest first); now by default. Rows handed back after a failed
                send keep the time they were first accepted, so they go
                before rows spooled while they were in flight.
        """
        if not rows:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            when = time.time_ns() if stamp is None else stamp
            name = f"{when:020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}-{len(rows)}"
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
        """How many rows wait in the spool.

        Counts files nobody has claimed and those this process has claimed;
        claims of dead processes are taken back first, so only files another
        live process is sending are left out.
        """
        self._reclaim_abandoned()
        mine = f"{_CLAIMED}{os.getpid()}-{self._token}"
        try:
            names = [p for p in self.directory.iterdir() if _SUFFIX in p.name
                     and (_CLAIMED not in p.name or p.name.endswith(mine))]
        except FileNotFoundError:
            return 0
        return sum(_row_count(p) for p in names)

    def take(self) -> tuple[Path, list[dict[str, Any]]] | None:
        """Claims the oldest file and returns it with its rows, or None when empty.

        Call :meth:`done` after delivering the rows, or :meth:`release` to
        give the file back.
        """
        self._reclaim_abandoned()
        files = self._files()
        if not files:
            return None
        try:
            suffix = self._claim_suffix()
        except OSError as exc:
            diagnostics.report("spool", f"could not lock a claim in {self.directory}", exc)
            return None
        for path in files:
            claimed = path.with_name(f"{path.name}{suffix}")
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

    @staticmethod
    def stamp_of(path: Path) -> int | None:
        """The ``time_ns`` a spool file is ordered by (see :meth:`put`), or None."""
        try:
            return int(path.name.split("-", 1)[0])
        except ValueError:
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
        verdicts: dict[str, bool] = {}
        for path in claimed:
            owner = path.name.rsplit(_CLAIMED, 1)[1]
            if owner not in verdicts:
                verdicts[owner] = self._owner_dead(owner)
            if verdicts[owner]:
                self.release(path)
        for owner, dead in verdicts.items():
            if dead and "-" in owner:
                (self.directory / _OWNERS / f"{owner.split('-', 1)[1]}.lock").unlink(
                    missing_ok=True)

    def _owner_dead(self, owner: str) -> bool:
        pid_text, _, token = owner.partition("-")
        if not token:
            # A claim from before tokens: only a pid, and this process never
            # makes such claims, so its own pid (pid 1 again) means dead too.
            try:
                pid = int(pid_text)
            except ValueError:
                return False
            return pid == os.getpid() or not _pid_alive(pid)
        if token == self._token:
            return False
        if fcntl is None:
            try:
                return not _pid_alive(int(pid_text))
            except ValueError:
                return False
        try:
            fd = os.open(self.directory / _OWNERS / f"{token}.lock", os.O_RDWR)
        except FileNotFoundError:
            return True  # an owner makes its lock before its first claim
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # held: the owner lives
        finally:
            os.close(fd)  # also lets go of the lock if we just took it
        return True


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
