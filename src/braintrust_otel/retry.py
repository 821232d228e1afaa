"""When and how long to wait before sending a request again (pure functions)."""

from __future__ import annotations

import email.utils
import random
import time
from typing import Callable, Optional

__all__ = ["backoff_delay", "is_retryable_status", "parse_retry_after"]

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
