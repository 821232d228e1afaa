"""Instrumentation overhead: at start-up, and per OpenAI call against a fake provider.

Start-up: fresh interpreters, run in turn so drift hits all alike, for
``python -c pass``, ``opentelemetry-instrument python -c pass``,
``python -c "import braintrust"`` and the same plus ``auto_instrument()``;
median wall time of each and the deltas. The provider libraries are installed
but unused, so instrumentation should add (almost) nothing.

Per call:
The fake provider runs in its own process. In one SDK process, batches of
chat completion calls alternate between uninstrumented and instrumented
(the instrumentor is turned on and off between batches), so drift hits both
alike; the median batch time of each is compared.

    python benchmarks/instrumentation_overhead.py [--calls 200] [--batches 10] [--starts 15]
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from braintrust_otel.instrumentation import entry_points  # noqa: E402

IMPORT = "python -c 'import braintrust'"


def _env() -> dict[str, str]:
    env = dict(os.environ, BRAINTRUST_LOCAL_STORE=os.path.join(tempfile.mkdtemp(), "s.sqlite"))
    env.pop("BRAINTRUST_API_KEY", None)
    # Measure what users get: with bytecode caches (an editable install has none
    # until something writes them; this environment may forbid writing them).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True,
                   env=env, stdout=subprocess.DEVNULL)
    return env


def startup(runs: int) -> None:
    """Prints the median start-up time of each command and its delta over bare Python."""
    tool = str(Path(sys.executable).with_name("opentelemetry-instrument"))
    env = _env()
    ours = ",".join(entry_points())
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "opentelemetry-instrument python -c pass": [tool, sys.executable, "-c", "pass"],
        "  same, braintrust instrumentors disabled": [tool, sys.executable, "-c", "pass"],
        IMPORT: [sys.executable, "-c", "import braintrust"],
        "python -c 'import braintrust; braintrust.auto_instrument()'":
            [sys.executable, "-c", "import braintrust; braintrust.auto_instrument()"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            t0 = time.perf_counter()
            run_env = env
            if "disabled" in name:
                run_env = dict(env, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=ours)
            subprocess.run(cmd, check=True, env=run_env, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - t0)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    bare = med["python -c pass"]
    print(f"start-up, median of {runs} fresh processes (the libraries of "
          f"{len(entry_points())} integrations installed, unused):")
    for name, ts in times.items():
        print(f"  {name:62s} {med[name] * 1e3:7.1f} ms  (+{(med[name] - bare) * 1e3:6.1f} ms; "
              f"spread {min(ts) * 1e3:.0f}-{max(ts) * 1e3:.0f})")
    auto = med["python -c 'import braintrust; braintrust.auto_instrument()'"]
    otel = med["opentelemetry-instrument python -c pass"]
    print(f"  braintrust instrumentors within opentelemetry-instrument: "
          f"+{(otel - med['  same, braintrust instrumentors disabled']) * 1e3:.1f} ms")
    print(f"  auto_instrument() alone: +{(auto - med[IMPORT]) * 1e3:.1f} ms")


_IN_PROCESS = """
import os, sys, time
t0 = time.perf_counter()
import braintrust
t1 = time.perf_counter()
braintrust.auto_instrument()
t2 = time.perf_counter()
from opentelemetry.instrumentation.auto_instrumentation import _load
distro = _load._load_distro()
distro.configure()
_load._load_configurators()
t3 = time.perf_counter()
_load._load_instrumentors(distro)
t4 = time.perf_counter()
print(t2 - t1, t4 - t3)
"""


def in_process(runs: int) -> None:
    """Times auto_instrument() and the loading of every instrumentor entry point inside
    one interpreter (less noisy than whole processes on a busy machine)."""
    env = _env()
    auto: list[float] = []
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(runs):
        for disabled, bucket in (("", ours), (",".join(entry_points()), theirs)):
            out = subprocess.run([sys.executable, "-c", _IN_PROCESS], check=True,
                                 capture_output=True, text=True,
                                 env=dict(env, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=disabled))
            a, load = (float(x) for x in out.stdout.split())
            auto.append(a)
            bucket.append(load)
    print(f"in one interpreter, median of {runs}:")
    print(f"  auto_instrument():                                   "
          f"{statistics.median(auto) * 1e3:6.1f} ms")
    print(f"  loading every instrumentor entry point:              "
          f"{statistics.median(ours) * 1e3:6.1f} ms")
    print(f"  the same with the braintrust ones disabled:          "
          f"{statistics.median(theirs) * 1e3:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--starts", type=int, default=15)
    args = parser.parse_args()
    startup(args.starts)
    in_process(args.starts)
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
        messages: Any = [{"role": "user", "content": "hi"}]

        def batch() -> float:
            t0 = time.perf_counter()
            for _ in range(args.calls):
                client.chat.completions.create(model="gpt-4o-mini", messages=messages)
            return float((time.perf_counter() - t0) / args.calls)

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
