"""Attachments: files logged inside values, uploaded off the hot path.

An :class:`Attachment` anywhere in a logged value is replaced, when the value
is encoded, by its reference (``{"type": "braintrust_attachment", "key", ...}``)
and queued for upload; a background worker hands it to the current target
(the embedded store keeps bytes in files named by their SHA-256; the service
gets ``/attachment`` + a PUT to the signed URL + ``/attachment/status``).
Failed uploads are retried, then recorded as failed, and ``status()`` shows it.
"""

from __future__ import annotations

import base64
import os
import queue
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional, Protocol, Union

from . import diagnostics
from .retry import RetryPolicy

__all__ = ["Attachment", "AttachmentTarget", "ExternalAttachment", "ReadonlyAttachment",
           "extract_data_urls", "flush", "set_target"]

# Uploads that fail (the service unreachable, a target not set yet) are tried
# again shortly before the attachment's status says error.
_UPLOAD = RetryPolicy(attempts=3, base=0.2)


class AttachmentTarget(Protocol):
    """Where attachment bytes go (sinks implement it)."""

    def upload_attachment(self, reference: Mapping[str, Any], data: bytes) -> None:
        """Stores the bytes of an attachment; raises on failure."""

    def read_attachment(self, reference: Mapping[str, Any]) -> bytes:
        """Returns the bytes of an attachment."""


_target: Optional[Callable[[], Any]] = None
_status: dict[str, dict[str, Any]] = {}
_queue: queue.Queue[tuple[dict[str, Any], Attachment]] = queue.Queue()
_worker: Optional[threading.Thread] = None
_lock = threading.Lock()


#: Statuses kept: past this many, the oldest successful uploads are forgotten
#: (a queued attachment missing from the map was uploaded; errors are kept).
_MAX_STATUS = 10_000


def _remember(key: str, status: dict[str, Any]) -> None:
    _status.pop(key, None)
    _status[key] = status  # re-inserted: dict order is age order
    if len(_status) > _MAX_STATUS:
        for old in [k for k, v in _status.items() if v.get("upload_status") == "done"][
                :len(_status) - _MAX_STATUS]:
            del _status[old]


def set_target(get_target: Callable[[], Any]) -> None:
    """Tells the uploader how to find the current target (called by the facade)."""
    global _target
    _target = get_target


