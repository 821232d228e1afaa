"""Log records: ``Logger.emit_log`` (``trace`` ... ``fatal``) and the rows they write
(``BraintrustLogHandler``, in ``_log_handler``, writes Python log records the same way).

A log record is one row of its own, not a span: it takes the short path to the
backend (like feedback rows), so it lands the same on the embedded store and on
the service. As in the official SDK 0.48, the row is typed ``log``, carries the
level in ``span_attributes.log_level``, the body as ``output``, and names the
span that was current when the record was made by that span's own ``span_id``
and ``root_span_id`` (outside any span: a fresh span id under a trace id kept
per logger), so the UI shows it beside that span.
"""

from __future__ import annotations

import datetime
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from opentelemetry import context as otel_context
from opentelemetry import trace

from braintrust_otel import attributes as A
from braintrust_otel import diagnostics
from braintrust_otel._version import VERSION
from braintrust_otel.ids import span_id_hex, trace_id_hex
from braintrust_otel.masking import mask, mask_metadata
from braintrust_otel.serialize import dumps, loads

from . import _state
from ._checks import _check_mapping, safe_repr
from ._span_object import _SPAN_KEY, Span

if TYPE_CHECKING:
    pass

__all__ = ["LOG_LEVELS", "LogLevel", "LogRecords", "current_ids", "emit_log"]

LogLevel = Literal["trace", "debug", "info", "warn", "error", "fatal"]
#: The OpenTelemetry log severities, lowest first.
LOG_LEVELS: tuple[str, ...] = ("trace", "debug", "info", "warn", "error", "fatal")

_UTC = datetime.timezone.utc


class _KeepMissing(dict[str, object]):
    # str.format_map leaves a placeholder with no value as it was.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(body: Any, metadata: Mapping[str, Any] | None,
           parameters: Mapping[str, object], where: str) -> tuple[Any, dict[str, Any] | None]:
    """The body with ``{name}`` placeholders filled from ``parameters``, and the
    metadata with the template and each parameter added (``braintrust.template``,
    ``braintrust.template.parameter.<name>``), as the official SDK records them.

    Raises:
        TypeError: Parameters with a body that is not a str; metadata not a dict.
    """
    if metadata is not None:
        _check_mapping(metadata, "metadata", where)
    if not parameters:
        return body, dict(metadata) if metadata is not None else None
    if not isinstance(body, str):
        raise TypeError(f"{where}: body must be a str when template parameters are given, "
                        f"got {type(body).__name__}")
    out = dict(metadata) if metadata is not None else {}
    out.update({f"braintrust.template.parameter.{k}": v for k, v in parameters.items()})
    out["braintrust.template"] = body
    try:
        text = body.format_map(_KeepMissing(parameters))
    except Exception:
        text = body  # a stray brace or a bad format spec: the template as it is
    return text, out


def current_ids() -> tuple[str, str] | None:
    """``(span_id, root_span_id)`` of the current span (ours or any OTel span), or None."""
    otel_span = trace.get_current_span()
    ctx = otel_span.get_span_context()
    if not ctx.is_valid:
        return None
    found = otel_context.get_value(_SPAN_KEY)
    if isinstance(found, Span) and found._otel is otel_span:
        return found.span_id, found.root_span_id
    return span_id_hex(ctx.span_id), trace_id_hex(ctx.trace_id)


def _caller_context() -> dict[str, Any]:
    # The first frame outside this package and the logging module: the user's call.
    try:
        frame: Any = sys._getframe(1)
        while frame is not None:
            module = frame.f_globals.get("__name__", "")
            if not (module.startswith("braintrust.") or module == "braintrust"
                    or module == "logging"):
                code = frame.f_code
                return {"caller_functionname": code.co_name,
                        "caller_filename": code.co_filename, "caller_lineno": frame.f_lineno}
            frame = frame.f_back
    except Exception:
        pass
    return {}


def emit_log(logger: LogRecords, body: Any, level: str, metadata: Mapping[str, Any] | None,
             captured_at: float | None = None, ids: tuple[str, str] | bool | None = True,
             context: dict[str, Any] | None = None, where: str = "Logger.emit_log()") -> str:
    """Writes one log row for ``logger`` and returns its id.

    Args:
        logger: Whose project (or experiment) the row goes to.
        body: The rendered body (the row's ``output``).
        level: One of :data:`LOG_LEVELS`.
        metadata: The row's metadata.
        captured_at: When the record was made (seconds); now by default.
        ids: The span the record belongs to: True to look up the current span,
            a ``(span_id, root_span_id)`` pair, or None for none.
        context: The caller location; the caller of the public method by default.
        where: The public method, for error messages.

    Raises:
        ValueError: An unknown level.
    """
    if level not in LOG_LEVELS:
        raise ValueError(f"{where}: level must be one of {', '.join(LOG_LEVELS)}; "
                         f"got {safe_repr(level)}")
    row_id = str(uuid.uuid4())
    try:
        at = time.time() if captured_at is None else captured_at
        found = current_ids() if ids is True else ids
        if isinstance(found, tuple):
            span_id, root_span_id = found
        else:
            span_id, root_span_id = span_id_hex(random.getrandbits(64) or 1), logger.log_trace_id
        row: dict[str, Any] = {
            "id": row_id,
            "span_id": span_id,
            "root_span_id": root_span_id,
            "span_parents": None,
            "created": datetime.datetime.fromtimestamp(at, _UTC).isoformat(),
            # Encoded and decoded: a snapshot in plain JSON values (never raises).
            "output": loads(dumps(mask("output", body))),
            "metrics": {"start": at, "end": at},
            "span_attributes": {"type": "log", "log_level": level},
            "context": {**(_caller_context() if context is None else context),
                        "span_origin": _origin()},
            "_parent": logger.parent,
        }
        if metadata is not None:
            row["metadata"] = loads(dumps(mask_metadata(metadata)))
        _pending.add(row)
        if logger.parent in _state.sync_parents:
            _state.deliver()
    except Exception as exc:
        diagnostics.report("log", "could not record a log record", exc)
    return row_id


