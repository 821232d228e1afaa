"""Instrumentation overhead per OpenAI call, against a fake provider on loopback.

The fake provider runs in its own process. In one SDK process, batches of
chat completion calls alternate between uninstrumented and instrumented
(the instrumentor is turned on and off between batches), so drift hits both
alike; the median batch time of each is compared.

    python benchmarks/instrumentation_overhead.py [--calls 200] [--batches 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--batches", type=int, default=10)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-m", "tests.fake_llm"], cwd=str(ROOT),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    base = server.stdout.readline().strip()
    tmp = tempfile.mkdtemp()
    os.environ["BRAINTRUST_LOCAL_STORE"] = os.path.join(tmp, "s.sqlite")
    try:
        import openai

        import braintrust
        from braintrust_otel.instrumentation.openai import OpenAIInstrumentor

        braintrust.init_logger(project="bench-instr")
        client = openai.OpenAI(base_url=base + "/v1", api_key="k", max_retries=0)
        messages = [{"role": "user", "content": "hi"}]

        def batch() -> float:
            t0 = time.perf_counter()
            for _ in range(args.calls):
                client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            return (time.perf_counter() - t0) / args.calls

        instrumentor = OpenAIInstrumentor()
        batch()  # warm up connections and imports
        bare, traced = [], []
        for _ in range(args.batches):
            bare.append(batch())
            instrumentor.instrument()
            traced.append(batch())
            instrumentor.uninstrument()
        braintrust.flush()
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
    b, t = statistics.median(bare), statistics.median(traced)
    print(f"{args.batches} x {args.calls} chat completions to a fake provider on 127.0.0.1 "
          f"(python {sys.version.split()[0]}):")
    print(f"  uninstrumented: {b * 1e6:8.0f} us/call (spread {min(bare) * 1e6:.0f}-"
          f"{max(bare) * 1e6:.0f})")
    print(f"  instrumented:   {t * 1e6:8.0f} us/call (spread {min(traced) * 1e6:.0f}-"
          f"{max(traced) * 1e6:.0f})")
    print(f"  added time: {(t - b) * 1e6:.0f} us/call = {(t / b - 1) * 100:+.1f}%")


if __name__ == "__main__":
    main()
