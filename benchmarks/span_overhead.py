"""Span overhead: the braintrust facade against bare OpenTelemetry, in one run.

Each measurement runs in a fresh subprocess (a process can set its global
TracerProvider only once), several times; the best and median loop times
are reported, and ratios against the bare-OTel baseline measured in this
same run.

    python benchmarks/span_overhead.py [--spans 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any


def _bare_otel(n: int) -> dict[str, float]:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class Drop(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Drop()))
    trace.set_tracer_provider(provider)
    tracer = trace.get_tracer("bench")
    dumps = json.dumps
    for _ in range(200):
        with tracer.start_as_current_span("x") as s:
            s.set_attribute("braintrust.input_json", dumps({"a": 1}))
    t0 = time.perf_counter()
    for _ in range(n):
        with tracer.start_as_current_span("x") as s:
            s.set_attribute("braintrust.input_json", dumps({"a": 1}))
            s.set_attribute("braintrust.output_json", dumps({"b": 2}))
    loop = time.perf_counter() - t0
    provider.force_flush()
    return {"loop_us": loop / n * 1e6}


def _facade(n: int, mode: str) -> dict[str, float]:
    import braintrust
    from braintrust import _state
    from braintrust_otel.sinks.local import LocalSink

    class DropSink:
        def write(self, rows: Any) -> None:
            pass

        def flush(self, timeout: float | None = None) -> bool:
            return True

        def shutdown(self) -> None:
            pass

    braintrust.init_logger(project="bench")
    sink: Any = LocalSink(notice=False) if mode.endswith("store") else DropSink()
    _state.exporter().sink = sink

    @braintrust.traced
    def work(a: int) -> dict[str, int]:
        return {"b": a}

    def one_span() -> None:
        with braintrust.start_span(name="x") as s:
            s.log(input={"a": 1}, output={"b": 2})

    fn = (lambda: work(1)) if mode.startswith("traced") else one_span
    for _ in range(200):
        fn()
    braintrust.flush()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    loop = time.perf_counter() - t0
    braintrust.flush()
    total = time.perf_counter() - t0
    out = {"loop_us": loop / n * 1e6, "total_s": total, "spans_per_s": n / total}
    if mode.endswith("store"):
        store = sink.store
        project = store.find_project(name="bench")
        out["stored"] = store.count("project_logs", project["id"]) - 200
    return out


def _worker(kind: str, n: int) -> None:
    if kind == "otel":
        result = _bare_otel(n)
    elif kind == "export":
        result = _export_only(n)
    else:
        result = _facade(n, kind)
    print(json.dumps(result))


def _run(kind: str, n: int, store_dir: str) -> dict[str, float]:
    db = os.path.join(store_dir, f"{kind}-{time.time_ns()}.db")
    env = dict(os.environ, BRAINTRUST_LOCAL_STORE=db)
    env.pop("BRAINTRUST_API_KEY", None)
    if kind.endswith("deferred"):
        # Export waits for the final flush: the loop shows the calling thread's own cost.
        env.update(OTEL_BSP_SCHEDULE_DELAY="3600000", OTEL_BSP_MAX_EXPORT_BATCH_SIZE="100000000")
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--spans", str(n)],
        check=True, capture_output=True, text=True, env=env,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker")
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.spans)
        return
    kinds = {
        "otel": "bare OTel span (BatchSpanProcessor, dropping exporter)",
        "span-deferred": "start_span + log + end, export after the loop",
        "traced-deferred": "@traced call, export after the loop",
        "span-drop": "start_span + log + end, mapping alongside, dropping sink",
        "traced-drop": "@traced call, mapping alongside, dropping sink",
        "span-store": "start_span + log + end, into the embedded store",
    }
    results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for kind in kinds:  # interleaved, so drift hits every kind alike
                results[kind].append(_run(kind, args.spans, tmp))
    base = statistics.median(r["loop_us"] for r in results["otel"])
    print(f"{args.spans} spans per run, {args.repeat} runs each; python {sys.version.split()[0]}")
    print(f"{'workload':58} {'median us/span':>14} {'spread':>14} {'x bare OTel':>11}")
    for kind, label in kinds.items():
        loops = [r["loop_us"] for r in results[kind]]
        med = statistics.median(loops)
        spread = f"{min(loops):.1f}-{max(loops):.1f}"
        print(f"{label:58} {med:14.1f} {spread:>14} {med / base:11.2f}")
    store_runs = results["span-store"]
    rate = statistics.median(r["spans_per_s"] for r in store_runs)
    stored = [int(r["stored"]) for r in store_runs]
    print(f"\nend to end into the embedded store (spans made, mapped and stored, one "
          f"thread's GIL): {rate:,.0f} spans/s (median); rows stored per run: {stored}")
    export = _export_rate(args.spans)
    print(f"export alone (finished spans -> rows -> SQLite): {export:,.0f} spans/s")


def _export_rate(n: int) -> float:
    """Spans per second through mapping and the store, spans made beforehand."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, BRAINTRUST_LOCAL_STORE=os.path.join(tmp, "x.db"))
        out = subprocess.run([sys.executable, __file__, "--worker", "export", "--spans", str(n)],
                             check=True, capture_output=True, text=True, env=env)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["spans_per_s"])


def _export_only(n: int) -> dict[str, float]:
    import braintrust
    from braintrust import _state
    from braintrust_otel.sinks.local import LocalSink

    braintrust.init_logger(project="bench")
    _state.exporter().sink = LocalSink(notice=False)
    processor = _state.processor()
    processor._start_worker = lambda: None  # type: ignore[method-assign]
    for _ in range(n):
        with braintrust.start_span(name="x") as s:
            s.log(input={"a": 1}, output={"b": 2})
    t0 = time.perf_counter()
    braintrust.flush()
    return {"spans_per_s": n / (time.perf_counter() - t0)}


if __name__ == "__main__":
    main()
