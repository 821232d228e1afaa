"""Garbage collection per span in the pipeline workload, this SDK beside bare OTel.

Runs ``benchmarks/pipeline.py``'s workload (start_span + log of a ~2 KB message
list + end, 20,000 spans, delivering to the loopback stub; bare OTel: the same
spans, a dropping exporter) in a fresh process with a ``gc.callbacks`` hook
that records, per generation, how many collections ran, in which thread, how
many objects they walked (those of the collected generation and the younger
ones, a measure the machine's load does not move), what they took (wall,
``perf_counter`` between the hook's start and stop calls) and what they
collected, plus the number of GC-tracked objects after start-up and
at the end of the loop. Collections happen at allocation points, so the
thread that pays is whichever allocated the object that crossed the threshold.

With ``--store`` this SDK's contenders write into a new embedded store
instead (no API key), as ``pipeline.py --store-only`` does.

    python benchmarks/gc_cost.py [--spans 20000] [--runs 3] [--compare SRC ...] [--store]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import COLLECTOR, worker
from thread_cost import cell, run_fresh

ROOT = Path(__file__).resolve().parent.parent

HOOK = """
import gc, threading, time
_gc_log = []
_gc_t = [0.0]
_gc_walked = [0]
def _gc_cb(phase, info, _now=time.perf_counter, _log=_gc_log, _t=_gc_t, _w=_gc_walked):
    if phase == "start":
        # What this collection walks: every object of its generation and the
        # younger ones (counted before the clock starts).
        gen = info["generation"]
        _w[0] = sum(len(gc.get_objects(g)) for g in range(gen + 1))
        _t[0] = _now()
    else:
        _log.append((info["generation"], _now() - _t[0], info["collected"],
                     threading.current_thread().name, _w[0]))
gc.callbacks.append(_gc_cb)
"""

REPORT = """
gen_stats = {}
for gen, took, collected, thread, walked in _gc_log:
    s = gen_stats.setdefault(f"{gen}", {"n": 0, "us": 0.0, "collected": 0, "max_ms": 0.0,
                                        "threads": {}, "walked": 0})
    s["n"] += 1; s["us"] += took * 1e6; s["collected"] += collected; s["walked"] += walked
    s["max_ms"] = max(s["max_ms"], took * 1e3)
    s["threads"][thread] = s["threads"].get(thread, 0.0) + took * 1e6
print(json.dumps({"loop_us": loop / made * 1e6, "cpu_us": cpu / made * 1e6,
                  "tracked_start": tracked_start, "tracked_end": tracked_end,
                  "gens": gen_stats}))
"""


def program(kind: str, n: int) -> str:
    """The workload with the hook installed before the warm-up, cleared before the loop."""
    src = worker(kind, n=n)
    src = src.replace("t0, c0 = time.perf_counter(), time.process_time()",
                      "_gc_log.clear(); tracked_start = len(gc.get_objects())\n"
                      "t0, c0 = time.perf_counter(), time.process_time()")
    src = src.replace("loop = time.perf_counter() - t0",
                      "loop = time.perf_counter() - t0; tracked_end = len(gc.get_objects())")
    return HOOK + src + REPORT


def measure(kind: str, src: str | None, n: int, url: str, store: bool = False
            ) -> dict[str, Any]:
    """One run in a fresh process (this tree, or ``src`` first on the path);
    with ``store``, this SDK writes into a new embedded store instead."""
    if not (store and kind == "ours"):
        return run_fresh(program(kind, n), src, url)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("BRAINTRUST_") and k != "PYTHONPATH"}
        env["BRAINTRUST_LOCAL_STORE"] = f"{tmp}/store.sqlite"
        if src:
            env["PYTHONPATH"] = src
        out = subprocess.run([sys.executable, "-c", program(kind, n)], env=env, cwd=tmp,
                             capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", action="append", default=[],
                        help="another source tree (its src/ directory); may repeat")
    parser.add_argument("--store", action="store_true",
                        help="this SDK writes into a new embedded store, not to the stub")
    args = parser.parse_args()
    trees: list[tuple[str, str, str | None]] = [("ours", "ours", None)]
    trees += [(f"compared {i + 1}", "ours", src) for i, src in enumerate(args.compare)]
    trees.append(("otel bare", "otel", None))
    collector = subprocess.Popen([sys.executable, "-c", textwrap.dedent(COLLECTOR)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert collector.stdout is not None and collector.stdin is not None
    url = collector.stdout.readline().strip()
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in trees}
    try:
        for run in range(args.runs):
            for label, kind, src in (trees if run % 2 == 0 else trees[::-1]):
                results[label].append(measure(kind, src, args.spans, url, args.store))
    finally:
        collector.stdin.close()
        collector.wait(timeout=30)
    where = "into a new embedded store" if args.store else "to the loopback stub"
    print(f"{args.spans:,} spans {where}, median (min-max) of {args.runs}; GC from the loop's "
          f"start to the end of the flush; load {os.getloadavg()[0]:.1f}")
    for label, _, src in trees:
        runs = results[label]
        total = [sum(g["us"] for g in r["gens"].values()) / args.spans for r in runs]
        print(f"\n{label} ({src or ROOT / 'src'}): loop {cell([r['loop_us'] for r in runs])} "
              f"us/span, CPU {cell([r['cpu_us'] for r in runs])} us/span, GC "
              f"{cell(total)} us/span; tracked objects at start "
              f"{cell([r['tracked_start'] for r in runs])}, at the loop's end "
              f"{cell([r['tracked_end'] for r in runs])}")
        for gen in ("0", "1", "2"):
            seen = [r["gens"].get(gen, {"n": 0, "us": 0.0, "collected": 0, "max_ms": 0.0,
                                        "threads": {}, "walked": 0}) for r in runs]
            threads: dict[str, list[float]] = {}
            for g in seen:
                for name, us in g["threads"].items():
                    threads.setdefault(name, []).append(us / args.spans)
            where = ", ".join(f"{name} {statistics.median(v):.2f}"
                              for name, v in sorted(threads.items()))
            print(f"  gen {gen}: {cell([g['n'] for g in seen])} collections, "
                  f"{cell([g['us'] / args.spans for g in seen])} us/span, walked "
                  f"{cell([g['walked'] / args.spans for g in seen])} objects/span, longest "
                  f"{cell([g['max_ms'] for g in seen])} ms, collected "
                  f"{cell([g['collected'] / args.spans for g in seen])}/span; by thread: "
                  f"{where}")


if __name__ == "__main__":
    main()
