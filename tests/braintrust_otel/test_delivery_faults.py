"""Delivery under faults: stale spool claims, flush timeouts, slow and hanging services.

Every test runs the real pipeline (OTel spans -> processor -> exporter ->
HTTP sink) against the fake service on 127.0.0.1, and asserts behaviour:
who waited, what is in the spool, which ids arrived and how often.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from opentelemetry.sdk.trace import TracerProvider

from braintrust_otel import diagnostics
from braintrust_otel.api import ApiConnection
from braintrust_otel.exporter import BraintrustSpanExporter
from braintrust_otel.ids import row_id
from braintrust_otel.processor import BraintrustSpanProcessor
from braintrust_otel.sinks.http import HttpSink
from braintrust_otel.spool import Spool
from tests.fake_braintrust import GOOD_KEY, FakeBraintrust


@pytest.fixture
def fake() -> Iterator[FakeBraintrust]:
    with FakeBraintrust(record_bodies=False) as server:
        yield server


def _sink(fake: FakeBraintrust, tmp_path: Path, timeout: float = 5) -> HttpSink:
    conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=timeout)
    return HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01, backoff_cap=0.05,
                    cooldown_cap=0.2)


def _pipeline(sink: HttpSink) -> tuple[TracerProvider, BraintrustSpanProcessor]:
    processor = BraintrustSpanProcessor(BraintrustSpanExporter(sink), max_batch_size=50)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    return provider, processor


def _network_threads(sink: HttpSink) -> set[str]:
    """The names of the threads that make each request to the service, as they happen."""
    names: set[str] = set()

    def record(request: requests.PreparedRequest, *args: object, **kwargs: object) -> None:
        names.add(threading.current_thread().name)

    sink.conn.session.hooks["response"].append(lambda resp, **kw: record(resp.request))
    # A hanging request never gets a response: record the sender as it starts.
    send = sink.conn.session.send

    def sending(request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        record(request)
        return send(request, **kwargs)  # type: ignore[arg-type]

    sink.conn.session.send = sending  # type: ignore[method-assign]
    return names


def _end_spans(provider: TracerProvider, n: int) -> set[str]:
    tracer = provider.get_tracer("faults")
    ids = set()
    for i in range(n):
        with tracer.start_as_current_span(f"s{i}") as span:
            span.set_attribute("braintrust.parent", "project_name:faults")
            ctx = span.get_span_context()
            ids.add(row_id(ctx.trace_id, ctx.span_id))
    return ids


def _wait_for(processor: BraintrustSpanProcessor, state: Callable[[], bool]) -> None:
    # Short flushes hand queued spans on; the loop waits for a state, with a
    # generous bound only so that a broken build fails instead of hanging.
    for _ in range(600):
        processor.force_flush(100)
        if state():
            return
    raise AssertionError("the expected state was never reached")


def _delivered_once(fake: FakeBraintrust, n: int) -> None:
    assert len(fake.rows) == n
    assert fake.row_writes == n  # each row stored by exactly one accepted request


# -- item 5: stale claims ----------------------------------------------------


_CLAIM_AND_DIE = """
    import os, signal, sys
    from braintrust_otel.spool import Spool
    taken = Spool(sys.argv[1]).take()
    assert taken is not None
    print(taken[0].name, flush=True)
    if sys.argv[2] == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    sys.stdin.read()  # holds the claim until the test closes stdin
