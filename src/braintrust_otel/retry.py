"""When and how long to wait before trying again: one policy for every retry loop.

The HTTP sink, the local sink's writes to a busy database and the attachment
uploader all wait by :func:`backoff_delay`; the last two run their loop with
:meth:`RetryPolicy.call`.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar

__all__ = ["RetryPolicy", "backoff_delay", "is_retryable_status", "parse_retry_after"]

_T = TypeVar("_T")

#: Longest wait a server's Retry-After is allowed to impose.
MAX_RETRY_AFTER = 60.0


def is_retryable_status(status: int) -> bool:
    """True for statuses worth retrying: 408, 429 and every 5xx."""
    return status in (408, 429) or 500 <= status < 600


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        # Imported here: only a 429/503 with an HTTP-date needs it (and it
        # costs a few ms at import).
        import email.utils

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(
    attempt: int,
    base: float = 0.5,
    cap: float = 10.0,
    retry_after: Optional[float] = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    Exponential backoff with jitter (half fixed, half random, so concurrent
    clients spread out); a server's ``Retry-After`` wins, up to a minute.

    Args:
        attempt: How many retries came before this one.
        base: The first retry's nominal delay.
        cap: The longest nominal delay.
        retry_after: The server's ``Retry-After``, in seconds, if any.
        rand: A source of numbers in [0, 1), for tests.

    Returns:
        The delay in seconds.
    """
    if retry_after is not None:
        return float(min(retry_after, MAX_RETRY_AFTER))
    nominal = min(cap, base * 2.0**attempt)
    return nominal / 2 + rand() * nominal / 2


def _always(exc: Exception) -> bool:
    return True


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try an operation, and how long to wait in between.

    Args:
        attempts: Tries in all (1 means no retry).
        base: The first retry's nominal delay, in seconds (see :func:`backoff_delay`).
        cap: The longest nominal delay.
    """

    attempts: int
    base: float
    cap: float = 10.0

    def delay(self, attempt: int, retry_after: Optional[float] = None,
              rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry)."""
        return backoff_delay(attempt, self.base, self.cap, retry_after, rand)

    def call(self, fn: Callable[[], _T], *,
             retry_on: Callable[[Exception], bool] = _always,
             sleep: Callable[[float], object] = time.sleep) -> _T:
        """Calls ``fn`` until it returns, at most ``attempts`` times.

        Args:
            fn: The operation.
            retry_on: Whether an error is worth another try (every one by default).
            sleep: How to wait between tries (no wait after the last one).

        Returns:
            What ``fn`` returned.

        Raises:
            Exception: The last error, once the tries are used up or ``retry_on``
                says no.
        """
        attempt = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                if attempt + 1 >= self.attempts or not retry_on(exc):
                    raise
            sleep(self.delay(attempt))
            attempt += 1
