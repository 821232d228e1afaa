"""BraintrustLogHandler: Python ``logging`` records written as Braintrust log records."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._checks import safe_repr
from ._logs import current_ids, emit_log

if TYPE_CHECKING:
    from ._logger import Logger

__all__ = ["BraintrustLogHandler", "level_name", "record_metadata"]

#: ``logging.LogRecord`` attributes every record has: the rest are the caller's ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", logging.NOTSET, "", 0, "", (), None))) | {
    "asctime", "message"}
#: Where we keep, on a record, the span that was current when it was made.
_IDS_ATTR = "_braintrust_span_ids"
_factory_lock = threading.Lock()
_factory_installed = False


def _install_record_factory() -> None:
    """Makes each new LogRecord remember the current span, so a handler running
    later or on another thread (``QueueHandler``) still files it under that span."""
    global _factory_installed
    with _factory_lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                setattr(record, _IDS_ATTR, current_ids())
            except Exception:
                pass
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


def level_name(levelno: int) -> str:
    """The log level of a ``logging`` level number (``WARNING`` -> ``warn``)."""
    for threshold, name in ((logging.CRITICAL, "fatal"), (logging.ERROR, "error"),
                            (logging.WARNING, "warn"), (logging.INFO, "info"),
                            (logging.DEBUG, "debug")):
        if levelno >= threshold:
            return name
    return "trace"


def _is_ours(record: logging.LogRecord) -> bool:
    # Our own records (diagnostics), and anything logged while our delivery threads
    # send (urllib3's connection messages): sending them would log again, forever.
    name = record.name
    if name in ("braintrust", "braintrust_otel") or name.startswith(("braintrust.",
                                                                      "braintrust_otel.")):
        return True
    return record.threadName.startswith("braintrust") if record.threadName else False


def record_metadata(record: logging.LogRecord) -> dict[str, Any]:
    """What the official handler records of a LogRecord: the ``extra`` fields, the
    %-template and its arguments, the logger name and the code location."""
    out: dict[str, Any] = {k: v for k, v in vars(record).items()
                           if k not in _STANDARD and not k.startswith("_")}
    args = record.args
    if args and isinstance(record.msg, str):
        out["braintrust.template"] = record.msg
        if isinstance(args, Mapping):
            # "%(name)s" takes the mapping's items; a bare "%s" takes the whole mapping.
            if "%(" in record.msg:
                out.update({f"braintrust.template.parameter.{k}": _plain(v)
                            for k, v in args.items()})
            else:
                out["braintrust.template.parameter.0"] = {str(k): _plain(v)
                                                          for k, v in args.items()}
        else:
            out.update({f"braintrust.template.parameter.{i}": _plain(v)
                        for i, v in enumerate(args)})
    out.update({"logger.name": record.name, "code.file.path": record.pathname,
                "code.function.name": record.funcName, "code.line.number": record.lineno})
    return out


def _plain(value: Any) -> Any:
    # Template arguments as the record had them when made: scalars as they are,
    # anything else as its repr (the object may change or be unencodable later).
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return safe_repr(value, limit=2000)


class BraintrustLogHandler(logging.Handler):
    """A ``logging.Handler`` that sends Python log records to a Braintrust logger.

    Each record becomes a log row as ``logger.emit_log`` writes it: the formatted
    message is the body, the level maps to ``trace`` ... ``fatal``, and the
    metadata holds the record's ``extra`` fields, the %-template with its
    arguments, the logger name and the code location. A record made inside a
    span is filed under that span. Records of Braintrust's own loggers, and
    those made on its delivery threads, are skipped (sending them would log
    again). Attach it with ``logging.getLogger(...).addHandler(handler)``.

    Args:
        logger: The Braintrust logger (from :func:`braintrust.init_logger`).
        level: The lowest level handled (``logging.NOTSET`` by default).
    """

    def __init__(self, logger: Logger, level: int | str = logging.NOTSET) -> None:
        super().__init__(level=level)
        from ._logger import Logger

        if not isinstance(logger, Logger):
            raise TypeError(f"BraintrustLogHandler(): logger must be a braintrust.Logger, "
                            f"got {type(logger).__name__}")
        self._logger = logger
        _install_record_factory()

    def filter(self, record: logging.LogRecord) -> bool:
        """Skips Braintrust's own records, then applies the handler's filters."""
        return not _is_ours(record) and bool(super().filter(record))

    def emit(self, record: logging.LogRecord) -> None:
        """Writes ``record`` as a log row (errors go to ``handleError``, as usual)."""
        try:
            ids = getattr(record, _IDS_ATTR, True)
            context = {"caller_functionname": record.funcName,
                       "caller_filename": record.pathname, "caller_lineno": record.lineno}
            emit_log(self._logger, self.format(record), level_name(record.levelno),
                     record_metadata(record), captured_at=record.created, ids=ids,
                     context=context)
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        """Delivers what the logger holds."""
        self._logger.flush()