"""


def _claim_in_child(folder: Path, how: str) -> tuple[subprocess.Popen[str], Path]:
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(_CLAIM_AND_DIE),
                              str(folder), how], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    claimed = folder / child.stdout.readline().strip()
    assert claimed.exists()
    return child, claimed


def _as_if_claimed_by_pid(claimed: Path, pid: int) -> Path:
    # What a claim looks like when the next container's process has the
    # same pid as the killed one (pid 1 in every container).
    head, owner = claimed.name.split(".claimed-")
    token = owner.partition("-")[2]
    renamed = claimed.with_name(f"{head}.claimed-{pid}" + (f"-{token}" if token else ""))
    os.rename(claimed, renamed)
    return renamed


def test_a_claim_by_a_killed_process_is_reclaimed_even_when_its_pid_is_reused(
        tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    Spool(folder).put([{"id": "r1", "input": 1}, {"id": "r2", "input": 2}])
    child, claimed = _claim_in_child(folder, "die")
    assert child.wait(timeout=30) == -signal.SIGKILL
    _as_if_claimed_by_pid(claimed, os.getpid())
    spool = Spool(folder)
    assert spool.pending_rows() == 2  # the dead owner's claim is taken back
    taken = spool.take()
    assert taken is not None
    assert sorted(r["id"] for r in taken[1]) == ["r1", "r2"]


def test_a_claim_by_a_live_process_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    Spool(folder).put([{"id": "r1"}])
    child, claimed = _claim_in_child(folder, "hold")
    try:
        # Even with a pid that is dead here, a held claim stays with its owner.
        dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                                  capture_output=True, text=True).stdout.strip()
        _as_if_claimed_by_pid(claimed, int(dead_pid))
        assert Spool(folder).take() is None
        assert Spool(folder).pending_rows() == 0  # being sent by its live owner
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    taken = Spool(folder).take()  # the owner exited without sending: the file is back
    assert taken is not None and [r["id"] for r in taken[1]] == ["r1"]


def test_a_pid_only_claim_from_an_older_version_with_our_pid_is_reclaimed(
        tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    spool = Spool(folder)
    spool.put([{"id": "old"}])
    (path,) = folder.glob("*.rows.json")
    os.rename(path, path.with_name(f"{path.name}.claimed-{os.getpid()}"))
    taken = spool.take()
    assert taken is not None and [r["id"] for r in taken[1]] == ["old"]


# -- item 6: flush uses its timeout -----------------------------------------


def test_flush_keeps_retrying_for_its_whole_timeout(fake: FakeBraintrust,
                                                   tmp_path: Path) -> None:
    sink = _sink(fake, tmp_path)
    provider, processor = _pipeline(sink)
    # More failures than two full retry cycles (4 tries each), then it recovers.
    fake.fail("/logs3", 503, times=3 * sink.attempts)
    ids = _end_spans(provider, 40)
    assert processor.force_flush(60_000) is True
    assert set(fake.rows) == ids
    _delivered_once(fake, 40)
    assert sink.spool.pending_rows() == 0
    sink._start_closing()


# -- item 7: a slow or hanging service never makes producers wait ------------


def test_a_service_answering_429_retry_after_60_spills_to_the_spool(
        fake: FakeBraintrust, tmp_path: Path) -> None:
    sink = _sink(fake, tmp_path)
    sink.conn.login()
    threads = _network_threads(sink)
    provider, processor = _pipeline(sink)
    fake.set_mode("429", retry_after="60")
    ids = _end_spans(provider, 1500)
    # Every row ends up on disk, not held in memory.
    _wait_for(processor, lambda: sink.spool.pending_rows() == 1500)
    assert processor.force_flush(100) is False  # the service still says wait
    # Only the sender thread talked to the service: neither the thread ending
    # spans nor the processor's worker ever waited on the network.
    assert threads == {"braintrust-http-send"}
    assert fake.throttled >= 1 and len(fake.rows) == 0
    assert diagnostics.counts().get("dropped", 0) == 0
    fake.set_mode("healthy")
    assert processor.force_flush(60_000) is True  # an explicit flush tries at once
    assert set(fake.rows) == ids
    _delivered_once(fake, 1500)
    assert sink.spool.pending_rows() == 0
    sink._start_closing()


def test_a_hanging_service_spills_to_the_spool(fake: FakeBraintrust, tmp_path: Path) -> None:
    sink = _sink(fake, tmp_path, timeout=600)
    sink.conn.login()
    sink.conn.project_id("faults")
    sink.max_buffered_rows = 200
    threads = _network_threads(sink)
    provider, processor = _pipeline(sink)
    fake.set_mode("hang")
    ids = _end_spans(provider, 1500)
    # The sender is stuck in one request holding what it took from the buffer
    # (at most max_buffered_rows), and the bound sends all but that many more
    # to disk.
    bound = 2 * sink.max_buffered_rows
    _wait_for(processor, lambda: processor.queued == 0 and fake.hung == 1
              and 1500 - sink.spool.pending_rows() <= bound)
    assert processor.force_flush(100) is False
    assert threads == {"braintrust-http-send"}
    assert fake.hung == 1
    assert diagnostics.counts().get("dropped", 0) == 0
    fake.set_mode("healthy")  # the hung request's connection drops; the sender retries
    assert processor.force_flush(60_000) is True
    assert set(fake.rows) == ids
    _delivered_once(fake, 1500)
    sink._start_closing()


def test_exit_flush_against_a_hanging_service_spools_and_the_next_process_sends(
        fake: FakeBraintrust, tmp_path: Path) -> None:
    env = dict(os.environ, BRAINTRUST_API_KEY=GOOD_KEY, BRAINTRUST_APP_URL=fake.url,
               BRAINTRUST_SPOOL_DIR=str(tmp_path / "spool"), BRAINTRUST_HTTP_TIMEOUT="600",
               BRAINTRUST_EXIT_FLUSH_SECONDS="1", OTEL_BSP_SCHEDULE_DELAY="3600000")
    fake.set_mode("hang")  # from login on: nothing is ever answered
    first = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import braintrust
        logger = braintrust.init_logger(project="exit-hang")
        for i in range(300):
            logger.log(input=i)
    """)], env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert fake.hung >= 1
    assert Spool(tmp_path / "spool").pending_rows() == 300
    fake.set_mode("healthy")
    second = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import braintrust
        braintrust.init_logger(project="exit-hang")
        assert braintrust.flush()
    """)], env=dict(env, BRAINTRUST_EXIT_FLUSH_SECONDS="10"), capture_output=True,
                            text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert sorted(r["input"] for r in fake.rows.values()) == list(range(300))
    _delivered_once(fake, 300)
    assert Spool(tmp_path / "spool").pending_rows() == 0


@pytest.fixture(autouse=True)
def _quiet_diagnostics() -> Iterator[None]:
    diagnostics.reset()
    yield
    diagnostics.reset()


def test_shutdown_ends_the_sender_thread(fake: FakeBraintrust, tmp_path: Path) -> None:
    sink = _sink(fake, tmp_path)
    sink.write([{"id": "r1", "input": 1, "_parent": "project_name:faults"}])
    sender = sink._sender
    assert sender is not None
    sink.shutdown()
    sender.join(timeout=60)  # a bound for a broken build, not a timing claim
    assert not sender.is_alive()
    _delivered_once(fake, 1)
