"""What a slow or unavailable service costs the application.

The fake service (tests/fake_braintrust.py) runs in its own process in one
of three modes: healthy, answering 429 with ``Retry-After: 60`` to every
request, or hanging on every request (from login on). The SDK runs in
another process and ends 25,000 spans; then the service is set back to
healthy and one flush waits for delivery. Printed per mode: the span loop's
total time as a ratio to the healthy run, the worst single span, and how
many rows the service holds after it recovered. On a shared or loaded
machine the worst span is set by the scheduler (it is as bad against the
healthy service), so the p99.9 and the count of spans over 50 ms are printed
too, with the load average.

    python benchmarks/slow_service.py [--spans 25000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "sk-test-good-key"
MODES = ("healthy", "429", "hang")


class Service:
    """The fake service in a subprocess, started in a given mode."""

    def __init__(self, mode: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_braintrust", mode], cwd=str(ROOT),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _post(url: str, body: dict[str, str]) -> dict[str, int]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return dict(json.loads(resp.read()))


def _worker(n: int, url: str) -> dict[str, float]:
    import braintrust

    logger = braintrust.init_logger(project="slow")
    took = [0.0] * n
    clock = time.perf_counter
    t0 = clock()
    for i in range(n):
        start = clock()
        with logger.start_span(name="work") as span:
            span.log(input={"i": i}, output="ok")
        took[i] = clock() - start
    loop = clock() - t0
    took.sort()
    worst, p999 = took[-1], took[int(n * 0.999)]
    over_50ms = sum(1 for t in took if t > 0.05)
    _post(url + "/_mode", {"mode": "healthy"})  # the service recovers
    t1 = clock()
    flushed = braintrust.flush(180)
    recovery = clock() - t1
    stats = _post(url + "/_stats", {})
    return {"loop_s": loop, "worst_span_ms": worst * 1000, "p999_span_ms": p999 * 1000,
            "over_50ms": over_50ms, "flushed": float(flushed),
            "recovery_s": recovery, "rows": stats["rows"], "row_writes": stats["row_writes"],
            "throttled": stats["throttled"], "hung": stats["hung"]}


def run(n: int) -> dict[str, dict[str, float]]:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in MODES:
            service = Service(mode)
            env = dict(os.environ, BRAINTRUST_API_KEY=GOOD_KEY, BRAINTRUST_APP_URL=service.url,
                       BRAINTRUST_SPOOL_DIR=os.path.join(tmp, f"spool-{mode}"))
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", "--n", str(n), "--url", service.url],
                    env=env, capture_output=True, text=True, check=True, cwd=str(ROOT),
                    timeout=600)
            finally:
                service.stop()
            results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=25_000)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--n", type=int)
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.n, args.url)))
        return
    results = run(args.spans)
    base = results["healthy"]["loop_s"]
    print(f"{args.spans:,} spans; the service recovers after the loop, then one flush "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus)")
    print(f"{'service':<10}{'loop s':>8}{'ratio':>8}{'worst span':>12}{'p99.9':>9}{'>50ms':>7}"
          f"{'delivered':>11}{'writes':>8}{'recovery s':>12}  seen by service")
    for mode, r in results.items():
        seen = (f"{int(r['throttled'])} x 429" if mode == "429"
                else f"{int(r['hung'])} hung" if mode == "hang" else "")
        print(f"{mode:<10}{r['loop_s']:>8.2f}{r['loop_s'] / base:>8.2f}"
              f"{r['worst_span_ms']:>10.1f}ms{r['p999_span_ms']:>7.1f}ms{int(r['over_50ms']):>7}"
              f"{int(r['rows']):>11,}{int(r['row_writes']):>8,}"
              f"{r['recovery_s']:>12.2f}  {seen}")


if __name__ == "__main__":
    main()