class Attachment:
    """A file to log inside a value (input, output, metadata, a dataset record...).

    Args:
        data: The bytes, or a path to a file (read when uploaded).
        filename: The file name shown; the path's name by default.
        content_type: A MIME type; guessed from the file name by default.

    Raises:
        TypeError: When ``data`` is neither bytes nor a path.
        FileNotFoundError: When the path does not exist.
        ValueError: When no content type is given and none can be guessed.
    """

    def __init__(self, data: Union[bytes, bytearray, str, os.PathLike[str]],
                 filename: str | None = None, content_type: str | None = None) -> None:
        if isinstance(data, (bytes, bytearray)):
            self._bytes: Optional[bytes] = bytes(data)
            self._path: Optional[Path] = None
            default_name = "attachment"
        elif isinstance(data, (str, os.PathLike)):
            self._path = Path(data)
            if not self._path.is_file():
                raise FileNotFoundError(f"Attachment(): data {str(data)!r} is not a file")
            self._bytes = None
            default_name = self._path.name
        else:
            raise TypeError(f"Attachment(): data must be bytes or a file path, got "
                            f"{type(data).__name__}")
        self.filename = filename or default_name
        import mimetypes  # here, not at the top: most programs never make an attachment

        guessed = mimetypes.guess_type(self.filename)[0]
        self.content_type = content_type or guessed
        if not self.content_type or "/" not in self.content_type:
            raise ValueError(f"Attachment(): content_type is needed for {self.filename!r} "
                             "(none given, and none can be guessed from the file name)")
        self.reference: dict[str, Any] = {
            "type": "braintrust_attachment", "filename": self.filename,
            "content_type": self.content_type, "key": str(uuid.uuid4())}
        self._queued = False
        self._upload_lock = threading.Lock()
        self._result: Optional[dict[str, Any]] = None

    @property
    def data(self) -> bytes:
        """The attachment's bytes."""
        if self._bytes is not None:
            return self._bytes
        assert self._path is not None
        return self._path.read_bytes()

    def status(self) -> dict[str, Any]:
        """``{"upload_status": "pending" | "done" | "error", ...}``."""
        if self._result is not None:
            return dict(self._result)
        default = "done" if self._queued else "pending"  # done entries may be forgotten
        return dict(_status.get(self.reference["key"], {"upload_status": default}))

    def upload(self) -> dict[str, Any]:
        """Uploads the attachment now (once; later calls and logging reuse the result).

        Returns:
            ``{"upload_status": "done"}``, or ``{"upload_status": "error",
            "error_message": ...}`` when every attempt failed (never raises).
        """
        self._queued = True  # logged later: the reference only, no second upload
        return dict(self._upload_now())

    def debug_info(self) -> dict[str, Any]:
        """What the attachment was made from and its reference, for logs and debugging."""
        source = str(self._path) if self._path is not None else "<in-memory data>"
        return {"input_data": source, "reference": dict(self.reference)}

    def _upload_now(self) -> dict[str, Any]:
        # One upload per attachment, whether upload() or the worker gets here first.
        with self._upload_lock:
            if self._result is None:
                self._result = _send(self.reference, self)
            return self._result

    def __braintrust_json__(self) -> dict[str, Any]:
        # Called by the encoder: the value logged is the reference; the bytes
        # go to the uploader once.
        if not self._queued:
            self._queued = True
            _remember(self.reference["key"], {"upload_status": "pending"})
            _queue.put((self.reference, self))
            _start_worker()
        return dict(self.reference)

    def __repr__(self) -> str:
        return f"<Attachment {self.filename!r} {self.content_type}>"


class ExternalAttachment:
    """A file that lives elsewhere (a URL); logged as a reference, never uploaded."""

    def __init__(self, url: str, filename: str, content_type: str) -> None:
        if not isinstance(url, str) or "://" not in url:
            raise ValueError("ExternalAttachment(): url must be an absolute URL")
        self.reference = {"type": "external_attachment", "url": url, "filename": filename,
                          "content_type": content_type}
        self._readonly: Optional[ReadonlyAttachment] = None

    @property
    def data(self) -> bytes:
        """The file's bytes, downloaded from ``url`` on first use."""
        if self._readonly is None:
            self._readonly = ReadonlyAttachment(self.reference)
        return self._readonly.data

    def upload(self) -> dict[str, Any]:
        """Nothing to upload (the file lives at its URL): ``{"upload_status": "done"}``."""
        return {"upload_status": "done"}

    def debug_info(self) -> dict[str, Any]:
        """The reference, for logs and debugging."""
        return {"reference": dict(self.reference)}

    def __braintrust_json__(self) -> dict[str, Any]:
        return dict(self.reference)


class ReadonlyAttachment:
    """An attachment read back from a row: the reference, and lazily its bytes."""

    def __init__(self, reference: Mapping[str, Any]) -> None:
        self.reference = dict(reference)
        self._data: Optional[bytes] = None

    @property
    def data(self) -> bytes:
        """The bytes, fetched on first use."""
        if self._data is None:
            if self.reference.get("type") == "external_attachment":
                import requests

                resp = requests.get(self.reference["url"], timeout=60)
                resp.raise_for_status()
                self._data = resp.content
            else:
                key = self.reference.get("key", "")
                if _status.get(key, {}).get("upload_status") == "pending":
                    flush()  # uploaded by this process, not yet done: wait for it
                target = _target() if _target is not None else None
                if target is None or not hasattr(target, "read_attachment"):
                    raise RuntimeError("ReadonlyAttachment.data: nowhere to read it from")
                self._data = bytes(target.read_attachment(self.reference))
        return self._data

    def metadata(self) -> dict[str, Any]:
        """``filename`` and ``content_type``."""
        return {"filename": self.reference.get("filename"),
                "content_type": self.reference.get("content_type")}

    def status(self) -> dict[str, Any]:
        """The upload status, when this process uploaded it; else ``done``."""
        return dict(_status.get(self.reference.get("key", ""), {"upload_status": "done"}))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReadonlyAttachment) and other.reference == self.reference

    def __repr__(self) -> str:
        return f"<ReadonlyAttachment {self.reference.get('filename')!r}>"