class _PendingRows:
    """Log records waiting to be written, in batches: a write to the embedded store is
    one transaction, too dear for each record of a chatty program. A batch goes out
    when it is full, a moment after its first record, and on every delivery
    (``braintrust.flush()``, exit), so nothing waits longer than that moment."""

    BATCH = 500
    WAIT = 0.2

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[dict[str, Any]] = []
        self._timer: threading.Timer | None = None
        _state.pending_rows.append(self.flush)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        # The parent writes what it held; the child starts empty, with a lock no
        # thread of the parent can be holding.
        self._lock = threading.Lock()
        self._rows = []
        self._timer = None

    def add(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._rows.append(row)
            full = len(self._rows) >= self.BATCH
            if not full and self._timer is None:
                timer = self._timer = threading.Timer(self.WAIT, self.flush)
                timer.name = "braintrust-log-rows"  # the handler skips its own threads' records
                timer.daemon = True
                timer.start()
        if full:
            self.flush()

    def flush(self) -> None:
        """Writes the waiting records (rows of their own: no span queue to drain first)."""
        with self._lock:
            rows, self._rows = self._rows, []
            timer, self._timer = self._timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()
        if rows:
            _state.write_rows(rows, after_spans=False)


_pending = _PendingRows()


def _origin() -> dict[str, Any]:
    # What the mapping writes for the facade's spans (mapping/generic.py).
    origin: dict[str, Any] = {"name": A.SDK_ORIGIN_NAME, "version": VERSION,
                              "instrumentation": {"name": A.FACADE_INSTRUMENTATION}}
    if _state.span_environment is not None:
        origin["environment"] = dict(_state.span_environment)
    return origin


class LogRecords:
    """The log-record methods of :class:`~braintrust.Logger` (the official SDK 0.48's
    ``emit_log`` and one method per level). The class sets ``_log_trace_id``."""

    _log_trace_id: str
    parent: str

    @property
    def log_trace_id(self) -> str:
        """The ``root_span_id`` of log records made outside any span (one per logger)."""
        return self._log_trace_id

    def emit_log(self, body: Any, level: LogLevel, metadata: dict[str, Any] | None = None,
                 **parameters: object) -> str:
        """Records a log record: a row of type ``log`` filed under the current span
        (by its span and trace ids), else under this logger's own trace id.

        Args:
            body: The message, or any JSON-able value. A str may hold ``{name}``
                placeholders, filled from ``parameters`` (missing ones stay).
            level: ``trace``, ``debug``, ``info``, ``warn``, ``error`` or ``fatal``.
            metadata: More fields for the row's metadata.
            **parameters: Values for the placeholders; kept in the metadata with
                the template (``braintrust.template``, ``braintrust.template.parameter.<name>``).

        Returns:
            The row id.

        Raises:
            ValueError: An unknown level.
            TypeError: Parameters with a body that is not a str; metadata not a dict.
        """
        return self._emit(body, level, metadata, parameters, "emit_log")

    def _emit(self, body: Any, level: str, metadata: dict[str, Any] | None,
              parameters: Mapping[str, object], method: str) -> str:
        where = f"Logger.{method}()"
        text, meta = render(body, metadata, parameters, where)
        return emit_log(self, text, level, meta, where=where)

    def trace(self, body: Any, metadata: dict[str, Any] | None = None,
              **parameters: object) -> str:
        """Records a ``trace``-level log record (see :meth:`emit_log`); returns its row id."""
        return self._emit(body, "trace", metadata, parameters, "trace")

    def debug(self, body: Any, metadata: dict[str, Any] | None = None,
              **parameters: object) -> str:
        """Records a ``debug``-level log record (see :meth:`emit_log`); returns its row id."""
        return self._emit(body, "debug", metadata, parameters, "debug")

    def info(self, body: Any, metadata: dict[str, Any] | None = None,
             **parameters: object) -> str:
        """Records an ``info``-level log record (see :meth:`emit_log`); returns its row id."""
        return self._emit(body, "info", metadata, parameters, "info")

    def warn(self, body: Any, metadata: dict[str, Any] | None = None,
             **parameters: object) -> str:
        """Records a ``warn``-level log record (see :meth:`emit_log`); returns its row id."""
        return self._emit(body, "warn", metadata, parameters, "warn")

    def error(self, body: Any, metadata: dict[str, Any] | None = None,
              **parameters: object) -> str:
        """Records an ``error``-level log record (see :meth:`emit_log`); returns its row id."""
        return self._emit(body, "error", metadata, parameters, "error")

    def fatal(self, body: Any, metadata: dict[str, Any] | None = None,
              **parameters: object) -> str:
        """Records a ``fatal``-level log record (see :meth:`emit_log`); returns its row id."""
        return self._emit(body, "fatal", metadata, parameters, "fatal")
