"""Eval overhead: cases per second with an instant task and three instant scorers.

Each measurement runs in a fresh process on its own embedded store:
logged to the store, and with ``no_send_logs``; then a task that sleeps
10 ms, at several ``max_concurrency`` settings.

    python benchmarks/eval_overhead.py [--cases 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any


def _worker(mode: str, cases: int, concurrency: int) -> dict[str, float]:
    import braintrust

    def task(x: int) -> int:
        if mode == "sleep":
            time.sleep(0.01)
        return x

    def s1(output: int) -> float:
        return 1.0

    def s2(output: int, expected: Any) -> bool:
        return bool(output == expected)

    def s3(input: int, output: int) -> float:
        return 0.5

    data = [{"input": i, "expected": i} for i in range(cases)]
    t0 = time.perf_counter()
    braintrust.Eval("bench-eval", data=data, task=task, scores=[s1, s2, s3], quiet=True,
                    no_send_logs=(mode == "nolog"), max_concurrency=concurrency)
    braintrust.flush()
    return {"cases_per_s": cases / (time.perf_counter() - t0)}


def _run(mode: str, cases: int, concurrency: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, BRAINTRUST_LOCAL_STORE=os.path.join(tmp, "s.sqlite"))
        env.pop("BRAINTRUST_API_KEY", None)
        out = subprocess.run([sys.executable, __file__, "--worker", mode, "--cases", str(cases),
                              "--concurrency", str(concurrency)],
                             check=True, capture_output=True, text=True, env=env)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["cases_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker")
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker, args.cases, args.concurrency)))
        return
    print(f"{args.cases} cases, instant task, 3 instant scorers "
          f"(python {sys.version.split()[0]}); best of {args.repeat}:")
    for mode, label in (("store", "logged to the embedded store"),
                        ("nolog", "no_send_logs")):
        rate = max(_run(mode, args.cases, 10) for _ in range(args.repeat))
        print(f"  {label:32} {rate:8,.0f} cases/s  ({1e6 / rate:,.0f} us per case)")
    print("200 cases whose task sleeps 10 ms:")
    for concurrency in (1, 10, 50):
        rate = _run("sleep", 200, concurrency)
        print(f"  max_concurrency={concurrency:<3} {rate:8,.0f} cases/s")


if __name__ == "__main__":
    main()
