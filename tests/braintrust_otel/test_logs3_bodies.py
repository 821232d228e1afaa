"""/logs3 request bodies encoded whole, in one orjson call: the same bytes and the
same cuts as encoding each row on its own, and the row-by-row path for what
orjson must not write (fake service on 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import random
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from braintrust_otel import diagnostics
from braintrust_otel.api import ApiConnection
from braintrust_otel.retry import RetryPolicy
from braintrust_otel.serialize import RawJson, dumps, json_text
from braintrust_otel.sinks import _logs3
from braintrust_otel.sinks._logs3 import Logs3Sender, cut_requests, logs3_body, whole_body
from braintrust_otel.spool import Spool
from tests.fake_braintrust import GOOD_KEY, FakeBraintrust

Row = dict[str, Any]


class _Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class _Point:
    x: int
    label: str


def _values(rng: random.Random) -> list[Any]:
    """Values of every kind a row may hold that orjson writes as ``dumps`` does."""
    text = "".join(rng.choice("ab é中🙂\n\"\\\t") for _ in range(rng.randint(0, 40)))
    nested = {"messages": [{"role": "user", "content": text}, {"role": "assistant",
                                                             "content": [1, 2.5, None]}],
              "deep": [[[{"k": (1, "two")}]]]}
    return [
        text, "", "x" * rng.randint(1, 3000), 0, -1, 2**63 - 1, -(2**63), 1.5, -0.0, 1e-7,
        1e300, True, False, None, [], {}, nested,
        RawJson(json_text(nested)), RawJson(json_text(text)), RawJson(json_text([1.25, "é"])),
        datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc),
        datetime.date(2026, 2, 3), uuid.UUID(int=rng.getrandbits(128)), {3, 1, 2},
        b"\x00\x01", _Color.RED, _Point(1, "é"), (1, [2, {"a": "b"}]),
    ]


def _rows(n: int, seed: int, pad: tuple[int, int] = (0, 0)) -> list[Row]:
    rng = random.Random(seed)
    rows: list[Row] = []
    for i in range(n):
        row: Row = {"id": f"row-{seed}-{i}", "project_id": "p", "log_id": "g",
                    "span_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                    "metrics": {"start": rng.random() * 1e9, "end": rng.random() * 1e9}}
        for key in ("input", "output", "metadata", "context"):
            if rng.random() < 0.8:
                row[key] = rng.choice(_values(rng))
        if pad[1]:
            row["pad"] = "p" * rng.randint(*pad)
        rows.append(row)
    return rows


def test_the_one_call_body_is_the_row_by_row_body_byte_for_byte() -> None:
    # Every kind of value, spliced RawJson texts, unicode, nesting, any row count.
    for seed in range(60):
        rows = _rows(random.Random(seed).randint(0, 40), seed)
        assert whole_body(rows) == logs3_body([dumps(r) for r in rows]), seed
    big = _rows(3, 99, pad=(2_000_000, 2_000_000))
    assert whole_body(big) == logs3_body([dumps(r) for r in big])


@pytest.mark.parametrize("bad", [
    float("nan"), float("inf"), -float("inf"), {"score": float("nan")}, [1, float("inf")],
    orjson.Fragment(b'{"raw": 1}'), 2**64, -(2**70), {1: "int key"}, "lone \ud800",
    RawJson('"lone \ud800"'), {"k": "\udfff"},
], ids=repr)
def test_a_value_dumps_does_not_leave_to_orjson_refuses_the_one_call(bad: Any) -> None:
    rows = _rows(5, 1)
    assert whole_body(rows) is not None
    rows[3]["output"] = bad
    assert whole_body(rows) is None


@pytest.fixture
def fake() -> Iterator[FakeBraintrust]:
    with FakeBraintrust(payload_limit=None) as server:
        yield server


def _sender(fake: FakeBraintrust, sent: list[bytes]) -> Logs3Sender:
    conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=5)

    def record(resp: Any, *args: Any, **kwargs: Any) -> None:
        if resp.request.path_url == "/logs3":
            body = resp.request.body
            ref = json.loads(body)["rows"]
            # An overflow's reference: what the service reads is the upload.
            sent.append(fake.uploads[ref["key"]] if isinstance(ref, dict) else body)

    conn.session.hooks["response"].append(record)
    spool = Spool(Path(tempfile.mkdtemp(prefix="logs3-bodies-")))
    return Logs3Sender(conn, spool, {"sent": 0, "rejected": 0, "requests": 0},
                       object_ids=lambda parent: {"project_id": "p", "log_id": "g"},
                       closing=lambda: False, budget=lambda: None)


def _row_by_row(rows: list[Row], limit: int, batch_rows: int) -> list[bytes]:
    """The bodies encoding each row on its own gives (the path before the one call)."""
    encoded = [dumps(r) for r in rows]
    bodies, start = [], 0
    for end in cut_requests(encoded, limit, batch_rows):
        bodies.append(logs3_body(encoded[start:end]))
        start = end
    return bodies


def _deliver(fake: FakeBraintrust, rows: list[Row], limit: int | None,
             batch_rows: int) -> list[bytes]:
    fake.payload_limit = limit
    sent: list[bytes] = []
    leftover, down = _sender(fake, sent).deliver(rows, batch_rows, RetryPolicy(3, 0.01, 0.05))
    assert (leftover, down) == ([], None)
    return sent


@pytest.mark.parametrize("limit,batch_rows,n,pad", [
    (None, 7, 50, (0, 0)),          # cut by the row count only (the 6 MB default)
    (None, 1000, 40, (0, 0)),       # one request
    (None, 1, 5, (0, 0)),           # a row per request
    (20_000, 1000, 60, (0, 3000)),  # cut by bytes inside each batch of rows
    (20_000, 9, 80, (0, 3000)),     # by bytes and by count
    (8_000, 5, 30, (0, 12_000)),    # rows past the limit alone, through the overflow
], ids=str)
def test_deliveries_send_the_row_by_row_bytes_in_the_row_by_row_cuts(
        fake: FakeBraintrust, limit: int | None, batch_rows: int, n: int,
        pad: tuple[int, int]) -> None:
    for seed in range(3):
        rows = _rows(n, seed, pad)
        expected = _row_by_row(rows, limit or 6 * 1024 * 1024, batch_rows)
        assert _deliver(fake, rows, limit, batch_rows) == expected


def test_refused_rows_among_rows_cut_by_bytes_keep_the_row_by_row_cuts(
        fake: FakeBraintrust) -> None:
    # A batch holding a refused row is cut row by row; its last request may
    # take rows of the next batch (as one cut over all rows would), and the
    # batches after it go back to one call each.
    for seed in range(4):
        rows = _rows(90, seed, pad=(0, 3000))
        for i in random.Random(seed).sample(range(90), 3):
            rows[i]["input"] = float("nan")
        expected = _row_by_row(rows, 20_000, 9)
        assert _deliver(fake, rows, 20_000, 9) == expected
        assert fake.rows[rows[-1]["id"]]["id"] == rows[-1]["id"]


def test_a_request_exactly_at_the_cut_boundary_is_cut_as_row_by_row(
        fake: FakeBraintrust) -> None:
    # A body fits when it is at most limit - 1 bytes (a comma's room is kept for
    # each row): the one call's test must give the same cut at and around it.
    rows = _rows(4, 7)
    body = whole_body(rows)
    assert body is not None
    for limit in (len(body) - 1, len(body), len(body) + 1, len(body) + 2):
        expected = _row_by_row(rows, limit, 1000)
        assert _deliver(fake, [dict(r) for r in rows], limit, 1000) == expected
    assert len(_row_by_row(rows, len(body), 1000)) == 2
    assert len(_row_by_row(rows, len(body) + 1, 1000)) == 1


@pytest.mark.parametrize("bad,stored", [
    (float("nan"), "NaN"), (float("-inf"), "-Infinity"), (2**70, 2**70),
    (orjson.Fragment(b'{"raw": 1}'), None), ({1: "int key"}, {"1": "int key"}),
    ("lone \ud800", "lone \ufffd"), (RawJson('"lone \ud800"'), "lone \ufffd"),
], ids=repr)
def test_one_bad_row_takes_the_row_by_row_path_and_the_rest_are_sent(
        fake: FakeBraintrust, bad: Any, stored: Any) -> None:
    rows = _rows(25, 3)
    rows[12]["output"] = bad
    expected = _row_by_row(rows, 6 * 1024 * 1024, 10)
    diagnostics.reset()
    assert _deliver(fake, rows, None, 10) == expected
    assert set(fake.rows) == {r["id"] for r in rows}
    if stored is not None:
        assert fake.rows[rows[12]["id"]]["output"] == stored
    surrogates = isinstance(stored, str) and "\ufffd" in stored
    assert diagnostics.counts().get("encoding", 0) == (1 if surrogates else 0)


def test_only_a_batch_holding_a_refused_row_is_encoded_row_by_row(
        fake: FakeBraintrust, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counted(value: Any) -> str:
        calls.append(1)
        return dumps(value)

    monkeypatch.setattr(_logs3, "dumps", counted)
    rows = _rows(30, 4)
    assert len(_deliver(fake, rows, None, 10)) == 3
    assert calls == []  # each request's body in one call
    rows = _rows(30, 5)
    rows[14]["input"] = float("nan")
    assert len(_deliver(fake, rows, None, 10)) == 3
    assert len(calls) == 10  # the second request's rows only


def test_a_413_after_one_call_halves_into_the_row_by_row_bodies(fake: FakeBraintrust) -> None:
    rows = _rows(10, 6)
    encoded = [dumps(r) for r in rows]
    fake.fail("/logs3", 413)
    sent = _deliver(fake, rows, None, 1000)
    # The refused request, then its halves.
    assert sent == [logs3_body(encoded), logs3_body(encoded[:5]), logs3_body(encoded[5:])]
    assert set(fake.rows) == {r["id"] for r in rows}


def test_a_single_row_past_the_limit_reports_its_size_to_the_overflow(
        fake: FakeBraintrust) -> None:
    row = _rows(1, 8, pad=(50_000, 50_000))[0]
    text = dumps(row).encode()
    assert _deliver(fake, [row], 10_000, 1000) == [logs3_body([dumps(row)])]
    meta = next(r["body"] for r in fake.requests if r["path"] == "/logs3/overflow")
    assert meta["rows"][0]["input_row"] == {"byte_size": len(text)}
    assert meta["size_bytes"] == len(logs3_body([dumps(row)]))


def test_after_rows_cut_by_bytes_the_next_delivery_skips_the_one_call(
        fake: FakeBraintrust, monkeypatch: pytest.MonkeyPatch) -> None:
    # A one-call body past the limit is thrown away: once rows needed a cut by
    # bytes, the next delivery goes row by row at once, until one needs none.
    calls: list[int] = []

    def counted(rows: list[Row]) -> bytes | None:
        calls.append(len(rows))
        return whole_body(rows)

    monkeypatch.setattr(_logs3, "whole_body", counted)
    fake.payload_limit = 20_000
    sent: list[bytes] = []
    sender = _sender(fake, sent)
    deliveries = [_rows(40, 1, pad=(2000, 3000)), _rows(40, 2, pad=(2000, 3000)),
                  _rows(5, 3), _rows(5, 4)]
    expected: list[bytes] = []
    seen: list[list[int]] = []
    for rows in deliveries:
        expected += _row_by_row(rows, 20_000, 1000)
        assert sender.deliver(rows, 1000, RetryPolicy(3, 0.01, 0.05)) == ([], None)
        seen.append(list(calls))
    assert seen == [[40], [40], [40], [40, 5]]
    assert sent == expected


def test_without_orjson_every_request_goes_row_by_row(
        fake: FakeBraintrust, monkeypatch: pytest.MonkeyPatch) -> None:
    # (PyPy has no orjson: the standard path encodes everything, as before.)
    from braintrust_otel import serialize

    monkeypatch.setattr(serialize, "_orjson_dumps", None)
    rows = _rows(30, 9)
    assert whole_body(rows) is None
    expected = _row_by_row(rows, 6 * 1024 * 1024, 7)
    assert _deliver(fake, rows, None, 7) == expected
    assert set(fake.rows) == {r["id"] for r in rows}
