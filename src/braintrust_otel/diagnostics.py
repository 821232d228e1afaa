"""Counts what went wrong off the user's path, and says so once.

Tracing must never raise into the application, but nothing may fail
silently either: every failure and every dropped row is counted here, and
the first of each kind is reported on stderr and through ``logging``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import Counter

__all__ = ["DROP_KINDS", "counts", "dropped", "report", "reset"]

logger = logging.getLogger("braintrust")

_lock = threading.Lock()
_counts: Counter[str] = Counter()

#: Kinds whose events are rows (or attachments) that will never be delivered:
#: ``braintrust.flush()`` returns False after any of them.
DROP_KINDS = frozenset({"dropped", "rejected", "attachment", "store_lost"})
_dropped_total = 0  # never reset, so "dropped since the last flush" survives reset()


def report(kind: str, message: str, exc: BaseException | None = None, n: int = 1) -> None:
    """Counts ``n`` events of ``kind``; the first one of each kind is printed.

    Args:
        kind: A short stable name, for example ``"mapping"`` or ``"dropped"``.
        message: What happened, for a person.
        exc: The exception behind it, if any.
        n: How many events this report stands for.
    """
    global _dropped_total
    with _lock:
        first = _counts[kind] == 0
        _counts[kind] += n
        if kind in DROP_KINDS:
            _dropped_total += n
    if not first:
        logger.debug("braintrust: %s", message, exc_info=exc)
        return
    detail = f": {type(exc).__name__}: {exc}" if exc is not None else ""
    text = f"braintrust: {message}{detail} (further '{kind}' events are counted silently; "
    text += "see braintrust_otel.diagnostics.counts())"
    try:
        print(text, file=sys.stderr, flush=True)
    except Exception:
        pass
    # Only to configured handlers: logging's last-resort handler would print
    # the same line again on stderr.
    if logger.hasHandlers():
        logger.warning("%s", text, exc_info=exc)


def counts() -> dict[str, int]:
    """Returns how many events of each kind were reported in this process."""
    with _lock:
        return dict(_counts)


def dropped() -> int:
    """Returns how many rows were dropped in this process so far (of :data:`DROP_KINDS`).

    Unlike :func:`counts`, :func:`reset` does not clear it: compare two
    readings to learn whether anything was lost in between.
    """
    with _lock:
        return _dropped_total


def reset() -> None:
    """Forgets all counts, so the next event of each kind is printed again."""
    with _lock:
        _counts.clear()
