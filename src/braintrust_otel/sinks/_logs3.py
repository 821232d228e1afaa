"""One delivery of rows to ``/logs3``: requests cut to the limits, retried, split.

The HTTP sink's sender thread hands a list of rows to :meth:`Logs3Sender.deliver`,
which resolves each row's ``_parent`` to object ids, encodes each request's
rows whole in one call (row by row only where that call cannot: see
:func:`whole_body`), cuts the rows into requests within the row count and the
server's byte limit, and posts them. A transient failure (connection error,
timeout, 408, 429, 5xx) is retried by the sink's
:class:`~braintrust_otel.retry.RetryPolicy`; a 413 splits the request, and a
single row too large for any request goes through the overflow upload; a 400
or 422 halves the request until the refused rows are alone (within a bound of
extra requests), so one bad row does not cost its batch; other 4xx answers
set the rows aside as rejected.

What the service's state means for the sink (down, cool-down, the spool) stays
in the sink: a delivery only says which rows must wait and why.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from itertools import accumulate, repeat
from operator import add, sub
from typing import Callable, NamedTuple, Optional

import requests

from .. import diagnostics
from ..api import ApiConnection, LoginError
from ..deferred import DeferredObjects
from ..merge import OBJECT_ID_KEYS, combine_rows
from ..parent import DEFAULT_PARENT, default_parent, parse_parent
from ..retry import RetryPolicy, is_retryable_status, parse_retry_after
from ..serialize import dumps, dumps_fast, repair
from ..spool import Spool
from ._uploads import Row, post_overflow

__all__ = ["API_VERSION", "Down", "Logs3Sender", "cut_requests", "logs3_body", "object_ids",
           "row_texts", "whole_body"]

API_VERSION = 2

# Outcomes of one request.
_SENT, _FAILED, _REJECTED = "sent", "failed", "rejected"

# Answers that refuse a row's content: the batch is halved to find the row.
# Others (401, 403, 404...) would refuse every half alike.
_ROW_ERRORS = (400, 422)
# Extra requests one delivery may spend halving refused batches: enough to
# isolate a handful of bad rows among thousands, bounded if all are bad.
_BISECT_REQUESTS = 64

# A Retry-After up to this is waited out before retrying; a longer one puts
# the sink in a cool-down of that length (rows spool meanwhile).
_LONGEST_INLINE_WAIT = 10.0


# A row with no ``_parent`` key at all (not one whose parent is None).
_NO_PARENT = object()

_HEAD = b'{"rows":['
_TAIL = f'],"api_version":{API_VERSION}}}'.encode()


def logs3_body(encoded_rows: Sequence[str]) -> bytes:
    """The ``/logs3`` request body for already-encoded rows.

    Each row is encoded to UTF-8 on its own and the body is joined once, so
    the request (often megabytes) is allocated once: joining the text, adding
    the head and tail and encoding the whole made three copies of it, each a
    fresh allocation the kernel must fault in, which cost more than the rest
    of the worker's work per row (see README, "Performance").
    """
    parts = list(map(str.encode, encoded_rows))  # (in C: no Python step per row)
    if not parts:
        return _HEAD + _TAIL
    parts[0] = _HEAD + parts[0]
    parts[-1] += _TAIL
    return b",".join(parts)


_OVERHEAD = len(_HEAD) + len(_TAIL)


def whole_body(rows: list[Row]) -> bytes | None:
    """The ``/logs3`` body for ``rows`` in one orjson call, or None when a row
    needs the row-by-row path.

    The bytes are exactly ``logs3_body([dumps(r) for r in rows])``: orjson
    writes each row inside the envelope as it writes it alone, and whatever
    ``dumps`` would not leave to orjson (see :func:`~braintrust_otel.serialize.dumps_fast`)
    makes the whole call give None. One call instead of one per row saves a
    Python step, a ``str`` round trip and a buffer per row: the per-row
    buffers (3 KB each for an LLM-sized row, all freed at once after the
    join) made the allocator give memory back and fault it in again, which
    cost more than the encoding.

    Args:
        rows: The rows of one request.

    Returns:
        The request body, or None.
    """
    return dumps_fast({"rows": rows, "api_version": API_VERSION})


def row_texts(rows: list[Row]) -> list[str]:
    """Each row's JSON text (``dumps``), repaired where UTF-8 cannot hold it
    (reported, as the cut does).

    Args:
        rows: Rows.

    Returns:
        Their texts, in order.
    """
    encoded = [dumps(r) for r in rows]
    if not all(map(str.isascii, encoded)):
        _cut_any(encoded, 0, 1)  # (for its repairs)
    return encoded


def _repaired(text: str) -> str:
    fixed, replaced = repair(text)
    diagnostics.report("encoding", f"a row sent to Braintrust held {replaced} surrogate code "
                       "points, which UTF-8 cannot hold: lone ones were replaced with U+FFFD",
                       n=replaced)
    return fixed


def cut_requests(encoded: list[str], limit: int, batch_rows: int) -> list[int]:
    """End indexes of consecutive requests within the row and byte limits.

    Rows UTF-8 cannot encode are repaired in place here, where each non-ASCII
    row is encoded anyway, so the request bodies always encode.

    Args:
        encoded: The rows' JSON texts, in order (repaired in place).
        limit: Bytes per request body at most (a single larger row gets a
            request of its own).
        batch_rows: Rows per request at most.

    Returns:
        The index after the last row of each request; the last is ``len(encoded)``.
    """
    overhead = len(logs3_body([]))
    if all(map(str.isascii, encoded)):
        return _cut_ascii(encoded, limit - overhead, batch_rows)
    return _cut_any(encoded, limit - overhead, batch_rows)


def _cut_any(encoded: list[str], room: int, batch_rows: int) -> list[int]:
    """:func:`cut_requests` row by row, for rows that may hold any character."""
    cuts, size, count = [], 0, 0
    for i, text in enumerate(encoded):
        if text.isascii():
            n = len(text)
        else:
            try:
                n = len(text.encode())
            except UnicodeEncodeError:
                encoded[i] = text = _repaired(text)
                n = len(text.encode())
        if count and (count >= batch_rows or size + n + 1 > room):
            cuts.append(i)
            size, count = 0, 0
        size += n + 1
        count += 1
    cuts.append(len(encoded))
    return cuts


def _cut_ascii(encoded: list[str], room: int, batch_rows: int) -> list[int]:
    """:func:`cut_requests` for ASCII rows (a character is a byte), with no Python
    step per row: the running sizes are summed in C and each cut is a bisection."""
    # ends[i]: the bytes of rows 0..i, each with its comma.
    ends = list(accumulate(map(add, map(len, encoded), repeat(1))))
    cuts: list[int] = []
    start, total = 0, len(encoded)
    while start < total:
        before = ends[start - 1] if start else 0
        # The first row past the room ends the request; a row larger than the
        # room alone goes in a request of its own.
        end = max(bisect_right(ends, before + room, start), start + 1)
        start = min(end, start + batch_rows)
        cuts.append(start)
    return cuts or [0]


def object_ids(conn: ApiConnection, deferred: DeferredObjects, parent: str) -> dict[str, str]:
    """The ids rows with this ``braintrust.parent`` are filed under.

    A project named by name is registered (once per name per process); a
    deferred (offline) experiment or dataset is registered now. An invalid
    parent is reported and gives the default parent's ids.

    Args:
        conn: The API connection.
        deferred: The experiments and datasets made while offline.
        parent: A parent string (``project_name:...``, ``experiment_id:...``).

    Returns:
        ``{"project_id": ..., "log_id": "g"}``, or ``{"experiment_id": ...}``
        / ``{"dataset_id": ...}``.

    Raises:
        LoginError: When login fails.
        requests.RequestException: When registration cannot reach the service.
    """
    try:
        p = parse_parent(parent)
    except ValueError as exc:
        diagnostics.report("bad_parent", f"invalid parent; row sent to {DEFAULT_PARENT}", exc)
        p = parse_parent(DEFAULT_PARENT)
    if p.kind in ("experiment_id", "dataset_id"):
        return {p.kind: deferred.resolve(conn, p.kind, p.value)}
    project_id = p.value if p.kind == "project_id" else conn.project_id(p.value)
    return {"project_id": project_id, "log_id": "g"}


class Down(NamedTuple):
    """Why a delivery stopped: the service is unavailable for now."""

    why: str
    exc: Optional[BaseException] = None
    retry_after: Optional[float] = None


class Logs3Sender:
    """Sends rows to ``/logs3`` for an :class:`~braintrust_otel.sinks.http.HttpSink`.

    Args:
        conn: The API connection.
        spool: Where rejected rows are kept (``spool.reject``).
        stats: The sink's counters (``sent``, ``rejected``, ``requests``), updated here.
        object_ids: Turns a ``braintrust.parent`` string into a row's object ids.
        closing: True once the sink is in exit mode (one try per request).
        budget: Seconds a request may take now (None: no bound).
    """

    def __init__(self, conn: ApiConnection, spool: Spool, stats: dict[str, int], *,
                 object_ids: Callable[[str], dict[str, str]], closing: Callable[[], bool],
                 budget: Callable[[], Optional[float]]) -> None:
        self.conn = conn
        self.spool = spool
        self.stats = stats
        self._object_ids = object_ids
        self._closing = closing
        self._budget = budget
        self._retry: RetryPolicy  # set by each deliver()
        self._batch_rows = 1
        self._bisect_left = _BISECT_REQUESTS
        # Whether the last rows sent row by row needed a cut by bytes.
        self._cut_by_bytes = False
        self._down: Optional[Down] = None
        self._rejected: list[Row] = []
        self._reject_reasons: list[str] = []

    def deliver(self, rows: list[Row], batch_rows: int,
                retry: RetryPolicy) -> tuple[list[Row], Optional[Down]]:
        """Sends rows; never raises for the service's answers.

        Rows the service refuses are set aside until :meth:`keep_rejected`.

        Args:
            rows: The rows, in order (``_parent`` resolved in place).
            batch_rows: Rows per request at most.
            retry: Tries and backoff for transient failures.

        Returns:
            The rows that must wait (the rest of the list from the first
            request that failed), and why, or ``([], None)`` when every
            request was answered.
        """
        self._bisect_left = _BISECT_REQUESTS
        self._batch_rows, self._retry, self._down = batch_rows, retry, None
        leftover = self._deliver_all(rows)
        return leftover, self._down

    def _deliver_all(self, rows: list[Row]) -> list[Row]:
        try:
            self.resolve(rows)
            limit = self.conn.max_request_size()
            can_overflow = self.conn.payload_limit() is not None
        except LoginError as exc:
            self._down = Down("login failed", exc)
            return rows
        except Exception as exc:
            self._down = Down("could not register objects", exc)
            return rows
        rows = combine_rows(rows)
        start, total, batch_rows = 0, len(rows), self._batch_rows
        if self._cut_by_bytes:
            # The last delivery's rows were cut by bytes: these likely are too,
            # and a one-call body past the limit would be thrown away.
            start, failed = self._deliver_rows(rows, 0, total, limit, can_overflow)
            return rows[start:] if failed else []
        while start < total:
            end = min(start + batch_rows, total)
            # Up to a request's rows, encoded whole in one call: the rows'
            # JSON is exactly what encoding each row on its own gives, and
            # when it is within the limit the cut row by row would end this
            # request at the same place (the row count, or the last row).
            body = whole_body(rows[start:end])
            if body is not None and (len(body) < limit or end - start == 1):
                if self._send(rows[start:end], body, None, limit, can_overflow) == _FAILED:
                    return rows[start:]
                start = end
                continue
            # A row the one call refused (a NaN, a big int, a lone surrogate...)
            # takes the row-by-row path, for these rows only; rows past the
            # limit take it for the rest of the delivery (their cut needs
            # each row's size).
            stop = end if body is None else total
            start, failed = self._deliver_rows(rows, start, stop, limit, can_overflow)
            if failed:
                return rows[start:]
        return []

    def _deliver_rows(self, rows: list[Row], start: int, stop: int, limit: int,
                      can_overflow: bool) -> tuple[int, bool]:
        """Sends ``rows[start:stop]`` encoded row by row, cut by each row's size.

        Returns:
            Where the next request starts (``stop``, or the start of the last
            request cut here when rows past ``stop`` may join it), and whether
            the request starting there failed.
        """
        encoded = [dumps(r) for r in rows[start:stop]]
        cuts = cut_requests(encoded, limit, self._batch_rows)
        # A request shorter than a batch that is not the last was cut by bytes.
        self._cut_by_bytes = any(map(self._batch_rows.__gt__, map(sub, cuts[:-1], [0, *cuts])))
        at = 0
        for end in cuts:
            if stop < len(rows) and end == len(encoded) and end - at < self._batch_rows:
                break  # the rows after stop may belong in this request
            outcome = self._send(rows[start + at:start + end], logs3_body(encoded[at:end]),
                                 encoded[at:end], limit, can_overflow)
            if outcome == _FAILED:
                return start + at, True
            at = end
        return start + at, False

    def resolve(self, rows: list[Row]) -> None:
        """Replaces each row's ``_parent`` (or the default parent) by object ids.

        Every distinct parent is resolved first, so a failure (raised) leaves
        the rows untouched.
        """
        parents = set(map(dict.get, rows, repeat("_parent"), repeat(_NO_PARENT)))
        if _NO_PARENT not in parents:
            # Every row names its parent (as every mapped span's does), and a
            # batch names few: each is resolved once, then the rows are filed
            # in C, with no Python step per row (the two maps walk the rows in
            # step: each row's ids, then its update).
            named: dict[str, dict[str, str]] = {}
            for parent in parents:
                target = parent or default_parent()
                if target not in named:
                    named[target] = self._object_ids(target)
            found = {parent: named[parent or default_parent()] for parent in parents}
            ids = map(found.__getitem__, map(dict.pop, rows, repeat("_parent")))
            deque(map(dict.update, rows, ids), maxlen=0)
            return
        targets: dict[str, dict[str, str]] = {}
        for row in rows:
            parent = row.get("_parent")
            if "_parent" in row or not any(k in row for k in OBJECT_ID_KEYS):
                parent = parent or default_parent()
                if parent not in targets:
                    targets[parent] = self._object_ids(parent)
        for row in rows:
            if "_parent" in row or not any(k in row for k in OBJECT_ID_KEYS):
                row.update(targets[row.pop("_parent", None) or default_parent()])

    def _send(self, rows: list[Row], body: bytes, encoded: list[str] | None, limit: int,
              can_overflow: bool) -> str:
        # ``encoded``: the rows' texts, when the body was joined from them
        # (None when one call encoded it whole).
        overflow = can_overflow and len(body) > limit
        attempts = 1 if self._closing() else self._retry.attempts
        retry_after: float | None = None
        for attempt in range(attempts):
            status, retry_after, message = self._post(body, encoded, rows, overflow)
            if status is not None and 200 <= status < 300:
                self.stats["sent"] += len(rows)
                return _SENT
            if status == 413:
                if len(rows) > 1:
                    return self._halves(rows, encoded, limit, can_overflow)
                if can_overflow and not overflow:
                    overflow = True
                    continue
            if status in _ROW_ERRORS and len(rows) > 1 and self._bisect_left > 0:
                # One bad row must not cost the rest of the batch: halve until
                # the rows the service refuses are alone (a bounded number of
                # extra requests, paid only by a refused batch).
                self._bisect_left -= 2
                return self._halves(rows, encoded, limit, can_overflow)
            if status is not None and not is_retryable_status(status):
                self._reject(rows, message)
                return _REJECTED
            if attempt + 1 < attempts:
                if retry_after is not None and retry_after > _LONGEST_INLINE_WAIT:
                    break  # a long wait is a cool-down: the rows go to the spool meanwhile
                delay = self._retry.delay(attempt, retry_after)
                budget = self._budget()
                if budget is not None and delay >= budget:
                    break
                time.sleep(delay)
        self._down = Down(message, None, retry_after)
        return _FAILED

    def _halves(self, rows: list[Row], encoded: list[str] | None, limit: int,
                can_overflow: bool) -> str:
        # Each half on its own: a rejected half must not hold back the other.
        # (Only after a 413, 400 or 422: the rows' texts are made here then,
        # for the halves' bodies, when one call encoded the whole.)
        if encoded is None:
            encoded = row_texts(rows)
        half = len(rows) // 2
        first = self._send(rows[:half], logs3_body(encoded[:half]), encoded[:half], limit,
                           can_overflow)
        if first == _FAILED:
            return _FAILED  # the caller spools these rows (ids keep a resend safe)
        second = self._send(rows[half:], logs3_body(encoded[half:]), encoded[half:], limit,
                            can_overflow)
        if second == _FAILED:
            return _FAILED
        return _SENT if first == second == _SENT else _REJECTED

    def _post(self, body: bytes, encoded: list[str] | None, rows: list[Row],
              overflow: bool) -> tuple[int | None, float | None, str]:
        self.stats["requests"] += 1
        budget = self._budget()
        timeout = None if budget is None else max(0.1, min(self.conn.timeout, budget))
        try:
            if overflow:
                if encoded is not None:
                    sizes = [len(text.encode()) for text in encoded]
                elif len(rows) == 1:
                    sizes = [len(body) - _OVERHEAD]  # the body is the row and the envelope
                else:
                    sizes = [len(text.encode()) for text in row_texts(rows)]
                resp = post_overflow(self.conn, body, sizes, rows, API_VERSION)
            else:
                resp = self.conn.post_bytes("/logs3", body, timeout=timeout)
        except LoginError as exc:
            return None, None, str(exc)
        except (requests.RequestException, RuntimeError, ValueError) as exc:
            return None, None, f"{type(exc).__name__}: {exc}"
        status = resp.status_code
        if 200 <= status < 300:
            return status, None, ""  # (the answer's text and headers are not needed)
        message = f"HTTP {status}: {resp.text[:500]}"
        return status, parse_retry_after(resp.headers.get("Retry-After")), message

    def _reject(self, rows: list[Row], message: str) -> None:
        self.stats["rejected"] += len(rows)
        self._rejected.extend(rows)
        self._reject_reasons.append(message)

    def keep_rejected(self) -> None:
        """Writes the rows set aside since the last call to ``<spool>/rejected``,
        with one report for them all."""
        rows, self._rejected = self._rejected, []
        reasons, self._reject_reasons = self._reject_reasons, []
        if not rows:
            return
        path = self.spool.reject(rows)
        kept = f"; kept in {path}" if path is not None else "; they could not be kept either"
        diagnostics.report("rejected", f"Braintrust API rejected {len(rows)} rows "
                           f"({reasons[0]}){kept}", n=len(rows))
