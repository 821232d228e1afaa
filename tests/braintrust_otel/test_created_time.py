"""The row's ``created`` text is exactly what ``datetime.fromtimestamp(...).isoformat()`` gives."""

from __future__ import annotations

import datetime
import random

from braintrust_otel.mapping.common import MAX_TIME_NS, _created

_UTC = datetime.timezone.utc


def _reference(ns: int) -> str:
    return datetime.datetime.fromtimestamp(ns / 1e9, tz=_UTC).isoformat()


def test_created_matches_datetime_on_random_and_edge_times() -> None:
    rng = random.Random(18)
    now = 1_790_000_000 * 10**9
    times = [0, 1, 999, 1_000, 500, 1_500, 999_999_999, 1_000_000_000, MAX_TIME_NS,
             MAX_TIME_NS - 1, now, now + 999_999_500, now + 999_999_499, now + 500,
             now + 1_500, now + 2_500]
    times += [rng.randrange(0, MAX_TIME_NS + 1) for _ in range(20_000)]
    # Runs of spans within one second (the cached date and time) and across seconds.
    base = now + rng.randrange(10**9)
    times += [base + i * 37_345_679 for i in range(2_000)]
    # Fractions that sit on a rounding boundary of the float.
    times += [now + us * 1_000 + 500 for us in range(0, 1_000_000, 997)]
    for ns in times:
        assert _created(ns) == _reference(ns), ns


def test_created_after_other_seconds_does_not_reuse_a_stale_date() -> None:
    first = 1_790_000_000 * 10**9 + 123_456_000
    assert _created(first) == _reference(first)
    later = first + 86_400 * 10**9 * 400  # another day and year
    assert _created(later) == _reference(later)
    assert _created(first) == _reference(first)
