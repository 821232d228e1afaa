"""The Braintrust REST API sink: rows to ``/logs3``, with retries and a disk spool.

``write()`` never waits on the network: it hands rows to the sink's sender
thread through a bounded in-memory buffer, or writes them to the disk spool
when the service is down, slow or hanging (so the span queue upstream never
fills because of the service). The sender resolves rows to object ids
(registering projects by name), encodes them once, cuts requests within the
server's payload limit, and posts them. A request that fails with a
connection error, a timeout, 408, 429 or 5xx is retried with exponential
backoff and jitter (a ``Retry-After`` over 10 s becomes a cool-down). When
all attempts fail, the rows go to the spool and the sink stays "down" for a
growing cool-down, spooling new rows at once; the sender sends the spool
when the service answers again, and keeps trying while a ``flush()``
waits. A 413 splits the request,
and a single row too large for any request goes through the overflow upload.
A 400 or 422 halves the request until the refused rows are alone (within a
bound of extra requests), so one bad row does not cost its batch. Other 4xx
answers are reported with the server's message, and the rejected rows are
kept in ``<spool>/rejected`` (one JSON row a line) and counted.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence
from typing import Any, Optional

import requests

from .. import diagnostics
from ..api import ApiConnection, LoginError
from ..deferred import DeferredObjects
from ..merge import OBJECT_ID_KEYS, combine_rows
from ..parent import DEFAULT_PARENT, default_parent, parse_parent
from ..retry import MAX_RETRY_AFTER, RetryPolicy, is_retryable_status, parse_retry_after
from ..serialize import dumps, repair
from ..settings import get_settings
from ..spool import Spool

__all__ = ["HttpSink"]

API_VERSION = 2

# Outcomes of one request.
_SENT, _FAILED, _REJECTED = "sent", "failed", "rejected"

# Answers that refuse a row's content: the batch is halved to find the row.
# Others (401, 403, 404...) would refuse every half alike.
_ROW_ERRORS = (400, 422)
# Extra requests one delivery may spend halving refused batches: enough to
# isolate a handful of bad rows among thousands, bounded if all are bad.
_BISECT_REQUESTS = 64

Row = dict[str, Any]

# A Retry-After up to this is waited out before retrying; a longer one puts
# the sink in a cool-down of that length (rows spool meanwhile).
_LONGEST_INLINE_WAIT = 10.0


def logs3_body(encoded_rows: Sequence[str]) -> bytes:
    """The ``/logs3`` request body for already-encoded rows."""
    return ('{"rows":[' + ",".join(encoded_rows) + f'],"api_version":{API_VERSION}}}').encode()


def _repaired(text: str) -> str:
    fixed, replaced = repair(text)
    diagnostics.report("encoding", f"a row sent to Braintrust held {replaced} surrogate code "
                       "points, which UTF-8 cannot hold: lone ones were replaced with U+FFFD",
                       n=replaced)
    return fixed


class HttpSink:
    """Delivers rows to the Braintrust service.

    Args:
        conn: The API connection (login happens on first use).
        spool: Where undeliverable rows wait; the default spool folder by default.
        batch_rows: Rows per request at most (``BRAINTRUST_DEFAULT_BATCH_SIZE``, 1000).
        attempts: Tries per request (``BRAINTRUST_NUM_RETRIES`` + 1; 4 by default).
        backoff_base: Nominal seconds before the first retry.
        backoff_cap: Longest nominal wait between retries.
        cooldown_cap: Longest time the sink stays down before probing again.
    """

    #: Rows may hold :class:`~braintrust_otel.serialize.RawJson` values: they
    #: are only ever encoded here, through ``serialize.dumps``, which splices them.
    accepts_raw_json = True

    def __init__(
        self,
        conn: ApiConnection,
        spool: Spool | None = None,
        *,
        batch_rows: int | None = None,
        attempts: int | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 10.0,
        cooldown_cap: float = 30.0,
        max_buffered_rows: int = 10_000,
    ) -> None:
        self.conn = conn
        self.spool = spool if spool is not None else Spool()
        # Experiments and datasets made while the service was unreachable.
        self.deferred = DeferredObjects(self.spool.directory / "deferred")
        env = get_settings()
        self.batch_rows = batch_rows or env.default_batch_size
        # The policy every retry loop shares (retry.py); this sink's loop is its
        # own only for what HTTP adds: 413 overflow, halving, cool-downs.
        self.retry = RetryPolicy(attempts=attempts or env.num_retries + 1,
                                 base=backoff_base, cap=backoff_cap)
        self.cooldown_cap = cooldown_cap
        self.max_buffered_rows = max_buffered_rows
        self.stats = {"sent": 0, "spooled": 0, "rejected": 0, "requests": 0}
        self._closing = False
        self._deadline: float | None = None
        self._init_runtime()
        ref = weakref.WeakMethod(self._init_runtime)
        os.register_at_fork(after_in_child=lambda: (m := ref()) and m())
        # Registered after the processor's exit flush, so it runs before it:
        # from here on every request fits in the exit budget.
        closing = weakref.WeakMethod(self._start_closing)
        atexit.register(lambda: (m := closing()) and m())
        if self.spool.pending_rows():
            self._ensure_sender()

    def _init_runtime(self) -> None:
        self._bisect_left = _BISECT_REQUESTS
        self._rejected: list[Row] = []
        self._reject_reasons: list[str] = []
        # One lock guards the hand-off state between write()/flush() callers
        # and the sender thread; network I/O never happens under it.
        self._state = threading.Condition(threading.Lock())
        self._buffer: deque[tuple[int, list[Row]]] = deque()  # (accepted at, rows)
        self._buffered = 0
        self._inflight: tuple[int, list[Row]] | None = None
        self._inflight_spooled = False
        self._replaying = False
        self._spilling = False
        self._force = False
        self._flushers = 0
        self._down_until = 0.0
        self._honour_until = 0.0  # a server's Retry-After: even a flush waits for it
        self._last_try = 0.0
        self._failures = 0
        self._sender: Optional[threading.Thread] = None
        self._wake = threading.Event()

    @property
    def attempts(self) -> int:
        """Tries per request (``self.retry.attempts``)."""
        return self.retry.attempts

    def __repr__(self) -> str:
        return f"<HttpSink {self.conn!r} spool={str(self.spool.directory)!r}>"

    # -- RowSink ------------------------------------------------------------

    def write(self, rows: Sequence[Row]) -> None:
        """Hands rows to the sender thread, or spools them; never waits on the network.

        Rows go to the disk spool instead of memory while the service is
        down, while earlier rows still wait in the spool (so rows keep their
        order), and when more than ``max_buffered_rows`` wait for a slow or
        hanging service.
        """
        if not rows:
            return
        stamp = time.time_ns()
        with self._state:
            budget = self._budget()
            if (self._spilling or self._is_down() or (budget is not None and budget <= 0)
                    or self._buffered + len(rows) > self.max_buffered_rows):
                self._spilling = True
                self._spool(rows, stamp)
            else:
                self._buffer.append((stamp, list(rows)))
                self._buffered += len(rows)
        self._ensure_sender()
        self._wake.set()

    def flush(self, timeout: float | None = None) -> bool:
        """Waits until every accepted row and the spool are sent, for up to ``timeout`` s.

        The sender thread keeps trying for the whole time (an explicit flush
        tries at once even during a cool-down, then at backoff pace, waiting
        longer only when the server's ``Retry-After`` asks for it); the caller
        never blocks on a request, so a hanging service cannot stretch this
        past ``timeout``. At exit, rows still in memory then go to the spool.

        Returns:
            True when nothing is left waiting.
        """
        deadline = time.monotonic() + (timeout if timeout is not None else 30.0)
        if self._deadline is not None:
            deadline = min(deadline, self._deadline)
        self._ensure_sender()
        with self._state:
            self._flushers += 1
            self._force = True
            self._wake.set()
            try:
                while not (done := self._idle()):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    # Woken by the sender after each step; the poll also sees
                    # spool files another process handed over.
                    self._state.wait(min(left, 0.5))
            finally:
                self._flushers -= 1
        if not done and self._closing:
            self._spool_memory()
        return done

    def shutdown(self) -> None:
        """Flushes (bounded by ``BRAINTRUST_EXIT_FLUSH_SECONDS``, 10) and stops.

        Rows that cannot be sent in that time stay in the spool, and the
        next process with the same spool folder sends them.
        """
        self._start_closing()
        assert self._deadline is not None
        self.flush(max(0.0, self._deadline - time.monotonic()))

    def _start_closing(self) -> None:
        # Exit mode: one try per request, each within what is left of the budget.
        if not self._closing:
            budget = get_settings().exit_flush_seconds
            self._deadline = time.monotonic() + budget
            self._closing = True
            self._wake.set()

    def _budget(self) -> float | None:
        """Seconds a request may take now: None normally, what is left at exit."""
        if self._deadline is None:
            return None
        return self._deadline - time.monotonic()

    # -- state --------------------------------------------------------------

    def _is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _idle(self) -> bool:
        # Called with self._state held.
        return (not self._buffer and self._inflight is None and not self._replaying
                and self.spool.pending_rows() == 0)

    def _mark_down(self, why: str, exc: BaseException | None = None,
                   retry_after: float | None = None) -> None:
        self._failures += 1
        now = time.monotonic()
        cooldown = min(self.cooldown_cap, 0.5 * 2 ** (self._failures - 1))
        if retry_after is not None:
            asked = min(retry_after, MAX_RETRY_AFTER)
            self._honour_until = now + asked
            cooldown = max(cooldown, asked)
        self._down_until = now + cooldown
        diagnostics.report("service_down", f"Braintrust API unavailable ({why}); rows are "
                           f"spooled to {self.spool.directory} and sent when it answers", exc)

    def _mark_up(self) -> None:
        self._failures = 0
        self._down_until = self._honour_until = 0.0

    def _spool(self, rows: Sequence[Row], stamp: int | None = None) -> None:
        self.spool.put(rows, stamp)
        self.stats["spooled"] += len(rows)

    def _spool_memory(self) -> None:
        """At exit: rows still in memory (and the request in flight) go to the spool."""
        with self._state:
            chunks = list(self._buffer)
            self._buffer.clear()
            self._buffered = 0
            if self._inflight is not None and not self._inflight_spooled:
                # The hung request may yet land: the ids make a resend harmless.
                chunks.insert(0, self._inflight)
                self._inflight_spooled = True
            self._spilling = True
            for stamp, rows in chunks:
                self._spool(rows, stamp)

    # -- delivery -----------------------------------------------------------

    def _deliver(self, rows: list[Row]) -> list[Row]:
        """Sends rows; returns those that must wait (never raises)."""
        self._bisect_left = _BISECT_REQUESTS
        try:
            return self._deliver_all(rows)
        finally:
            self._keep_rejected()

    def _deliver_all(self, rows: list[Row]) -> list[Row]:
        try:
            self._resolve(rows)
            limit = self.conn.max_request_size()
            can_overflow = self.conn.payload_limit() is not None
        except LoginError as exc:
            self._mark_down("login failed", exc)
            return rows
        except Exception as exc:
            self._mark_down("could not register objects", exc)
            return rows
        rows = combine_rows(rows)
        encoded = [dumps(r) for r in rows]
        start = 0
        for end in self._cuts(encoded, limit):
            outcome = self._send(encoded[start:end], rows[start:end], limit, can_overflow)
            if outcome == _FAILED:
                return rows[start:]
            start = end
        self._mark_up()
        return []

    def _resolve(self, rows: list[Row]) -> None:
        # Resolve every distinct parent first, so a failure leaves rows untouched.
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

    def _object_ids(self, parent: str) -> dict[str, str]:
        try:
            p = parse_parent(parent)
        except ValueError as exc:
            diagnostics.report("bad_parent", f"invalid parent; row sent to {DEFAULT_PARENT}", exc)
            p = parse_parent(DEFAULT_PARENT)
        if p.kind in ("experiment_id", "dataset_id"):
            return {p.kind: self.deferred.resolve(self.conn, p.kind, p.value)}
        project_id = p.value if p.kind == "project_id" else self.conn.project_id(p.value)
        return {"project_id": project_id, "log_id": "g"}

    def _cuts(self, encoded: list[str], limit: int) -> list[int]:
        # End indexes of consecutive requests within the row and byte limits.
        # Rows UTF-8 cannot encode are repaired in place here, where each
        # non-ASCII row is encoded anyway, so the request bodies always encode.
        cuts, size, count = [], 0, 0
        overhead = len(logs3_body([]))
        for i, text in enumerate(encoded):
            if text.isascii():
                n = len(text)
            else:
                try:
                    n = len(text.encode())
                except UnicodeEncodeError:
                    encoded[i] = text = _repaired(text)
                    n = len(text.encode())
            if count and (count >= self.batch_rows or size + n + 1 + overhead > limit):
                cuts.append(i)
                size, count = 0, 0
            size += n + 1
            count += 1
        cuts.append(len(encoded))
        return cuts

    def _send(self, encoded: list[str], rows: list[Row], limit: int, can_overflow: bool) -> str:
        body = logs3_body(encoded)
        overflow = can_overflow and len(body) > limit
        attempts = 1 if self._closing else self.retry.attempts
        retry_after: float | None = None
        for attempt in range(attempts):
            status, retry_after, message = self._post(body, encoded, rows, overflow)
            if status is not None and 200 <= status < 300:
                self.stats["sent"] += len(rows)
                return _SENT
            if status == 413:
                if len(rows) > 1:
                    return self._halves(encoded, rows, limit, can_overflow)
                if can_overflow and not overflow:
                    overflow = True
                    continue
            if status in _ROW_ERRORS and len(rows) > 1 and self._bisect_left > 0:
                # One bad row must not cost the rest of the batch: halve until
                # the rows the service refuses are alone (a bounded number of
                # extra requests, paid only by a refused batch).
                self._bisect_left -= 2
                return self._halves(encoded, rows, limit, can_overflow)
            if status is not None and not is_retryable_status(status):
                self._reject(rows, message)
                return _REJECTED
            if attempt + 1 < attempts:
                if retry_after is not None and retry_after > _LONGEST_INLINE_WAIT:
                    break  # a long wait is a cool-down: the rows go to the spool meanwhile
                delay = self.retry.delay(attempt, retry_after)
                budget = self._budget()
                if budget is not None and delay >= budget:
                    break
                time.sleep(delay)
        self._mark_down(message, retry_after=retry_after)
        return _FAILED

    def _halves(self, encoded: list[str], rows: list[Row], limit: int,
                can_overflow: bool) -> str:
        # Each half on its own: a rejected half must not hold back the other.
        half = len(rows) // 2
        first = self._send(encoded[:half], rows[:half], limit, can_overflow)
        if first == _FAILED:
            return _FAILED  # the caller spools these rows (ids keep a resend safe)
        second = self._send(encoded[half:], rows[half:], limit, can_overflow)
        if second == _FAILED:
            return _FAILED
        return _SENT if first == second == _SENT else _REJECTED

    def _post(self, body: bytes, encoded: list[str], rows: list[Row],
              overflow: bool) -> tuple[int | None, float | None, str]:
        self.stats["requests"] += 1
        budget = self._budget()
        timeout = None if budget is None else max(0.1, min(self.conn.timeout, budget))
        try:
            if overflow:
                resp = self._post_overflow(body, encoded, rows)
            else:
                resp = self.conn.request("POST", "/logs3", data=body, timeout=timeout,
                                         headers={"Content-Type": "application/json"})
        except LoginError as exc:
            return None, None, str(exc)
        except (requests.RequestException, RuntimeError, ValueError) as exc:
            return None, None, f"{type(exc).__name__}: {exc}"
        message = f"HTTP {resp.status_code}: {resp.text[:500]}"
        return resp.status_code, parse_retry_after(resp.headers.get("Retry-After")), message

    def _post_overflow(self, body: bytes, encoded: list[str],
                       rows: list[Row]) -> requests.Response:
        meta = [
            {
                "object_ids": {k: row[k] for k in OBJECT_ID_KEYS if k in row},
                "has_comment": "comment" in row,
                "is_delete": row.get("_object_delete") is True,
                "input_row": {"byte_size": len(text.encode())},
            }
            for row, text in zip(rows, encoded)
        ]
        resp = self.conn.request("POST", "/logs3/overflow", json={
            "content_type": "application/json", "size_bytes": len(body), "rows": meta})
        if not resp.ok:
            return resp
        upload = resp.json()
        method, url, key = upload.get("method"), upload.get("signedUrl"), upload.get("key")
        if method not in ("PUT", "POST") or not isinstance(url, str) or not isinstance(key, str):
            raise RuntimeError(f"unexpected overflow upload answer: {upload!r}")
        # The signed URL carries its own authorization: no bearer token on it.
        plain = requests.Session()
        try:
            if method == "PUT":
                headers = dict(upload.get("headers") or {})
                if ".blob.core.windows.net" in url:
                    headers.setdefault("x-ms-blob-type", "BlockBlob")
                done = plain.put(url, data=body, headers=headers, timeout=self.conn.timeout)
            else:
                fields = dict(upload.get("fields") or {})
                ctype = fields.get("Content-Type", "application/json")
                done = plain.post(url, data=fields, timeout=self.conn.timeout,
                                  files={"file": ("logs3.json", body, ctype)})
        finally:
            plain.close()
        if not done.ok:
            return done
        return self.conn.request("POST", "/logs3", json={
            "rows": {"type": "logs3_overflow", "key": key, "size_bytes": len(body)},
            "api_version": API_VERSION})

    def _reject(self, rows: list[Row], message: str) -> None:
        self.stats["rejected"] += len(rows)
        self._rejected.extend(rows)
        self._reject_reasons.append(message)

    def _keep_rejected(self) -> None:
        # One file and one report for what a delivery set aside.
        rows, self._rejected = self._rejected, []
        reasons, self._reject_reasons = self._reject_reasons, []
        if not rows:
            return
        path = self.spool.reject(rows)
        kept = f"; kept in {path}" if path is not None else "; they could not be kept either"
        diagnostics.report("rejected", f"Braintrust API rejected {len(rows)} rows "
                           f"({reasons[0]}){kept}", n=len(rows))

    # -- attachments --------------------------------------------------------

    def upload_attachment(self, reference: dict[str, Any], data: bytes) -> None:
        """Uploads bytes to the signed URL the service gives, then reports the status."""
        org_id = self.conn.login().get("id")
        key = reference["key"]
        resp = self.conn.request("POST", "/attachment", json={
            "key": key, "filename": reference.get("filename"),
            "content_type": reference.get("content_type"), "org_id": org_id})
        resp.raise_for_status()
        answer = resp.json()
        headers = dict(answer.get("headers") or {})
        url = answer["signedUrl"]
        if ".blob.core.windows.net" in url:
            headers.setdefault("x-ms-blob-type", "BlockBlob")
        status: dict[str, Any] = {"upload_status": "done"}
        plain = requests.Session()  # the signed URL carries its own authorization
        try:
            put = plain.put(url, data=data, headers=headers, timeout=self.conn.timeout)
            if not put.ok:
                status = {"upload_status": "error",
                          "error_message": f"HTTP {put.status_code}: {put.text[:300]}"}
        except requests.RequestException as exc:
            status = {"upload_status": "error", "error_message": str(exc)}
        finally:
            plain.close()
        self.conn.request("POST", "/attachment/status",
                          json={"key": key, "org_id": org_id, "status": status})
        if status["upload_status"] != "done":
            raise RuntimeError(status.get("error_message", "upload failed"))

    def read_attachment(self, reference: dict[str, Any]) -> bytes:
        """Downloads an attachment's bytes through the URL the service gives."""
        resp = self.conn.request("GET", "/attachment", params={
            "key": reference["key"], "filename": reference.get("filename"),
            "content_type": reference.get("content_type"),
            "org_id": self.conn.login().get("id")})
        resp.raise_for_status()
        plain = requests.Session()
        try:
            got = plain.get(resp.json()["downloadUrl"], timeout=self.conn.timeout)
            got.raise_for_status()
            return got.content
        finally:
            plain.close()

    # -- the sender thread ---------------------------------------------------

    def _ensure_sender(self) -> None:
        with self._state:
            if self._sender is not None and self._sender.is_alive():
                return
            thread = threading.Thread(target=self._send_loop, name="braintrust-http-send",
                                      daemon=True)
            self._sender = thread
            thread.start()

    def _send_loop(self) -> None:
        while True:
            try:
                progressed = self._pump()
            except Exception as exc:  # a bug here must not end delivery for good
                diagnostics.report("delivery", "the HTTP sender failed; it goes on", exc)
                self._mark_down("sender error", exc)
                progressed = False
            with self._state:
                self._state.notify_all()
                if progressed:
                    continue
                budget = self._budget()
                if self._closing and ((budget is not None and budget <= 0)
                                      or (not self._flushers and self._idle())):
                    # A shut-down sink keeps no thread; a later write starts one.
                    self._sender = None
                    return
                wait = self._next_try() - time.monotonic()
                if wait <= 0 and (self._buffer or self._flushers):
                    wait = 0.05  # nothing could be done just now (e.g. files claimed)
            self._wake.wait(min(max(wait, 0.0), 5.0) if wait > 0 else 5.0)
            self._wake.clear()

    def _next_try(self) -> float:
        # Called with self._state held. While someone waits in flush(), try at
        # backoff pace instead of waiting out a long cool-down, except when
        # the server itself asked for the wait.
        if self._force:
            return 0.0
        if self._flushers and self._honour_until <= time.monotonic():
            return min(self._down_until, self._last_try + self.retry.cap)
        return self._down_until

    def _pump(self) -> bool:
        """One step: a batch from memory, else one spool file. True when it progressed."""
        with self._state:
            budget = self._budget()
            if time.monotonic() < self._next_try() or (budget is not None and budget <= 0):
                return False  # past the exit budget nothing new starts: the spool keeps it
            self._force = False
            self._last_try = time.monotonic()
            chunk = self._take_chunk()
            if chunk is None:
                self._replaying = True
        if chunk is not None:
            stamp, rows = chunk
            leftover = self._deliver(rows)
            with self._state:
                if leftover and not self._inflight_spooled:
                    # Back to the spool with the time they were accepted, ahead
                    # of rows spooled meanwhile; the rest of memory follows.
                    self._spilling = True
                    self._spool(leftover, stamp)
                    while self._buffer:
                        older, waiting = self._buffer.popleft()
                        self._spool(waiting, older)
                    self._buffered = 0
                self._inflight = None
                self._inflight_spooled = False
            return not leftover
        try:
            progressed = self._replay_one()
        finally:
            with self._state:
                self._replaying = False
        if not progressed:
            with self._state:
                if not self._buffer and self.spool.pending_rows() == 0:
                    self._spilling = False  # caught up: memory is safe for new rows again
        return progressed

    def _take_chunk(self) -> tuple[int, list[Row]] | None:
        # Called with self._state held: up to a batch of rows from memory.
        if not self._buffer:
            return None
        stamp, rows = self._buffer.popleft()
        rows = list(rows)
        while self._buffer and len(rows) + len(self._buffer[0][1]) <= self.batch_rows:
            rows.extend(self._buffer.popleft()[1])
        self._buffered -= len(rows)
        self._inflight = (stamp, rows)
        return self._inflight

    def _replay_one(self) -> bool:
        """Sends one spooled file; returns False when there is nothing (more) to do now."""
        taken = self.spool.take()
        if taken is None:
            return False
        claimed, rows = taken
        leftover = self._deliver(rows)
        if leftover:
            if len(leftover) == len(rows):
                self.spool.release(claimed)
                return False
            self.spool.put(leftover, Spool.stamp_of(claimed))
        self.spool.done(claimed)
        return not leftover
