"""braintrust serve: ingest rate through /logs3 and /otel/v1/traces, and the logs page.

The server runs in its own process (``braintrust serve``) on 127.0.0.1; the
client posts batches of 1,000 small rows (or spans), then times the first
page of a project's logs with 100,000 rows in the store (median of 10
requests on loopback, so it is server time plus a little HTTP).

Then the same /logs3 ingest from 4 client processes at once, on SQLite and on
PostgreSQL (a throwaway cluster, as the tests start one), each server with
``--workers 2``; it prints rows/s for each and their ratio.

    python benchmarks/server_ingest.py [--rows 50000] [--engines-only]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--page-rows", type=int, default=100_000)
    parser.add_argument("--engines-only", action="store_true",
                        help="only the SQLite vs PostgreSQL ingest from 4 clients")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not args.engines_only:
        _single(args)
    _engines(args)


def _single(args: argparse.Namespace) -> None:
    tmp = tempfile.mkdtemp()
    store_path = os.path.join(tmp, "serve.sqlite")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "braintrust", "serve", "--port", str(port),
                               "--store", store_path], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(url + "/version", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        session = requests.Session()
        pid = session.post(url + "/v1/project", json={"name": "bench"}, timeout=10).json()["id"]
        batches = args.rows // 1000
        t0 = time.perf_counter()
        for b in range(batches):
            rows = [{"id": str(uuid.uuid4()), "project_id": pid, "log_id": "g",
                     "span_id": uuid.uuid4().hex[:16], "root_span_id": uuid.uuid4().hex,
                     "span_parents": None, "created": "2026-11-26T00:00:00+00:00",
                     "input": {"i": b * 1000 + i}, "output": "ok",
                     "span_attributes": {"name": "x", "type": "task"}} for i in range(1000)]
            session.post(url + "/logs3", json={"rows": rows, "api_version": 2},
                         timeout=60).raise_for_status()
        logs3_rate = args.rows / (time.perf_counter() - t0)

        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        memory = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        tracer = provider.get_tracer("bench")
        for i in range(1000):
            with tracer.start_as_current_span("otlp", attributes={"i": i, "k": "v"}):
                pass
        body = encode_spans(memory.get_finished_spans()).SerializeToString()
        headers = {"Content-Type": "application/x-protobuf",
                   "x-bt-parent": "project_name:bench-otlp"}
        t0 = time.perf_counter()
        for _ in range(batches):
            session.post(url + "/otel/v1/traces", data=body, headers=headers,
                         timeout=60).raise_for_status()
        otlp_rate = args.rows / (time.perf_counter() - t0)

        # The logs page with many rows: fill the store directly, then time the page.
        from braintrust_otel.store import Store

        store = Store(store_path)
        page_pid = store.ensure_project(name="big")["id"]
        for b in range(args.page_rows // 5000):
            store.write([("project_logs", page_pid, {
                "id": str(uuid.uuid4()), "span_id": uuid.uuid4().hex[:16],
                "root_span_id": uuid.uuid4().hex, "span_parents": None,
                "created": f"2026-11-26T00:00:{(b * 5000 + i) % 60:02d}.{i:06d}+00:00",
                "input": {"i": i}, "output": "ok"}) for i in range(5000)])
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            session.get(f"{url}/ui-api/projects/{page_pid}/logs?limit=50",
                        timeout=60).raise_for_status()
            times.append(time.perf_counter() - t0)
        search_t0 = time.perf_counter()
        session.get(f"{url}/ui-api/projects/{page_pid}/logs?limit=50&search=nothing-matches",
                    timeout=60).raise_for_status()
        search = time.perf_counter() - search_t0
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"braintrust serve on 127.0.0.1 (python {sys.version.split()[0]}):")
    print(f"  /logs3:          {logs3_rate:9,.0f} rows/s ({args.rows:,} rows, batches of 1,000)")
    print(f"  /otel/v1/traces: {otlp_rate:9,.0f} spans/s (protobuf, batches of 1,000)")
    print(f"  logs page, {args.page_rows:,} rows: first page {statistics.median(times) * 1000:.1f}"
          f" ms (median of 10; {min(times) * 1000:.1f}-{max(times) * 1000:.1f}); a search with no"
          f" match scans them all in {search * 1000:.0f} ms")


def _wait_up(url: str) -> None:
    for _ in range(300):
        try:
            requests.get(url + "/version", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def _client(url: str, project_id: str, batches: int, seed: int) -> None:
    session = requests.Session()
    for b in range(batches):
        rows = [{"id": str(uuid.uuid4()), "project_id": project_id, "log_id": "g",
                 "span_id": uuid.uuid4().hex[:16], "root_span_id": uuid.uuid4().hex,
                 "span_parents": None, "created": "2026-11-26T00:00:00+00:00",
                 "input": {"i": seed * 1_000_000 + b * 1000 + i}, "output": "ok",
                 "span_attributes": {"name": "x", "type": "task"}} for i in range(1000)]
        session.post(url + "/logs3", json={"rows": rows, "api_version": 2},
                     timeout=120).raise_for_status()


def _concurrent_rate(store: str, rows: int, clients: int, workers: int) -> float:
    import multiprocessing

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "braintrust", "serve", "--port", str(port),
                               "--store", store, "--workers", str(workers)],
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url)
        pid = requests.post(url + "/v1/project", json={"name": "bench"}, timeout=10).json()["id"]
        batches = max(1, rows // 1000 // clients)
        procs = [multiprocessing.Process(target=_client, args=(url, pid, batches, c))
                 for c in range(clients)]
        t0 = time.perf_counter()
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        elapsed = time.perf_counter() - t0
        if any(proc.exitcode for proc in procs):
            raise RuntimeError("a client failed")
        return batches * 1000 * clients / elapsed
    finally:
        server.terminate()
        server.wait(timeout=30)


def _engines(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.postgres_server import PostgresServer

    sqlite_rate = _concurrent_rate(os.path.join(tempfile.mkdtemp(), "serve.sqlite"),
                                   args.rows, args.clients, args.workers)
    try:
        pg = PostgresServer()
    except RuntimeError as exc:
        print(f"  PostgreSQL: not measured ({exc})")
        return
    try:
        pg_rate = _concurrent_rate(pg.new_database(), args.rows, args.clients, args.workers)
    finally:
        pg.stop()
    print(f"/logs3 from {args.clients} client processes, --workers {args.workers} "
          f"({args.rows:,} rows, batches of 1,000):")
    print(f"  SQLite:     {sqlite_rate:9,.0f} rows/s")
    print(f"  PostgreSQL: {pg_rate:9,.0f} rows/s  ({pg_rate / sqlite_rate:.2f}x SQLite)")


if __name__ == "__main__":
    main()
