"""Context across threads and asyncio; bursts; several processes on one store."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import TracerProvider

import braintrust
from braintrust_otel import BraintrustSpanExporter, BraintrustSpanProcessor
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.store import Store
from tests.conftest import StoreHelper, run_python, stored_rows


def test_traced_thread_pool_keeps_the_parent(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    def work(i: int) -> int:
        return i * i

    with braintrust.start_span(name="fanout") as root, braintrust.TracedThreadPoolExecutor(
        max_workers=4
    ) as pool:
        assert list(pool.map(work, range(8))) == [i * i for i in range(8)]
    rows = store.rows()
    workers = [r for r in rows if r["span_attributes"]["name"] == "work"]
    assert len(workers) == 8
    assert all(r["span_parents"] == [root.span_id] for r in workers)


def test_traced_thread_pool_takes_fn_by_keyword(store: StoreHelper) -> None:
    """``submit(fn=...)`` works, as with the official SDK's executor."""
    braintrust.init_logger(project="p")

    @braintrust.traced
    def work(n: int) -> int:
        return n + 1

    with braintrust.start_span(name="root") as root, \
            braintrust.TracedThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(fn=work, n=1).result() == 2
    [row] = [r for r in store.rows() if r["span_attributes"]["name"] == "work"]
    assert row["span_parents"] == [root.span_id]


def test_plain_thread_pool_starts_new_traces_and_bind_context_fixes_it(
    store: StoreHelper,
) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    def work() -> None:
        pass

    with braintrust.start_span(name="root") as root:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(work).result()
        thread = threading.Thread(target=braintrust.bind_context(work))
        thread.start()
        thread.join()
    rows = [r for r in store.rows() if r["span_attributes"]["name"] == "work"]
    parents = sorted(str(r["span_parents"]) for r in rows)
    assert parents == sorted(["None", str([root.span_id])])


