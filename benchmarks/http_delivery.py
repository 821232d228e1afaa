"""Delivery to a Braintrust-compatible service on loopback: throughput and memory.

The fake service (tests/fake_braintrust.py) runs in its own process; the SDK
in another. Two measurements:

1. rows per second delivered (small rows, logged with ``logger.log``, end to
   end including the final flush), and delivery alone (rows queued first);
2. peak RSS of the SDK process while 200,000 spans are logged with the
   service down, then whether every row arrives once the service is back.

    python benchmarks/http_delivery.py [--rows 50000] [--down-spans 200000]
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


class Service:
    """The fake service in a subprocess."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_braintrust"], cwd=str(ROOT),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(self.url + "/_stats", timeout=10) as resp:
            return dict(json.loads(resp.read()))

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _worker_throughput(n: int) -> dict[str, float]:
    import braintrust

    logger = braintrust.init_logger(project="bench")
    braintrust.login()
    logger.log(input="warm-up")
    braintrust.flush()
    t0 = time.perf_counter()
    for i in range(n):
        logger.log(input={"i": i}, output="ok")
    loop = time.perf_counter() - t0
    braintrust.flush()
    total = time.perf_counter() - t0
    return {"end_to_end_rows_per_s": n / total, "loop_us": loop / n * 1e6}


def _worker_delivery(n: int) -> dict[str, float]:
    # Run with the export worker held back (OTEL_BSP_* env): rows queue first,
    # then one flush maps and delivers them all.
    import braintrust

    logger = braintrust.init_logger(project="bench")
    braintrust.login()
    logger.log(input="warm-up")
    braintrust.flush()
    for i in range(n):
        logger.log(input={"i": i}, output="ok")
    t0 = time.perf_counter()
    braintrust.flush()
    return {"delivery_rows_per_s": n / (time.perf_counter() - t0)}


def _worker_down(n: int) -> dict[str, float]:
    import resource

    import braintrust

    logger = braintrust.init_logger(project="down")
    for i in range(n):
        with logger.start_span(name="x") as span:
            span.log(input={"i": i}, output=i)
    braintrust.flush(5)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"peak_rss_mb": peak_mb}


def _run_worker(kind: str, n: int, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--worker", kind, "--n", str(n)],
                         env=dict(os.environ, **env), capture_output=True, text=True,
                         check=True, cwd=str(ROOT))
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--down-spans", type=int, default=200_000)
    parser.add_argument("--worker")
    parser.add_argument("--n", type=int)
    args = parser.parse_args()
    if args.worker:
        fn = {"throughput": _worker_throughput, "delivery": _worker_delivery,
              "down": _worker_down}[args.worker]
        print(json.dumps(fn(args.n)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        service = Service()
        env = {"BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": service.url,
               "BRAINTRUST_SPOOL_DIR": os.path.join(tmp, "spool1")}
        try:
            result = _run_worker("throughput", args.rows, env)
            held = dict(env, OTEL_BSP_SCHEDULE_DELAY="3600000",
                        OTEL_BSP_MAX_EXPORT_BATCH_SIZE="100000000",
                        BRAINTRUST_QUEUE_SIZE=str(args.rows + 10))
            result.update(_run_worker("delivery", args.rows, held))
            stats = service.stats()
        finally:
            service.stop()
        print(f"{args.rows} small rows over HTTP to a fake service on 127.0.0.1 "
              f"(python {sys.version.split()[0]}):")
        print(f"  end to end (log + flush): {result['end_to_end_rows_per_s']:,.0f} rows/s "
              f"(logger.log {result['loop_us']:.1f} us/row on the calling thread)")
        print(f"  delivery alone (queued rows -> /logs3): "
              f"{result['delivery_rows_per_s']:,.0f} rows/s")
        print(f"  rows stored by the service: {stats['rows']} of {2 * args.rows + 2} "
              f"in {stats['logs3_requests']} requests")

        # Memory with the service down: a URL nobody listens on, then replay.
        dead = Service()
        url = dead.url
        dead.stop()
        spool = os.path.join(tmp, "spool2")
        env = {"BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": url,
               "BRAINTRUST_SPOOL_DIR": spool, "BRAINTRUST_EXIT_FLUSH_SECONDS": "1"}
        down = _run_worker("down", args.down_spans, env)
        print(f"\n{args.down_spans} spans logged with the service down: peak RSS "
              f"{down['peak_rss_mb']:.0f} MB")
        service = Service()
        try:
            replay_env = dict(env, BRAINTRUST_APP_URL=service.url,
                              BRAINTRUST_EXIT_FLUSH_SECONDS="600")
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import braintrust, sys; "
                            "braintrust.init_logger(project='down'); "
                            "sys.exit(0 if braintrust.flush(600) else 1)"],
                           env=dict(os.environ, **replay_env), check=True, cwd=str(ROOT))
            took = time.perf_counter() - t0
            stats = service.stats()
        finally:
            service.stop()
        print(f"  after the service came back, a new process sent the spool in {took:.1f} s: "
              f"{stats['rows']} of {args.down_spans} rows arrived")


if __name__ == "__main__":
    main()
