"""CPU per span of each thread of the pipeline workload: the app's loop, the export
worker and the HTTP sender, which share one GIL.

Runs ``benchmarks/pipeline.py``'s workload for this SDK (start_span + log of a
~2 KB message list + end, 20,000 spans, delivering to the loopback stub) in a
fresh process, then reads each thread's CPU time from
``/proc/self/task/<tid>/schedstat`` (nanoseconds, where ``/stat`` counts
clock ticks), its minor page faults and its voluntary and involuntary context
switches. The main
thread's CPU during the loop alone is ``time.thread_time``. Per-thread CPU
moves with the machine's load far less than wall time, but it still moves
(caches, the other threads' GIL hand-offs): compare trees within one run
(``--compare SRC``, interleaved, the order swapped each round) and read the
min-max.

    python benchmarks/thread_cost.py [--spans 20000] [--runs 3] [--compare /tmp/main/src]

Linux only (``/proc``).
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
from suite import GOOD_KEY

ROOT = Path(__file__).resolve().parent.parent

# Appended to the workload: each thread's CPU and switches, as JSON on the last line.
REPORT = """
import threading
names = {t.native_id: t.name for t in threading.enumerate()}
threads = {}
for tid in os.listdir("/proc/self/task"):
    ns = int(open(f"/proc/self/task/{tid}/schedstat").read().split()[0])
    status = open(f"/proc/self/task/{tid}/status").read()
    # Minor page faults (the 8th field after the name): each costs about 1.6 us
    # of the thread's CPU on the development VM.
    minflt = int(open(f"/proc/self/task/{tid}/stat").read().rsplit(")", 1)[1].split()[7])
    threads[names.get(int(tid), tid)] = {
        "cpu_us": ns / 1e3 / made, "minflt": minflt / made,
        "voluntary": int(status.split("voluntary_ctxt_switches:")[1].split()[0]),
        "involuntary": int(status.split("nonvoluntary_ctxt_switches:")[1].split()[0])}
print(json.dumps({"loop_us": loop / made * 1e6, "cpu_us": cpu / made * 1e6,
                  "main_loop_cpu_us": main_loop / made * 1e6, "threads": threads}))
"""


def program(n: int) -> str:
    """The pipeline workload for this SDK, timing the main thread's CPU during the loop."""
    src = worker("ours", n=n)
    src = src.replace("t0, c0 = time.perf_counter(), time.process_time()",
                      "t0, c0 = time.perf_counter(), time.process_time(); m0 = time.thread_time()")
    src = src.replace("loop = time.perf_counter() - t0",
                      "loop = time.perf_counter() - t0; main_loop = time.thread_time() - m0")
    return "import os\n" + src + REPORT


def run_fresh(code: str, src: str | None, url: str) -> dict[str, Any]:
    """Runs ``code`` in a fresh process delivering to the stub at ``url`` (this
    tree, or ``src`` first on the path); returns the JSON of its last line."""
    env = {**os.environ, "BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_API_URL": url,
           "BRAINTRUST_APP_URL": url, "BRAINTRUST_SPOOL_DIR": tempfile.mkdtemp()}
    env.pop("PYTHONPATH", None)
    if src:
        env["PYTHONPATH"] = src
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, cwd=tempfile.gettempdir(), check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def measure(src: str | None, n: int, url: str) -> dict[str, Any]:
    """One run in a fresh process (this tree, or ``src`` first on the path)."""
    return run_fresh(program(n), src, url)


def cell(values: list[float]) -> str:
    """The median of ``values`` with their min-max."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", help="another source tree (its src/ directory)")
    args = parser.parse_args()
    trees: list[tuple[str, str | None]] = [("this tree", None)]
    if args.compare:
        trees.append(("compared", args.compare))
    collector = subprocess.Popen([sys.executable, "-c", textwrap.dedent(COLLECTOR)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert collector.stdout is not None and collector.stdin is not None
    url = collector.stdout.readline().strip()
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in trees}
    try:
        for run in range(args.runs):
            # Interleaved, both see the same load; the order swaps each round, as
            # the first of a pair measured a few percent higher even against itself.
            for label, src in (trees if run % 2 == 0 else trees[::-1]):
                results[label].append(measure(src, args.spans, url))
    finally:
        collector.stdin.close()
        collector.wait(timeout=30)
    print(f"{args.spans:,} spans, median of {args.runs} (min-max), CPU us per span; "
          f"load {os.getloadavg()[0]:.1f}. Each thread's figure covers its whole life (the "
          "main thread's includes start-up and the flush).")
    for label, src in trees:
        runs = results[label]
        print(f"\n{label} ({src or ROOT / 'src'}):")
        print(f"  process CPU {cell([r['cpu_us'] for r in runs])}, loop wall "
              f"{cell([r['loop_us'] for r in runs])}, main thread CPU during the loop "
              f"{cell([r['main_loop_cpu_us'] for r in runs])}")
        names = sorted({name for r in runs for name in r["threads"]})
        for name in names:
            seen = [r["threads"][name] for r in runs if name in r["threads"]]
            print(f"  {name}: {cell([t['cpu_us'] for t in seen])} us/span, minor faults "
                  f"{cell([t['minflt'] for t in seen])}/span; switches "
                  f"voluntary {statistics.median(t['voluntary'] for t in seen):.0f}, "
                  f"involuntary {statistics.median(t['involuntary'] for t in seen):.0f}")


if __name__ == "__main__":
    main()