def test_asyncio_tasks_inherit_the_current_span(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    async def step(i: int) -> int:
        await asyncio.sleep(0.001 * (3 - i))
        return i

    async def main() -> None:
        with braintrust.start_span(name="gather"):
            await asyncio.gather(*(step(i) for i in range(3)))

    asyncio.run(main())
    rows = store.by_name()
    assert rows["step"]["span_parents"] == [rows["gather"]["span_id"]]
    steps = [r for r in store.rows() if r["span_attributes"]["name"] == "step"]
    assert len(steps) == 3
    assert all(r["span_parents"] == [rows["gather"]["span_id"]] for r in steps)


def test_burst_of_20000_spans_loses_none(store: StoreHelper) -> None:
    braintrust.init_logger(project="burst")
    ids = set()
    for i in range(20_000):
        with braintrust.start_span(name="x") as span:
            span.log(input={"i": i}, output=i)
        ids.add(span.id)
    rows = store.rows("burst")
    assert len(rows) == 20_000
    assert {r["id"] for r in rows} == ids
    assert sorted(r["output"] for r in rows) == list(range(20_000))


def test_full_queue_applies_backpressure_instead_of_dropping(tmp_path: Path) -> None:
    proc = run_python(
        """
        import time
        from opentelemetry.sdk.trace import TracerProvider
        from braintrust_otel import BraintrustSpanProcessor, BraintrustSpanExporter, diagnostics
        from braintrust_otel.sinks.local import LocalSink

        class SlowSink(LocalSink):
            def write(self, rows):
                time.sleep(0.01)
                super().write(rows)

        exporter = BraintrustSpanExporter(SlowSink(notice=False))
        processor = BraintrustSpanProcessor(exporter, max_queue_size=50, max_batch_size=20,
                                            default_parent="project_name:bp")
        provider = TracerProvider()
        provider.add_span_processor(processor)
        tracer = provider.get_tracer("t")
        for i in range(2000):
            with tracer.start_as_current_span(f"s{i}"):
                pass
            assert processor.queued <= 51
        provider.force_flush()
        print(diagnostics.counts())
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "{}"
    assert len(stored_rows(tmp_path / "sub.sqlite", "bp")) == 2000


def test_stuck_exporter_drops_are_counted_and_reported(tmp_path: Path) -> None:
    proc = run_python(
        """
        import threading
        from opentelemetry.sdk.trace import TracerProvider
        from braintrust_otel import BraintrustSpanProcessor, diagnostics
        from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

        gate = threading.Event()
        class Stuck(SpanExporter):
            def export(self, spans):
                gate.wait()
                return SpanExportResult.SUCCESS

        processor = BraintrustSpanProcessor(Stuck(), max_queue_size=10, max_batch_size=5,
                                            block_timeout=0.05)
        provider = TracerProvider()
        provider.add_span_processor(processor)
        tracer = provider.get_tracer("t")
        for i in range(40):
            tracer.start_span(f"s{i}").end()
        print(diagnostics.counts().get("dropped", 0))
        gate.set()
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    dropped = int(proc.stdout.strip())
    assert 0 < dropped < 40
    assert "span queue full" in proc.stderr


def test_several_processes_write_one_store(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"
    code = """
        import braintrust
        logger = braintrust.init_logger(project="shared")
        for i in range(500):
            with logger.start_span(name="w") as s:
                s.log(input=i)
        braintrust.flush()
    """
    env = {"BRAINTRUST_LOCAL_STORE": str(db)}
    import os
    import subprocess
    import sys
    import textwrap
    procs = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                         env=dict(os.environ, **env), stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert len(stored_rows(db, "shared")) == 1500
    assert len(Store(db).projects()) == 1


def test_fork_child_delivers_its_own_spans_once(tmp_path: Path) -> None:
    proc = run_python(
        """
        import os
        import braintrust
        logger = braintrust.init_logger(project="fork")
        logger.log(input="parent-before")
        pid = os.fork()
        if pid == 0:
            logger.log(input="child")
            braintrust.flush()
            os._exit(0)
        os.waitpid(pid, 0)
        logger.log(input="parent-after")
        braintrust.flush()
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    inputs = sorted(r["input"] for r in stored_rows(tmp_path / "sub.sqlite", "fork"))
    assert inputs == ["child", "parent-after", "parent-before"]


def test_a_backlog_goes_into_the_store_in_transactions_of_up_to_2048_spans(
        tmp_path: Path) -> None:
    # Each write to the store is one transaction; under a backlog the
    # processor hands it up to its rows_per_write, past the 512-span batch.
    gate = threading.Event()
    sizes: list[int] = []

    class Recording(LocalSink):
        def write(self, rows: Sequence[Any]) -> None:
            sizes.append(len(rows))
            if len(sizes) == 1:
                gate.wait(30)  # a backlog builds while the first write is busy
            super().write(rows)

    processor = BraintrustSpanProcessor(
        BraintrustSpanExporter(Recording(tmp_path / "s.sqlite", notice=False)),
        default_parent="project_name:bp", schedule_delay=0)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("t")
    try:
        tracer.start_span("first").end()
        deadline = time.monotonic() + 30
        while not sizes and time.monotonic() < deadline:
            time.sleep(0.01)
        for i in range(5000):
            tracer.start_span(f"s{i}").end()
        gate.set()
        assert provider.force_flush()
    finally:
        gate.set()
        provider.shutdown()
    assert sizes[0] == 1
    assert sizes[1] == 2048 and max(sizes) == 2048
    assert sum(sizes) == 5001
    assert len(stored_rows(tmp_path / "s.sqlite", "bp")) == 5001


def test_asking_the_exporter_for_rows_per_write_does_not_make_its_sink(tmp_path: Path) -> None:
    # The processor asks at every drain; the default sink (and sqlite3) must
    # still load only when the first span is exported.
    exporter = BraintrustSpanExporter()
    assert exporter.rows_per_write is None
    assert exporter._sink is None
    exporter.sink = LocalSink(tmp_path / "s.sqlite", notice=False)
    assert exporter.rows_per_write == LocalSink.rows_per_write == 2048
