"""The store's write rate: ``Store.write_each`` of span-sized rows, as the local sink calls it.

Rows of about 2.5 KB (an LLM message list in, a message out, ids, metrics), in
batches of 512 (the processor's export batch; ``--batch``), each batch one
transaction.
Each run is a fresh process writing into a fresh store; it prints rows per
second of wall time and per second of the process's CPU (the latter is what
the store costs, its checkpoint thread included; the former also shows how
loaded the machine is). Both include closing the store, which waits for a
running checkpoint.

    python benchmarks/store_writes.py [--rows 20000] [--runs 3] [--postgres]
        [--prefill 100000] [--compare /tmp/other/src] [--app-thread]

``--prefill N`` first writes N such rows (untimed), so the rate is that of a
store that already holds them (ids are random: the id indexes grow with the
store). ``--compare SRC`` also runs another source tree, alternating with
this one.

``--app-thread`` runs a pure-Python busy thread (a stand-in for the
application) beside the writes and prints how much of its progress each row
cost: the time the writes held the GIL, plus what hand-offs of the GIL cost
(``sqlite3`` gives it up around each statement step). Meaningful on a machine
with a core to spare.

``--postgres`` also runs it on a throwaway PostgreSQL cluster (as the tests
start one; Debian's postgresql package).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = """
import json, sys, threading, time, uuid
from braintrust_otel.store import Store
n, location, prefill, batch = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
app_thread = sys.argv[5] == "1"
text = ("lorem ipsum dolor sit amet " * 80)[:2000]
def make(n):
    return [("project_logs", "p1", {
    "id": uuid.uuid4().hex, "project_id": "p1", "log_id": "g",
    "span_id": uuid.uuid4().hex[:16], "root_span_id": uuid.uuid4().hex, "span_parents": None,
    "created": "2026-11-26T00:00:00.000000Z", "input": [{"role": "user", "content": text}],
    "output": {"role": "assistant", "content": "x" * 300},
    "metrics": {"start": 1.0, "end": 2.0}, "span_attributes": {"name": "llm", "type": "llm"},
}) for _ in range(n)]
def spin(stop, out):
    count = 0
    while not stop.is_set():
        for _ in range(1000):
            count += 1
    out.append(count)
def app(seconds=None):
    stop, out = threading.Event(), []
    thread = threading.Thread(target=spin, args=(stop, out))
    thread.start()
    if seconds is None:
        return lambda: (stop.set(), thread.join(), out[0])[-1]
    time.sleep(seconds)
    stop.set()
    thread.join()
    return out[0] / seconds
store = Store(location)
for i in range(0, prefill, 5000):
    store.write(make(min(5000, prefill - i)))
rows = make(n)
store.write(rows[:10])
alone = app(0.5) if app_thread else 0.0
finish = app() if app_thread else None
# The process's CPU (the store's checkpoint thread included), unless a busy
# thread runs beside the writes: then the writing thread's own.
clock = time.thread_time if app_thread else time.process_time
t0, c0 = time.perf_counter(), clock()
for i in range(10, n, batch):
    assert not store.write_each(rows[i:i + batch])
store.close()  # waits for a running checkpoint
wall, cpu = time.perf_counter() - t0, clock() - c0
result = {"rows_per_s": (n - 10) / wall, "rows_per_cpu_s": (n - 10) / cpu}
if finish is not None:
    result["app_lost_us"] = (wall - finish() / alone) / (n - 10) * 1e6
print(json.dumps(result))
"""


def _run(location: str, rows: int, prefill: int = 0, src: str | None = None,
         batch: int = 512, app_thread: bool = False) -> dict[str, float]:
    env = {**os.environ,
           "PYTHONPATH": src or os.environ.get("PYTHONPATH") or str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", WORKER, str(rows), location, str(prefill),
                          str(batch), "1" if app_thread else "0"],
                         env=env,
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _cell(values: list[float]) -> str:
    return (f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"
            if len(values) > 1 else f"{values[0]:,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--prefill", type=int, default=0)
    parser.add_argument("--batch", type=int, default=512, help="rows per transaction")
    parser.add_argument("--compare", metavar="SRC", help="another source tree (its src/)")
    parser.add_argument("--app-thread", action="store_true",
                        help="a busy Python thread beside the writes: its progress lost per row")
    args = parser.parse_args()
    engines: dict[str, list[dict[str, float]]] = {"sqlite": []}
    if args.compare:
        engines["sqlite, compared tree"] = []
    server = None
    if args.postgres:
        sys.path.insert(0, str(ROOT))
        from tests.postgres_server import PostgresServer

        server = PostgresServer()
        engines["postgresql"] = []
    try:
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                engines["sqlite"].append(_run(f"{tmp}/store.sqlite", args.rows, args.prefill,
                                                 batch=args.batch, app_thread=args.app_thread))
            if args.compare:
                with tempfile.TemporaryDirectory() as tmp:
                    engines["sqlite, compared tree"].append(
                        _run(f"{tmp}/store.sqlite", args.rows, args.prefill, args.compare,
                             batch=args.batch, app_thread=args.app_thread))
            if server is not None:
                engines["postgresql"].append(
                    _run(server.new_database(), args.rows, args.prefill, batch=args.batch,
                         app_thread=args.app_thread))
    finally:
        if server is not None:
            server.stop()
    for engine, results in engines.items():
        print(f"{engine}: {_cell([r['rows_per_s'] for r in results])} rows/s, "
              f"{_cell([r['rows_per_cpu_s'] for r in results])} rows per CPU-second "
              f"(median, min-max of {len(results)})")
        if args.app_thread:
            lost = [r["app_lost_us"] for r in results]
            print(f"  the app thread's progress lost per row: {statistics.median(lost):.1f} "
                  f"({min(lost):.1f}-{max(lost):.1f}) us")


if __name__ == "__main__":
    main()
