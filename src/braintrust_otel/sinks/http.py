"""The Braintrust REST API sink: rows to ``/logs3``, with retries and a disk spool.

``write()`` never waits on the network: it hands rows to the sink's sender
thread through a bounded in-memory buffer, or writes them to the disk spool
when the service is down, slow or hanging (so the span queue upstream never
fills because of the service). The sender thread takes one step at a time (a
batch from memory, else one spool file) and hands the rows to
:class:`~braintrust_otel.sinks._logs3.Logs3Sender`, which resolves them to
object ids, cuts requests within the server's payload limit, retries
transient failures, splits on 413 (a single row too large for any request
goes through the overflow upload, ``_uploads.py``), halves on 400/422 to
isolate refused rows, and sets rejected rows aside (kept in
``<spool>/rejected``, counted, reported). This module decides what a failed
delivery means: when all attempts fail, the rows go back to the spool and the
sink stays "down" for a growing cool-down (a ``Retry-After`` over 10 s is one),
spooling new rows at once; the sender sends the spool when the service
answers again, and keeps trying while a ``flush()`` waits.
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

from .. import diagnostics
from ..api import ApiConnection
from ..deferred import DeferredObjects
from ..retry import MAX_RETRY_AFTER, RetryPolicy
from ..settings import get_settings
from ..spool import Spool
from ._logs3 import Logs3Sender, object_ids
from ._uploads import read_attachment, upload_attachment

__all__ = ["HttpSink"]

Row = dict[str, Any]


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
        # Requests to /logs3 (its rejected rows are this process's own).
        self._logs3 = Logs3Sender(self.conn, self.spool, self.stats, object_ids=self.object_ids,
                                  closing=lambda: self._closing, budget=self._budget)
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
        """Sends rows; returns those that must wait (never raises for the
        service's answers)."""
        try:
            leftover, down = self._logs3.deliver(rows, self.batch_rows, self.retry)
            if down is None:
                self._mark_up()
            else:
                self._mark_down(down.why, down.exc, down.retry_after)
            return leftover
        finally:
            self._logs3.keep_rejected()

    def object_ids(self, parent: str) -> dict[str, str]:
        """The ids rows with this ``braintrust.parent`` are filed under (see
        :func:`~braintrust_otel.sinks._logs3.object_ids`: a project name or a
        deferred object is registered now; an invalid parent gives the default's)."""
        return object_ids(self.conn, self.deferred, parent)

    # -- attachments --------------------------------------------------------

    def upload_attachment(self, reference: dict[str, Any], data: bytes) -> None:
        """Uploads bytes to the signed URL the service gives, then reports the status."""
        upload_attachment(self.conn, reference, data)

    def read_attachment(self, reference: dict[str, Any]) -> bytes:
        """Downloads an attachment's bytes through the URL the service gives."""
        return read_attachment(self.conn, reference)

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
