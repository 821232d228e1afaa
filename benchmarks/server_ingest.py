"""braintrust serve: ingest rate through /logs3 and /otel/v1/traces, and the logs page.

The server runs in its own process (``braintrust serve``) on 127.0.0.1; the
client posts batches of 1,000 small rows (or spans), then times the first
page of a project's logs with 100,000 rows in the store (median of 10
requests on loopback, so it is server time plus a little HTTP).

    python benchmarks/server_ingest.py [--rows 50000]
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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