def readonly(value: Any) -> Any:
    """A copy of ``value`` with attachment references turned into ReadonlyAttachments."""
    if isinstance(value, Mapping):
        if value.get("type") in ("braintrust_attachment", "external_attachment") and (
                "key" in value or "url" in value):
            return ReadonlyAttachment(value)
        return {k: readonly(v) for k, v in value.items()}
    if isinstance(value, list):
        return [readonly(v) for v in value]
    return value


def extract_data_urls(value: Any, min_size: int = 1024) -> Any:
    """Replaces large ``data:<type>;base64,...`` strings by Attachments (recursively)."""
    if isinstance(value, str):
        if len(value) >= min_size and value.startswith("data:") and ";base64," in value[:100]:
            head, _, payload = value.partition(";base64,")
            content_type = head[5:] or "application/octet-stream"
            try:
                data = base64.b64decode(payload, validate=False)
            except Exception:
                return value
            import mimetypes

            ext = mimetypes.guess_extension(content_type) or ".bin"
            return Attachment(data, filename=f"file{ext}", content_type=content_type)
        return value
    if isinstance(value, Mapping):
        return {k: extract_data_urls(v, min_size) for k, v in value.items()}
    if isinstance(value, list):
        return [extract_data_urls(v, min_size) for v in value]
    return value


def _start_worker() -> None:
    global _worker
    with _lock:
        if _worker is None or not _worker.is_alive() or _worker_pid != os.getpid():
            _set_worker(threading.Thread(target=_run, name="braintrust-attachments",
                                         daemon=True))


_worker_pid = -1


def _set_worker(thread: threading.Thread) -> None:
    global _worker, _worker_pid
    _worker, _worker_pid = thread, os.getpid()
    thread.start()


def _run() -> None:
    while True:
        reference, attachment = _queue.get()
        try:
            _upload(reference, attachment)
        finally:
            _queue.task_done()


def _upload(reference: dict[str, Any], attachment: Attachment) -> None:
    attachment._upload_now()


def _send(reference: dict[str, Any], attachment: Attachment) -> dict[str, Any]:
    key = reference["key"]

    def upload() -> None:
        target = _target() if _target is not None else None
        if target is None or not hasattr(target, "upload_attachment"):
            raise RuntimeError("no attachment target configured")
        target.upload_attachment(reference, attachment.data)

    try:
        _UPLOAD.call(upload, sleep=_wait)
    except Exception as exc:
        status: dict[str, Any] = {"upload_status": "error",
                                  "error_message": f"{type(exc).__name__}: {exc}"}
        _remember(key, status)
        diagnostics.report("attachment", f"could not upload attachment {attachment.filename!r}",
                           exc)
        return status
    status = {"upload_status": "done"}
    _remember(key, status)
    return status


def _wait(seconds: float) -> None:
    threading.Event().wait(seconds)


def _after_fork() -> None:
    # The child starts with an empty queue and no worker: what the parent had
    # queued is the parent's to upload, and a copied, half-counted queue would
    # make every flush() in the child wait its whole timeout.
    global _queue, _worker, _lock
    _queue = queue.Queue()
    _worker = None
    _lock = threading.Lock()
    _status.clear()


os.register_at_fork(after_in_child=_after_fork)


def pending() -> int:
    """How many queued attachment uploads have not finished yet."""
    return _queue.unfinished_tasks if _worker is not None else 0


def flush(timeout: float = 30.0) -> bool:
    """Waits until every queued attachment is uploaded (or failed)."""
    if _worker is None:
        return True
    done = threading.Event()

    def wait() -> None:
        _queue.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)
