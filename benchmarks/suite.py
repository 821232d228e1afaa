"""Side by side: this SDK, bare OpenTelemetry and the official Braintrust SDK.

Every workload runs in fresh processes, several times; the table shows the
median with the spread (min-max) and ratios against the baselines measured
in the same run. The official SDK is installed by this script into its own
virtualenv (both packages import as ``braintrust``). Services are fakes on
127.0.0.1: the Braintrust service (tests/fake_braintrust.py) and an LLM
provider (tests/fake_llm.py), each in its own process.

    python benchmarks/suite.py [--runs 3] [--quick]

Writes the table to benchmarks/results/latest.md too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.official_sdk import VERSION as OFFICIAL_VERSION  # noqa: E402
from tests.official_sdk import official_python  # noqa: E402

GOOD_KEY = "sk-test-good-key"


class Server:
    """A fake service from tests/ in its own process."""

    def __init__(self, module: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", module], cwd=str(ROOT),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def run(python: Path | str, code: str, env: dict[str, str]) -> dict[str, float]:
    """Runs a worker snippet in a fresh process; it prints one JSON line last."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("BRAINTRUST_")}
    full.update(env)
    out = subprocess.run([str(python), "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, env=full, cwd=tempfile.gettempdir(), timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"worker failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# -- worker snippets (the official SDK's run with its own interpreter) ---------------------

SPANS = """
import json, time, braintrust
N = {n}
logger = braintrust.init_logger(project="bench")
@braintrust.traced
def work(a):
    return {{"b": a}}
def span():
    with logger.start_span(name="x") as s:
        s.log(input={{"a": 1}}, output={{"b": 2}})
fn = (lambda: work(1)) if {traced} else span
for _ in range(200):
    fn()
braintrust.flush()
t0 = time.perf_counter()
for _ in range(N):
    fn()
loop = time.perf_counter() - t0
braintrust.flush()
total = time.perf_counter() - t0
print(json.dumps({{"us_per_span": loop / N * 1e6, "spans_per_s": N / total}}))
"""

OTEL_SPANS = """
import json, time
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
class Drop(SpanExporter):
    def export(self, spans):
        return SpanExportResult.SUCCESS
provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(Drop()))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("bench")
N = {n}
def span():
    with tracer.start_as_current_span("x") as s:
        s.set_attribute("braintrust.input_json", json.dumps({{"a": 1}}))
        s.set_attribute("braintrust.output_json", json.dumps({{"b": 2}}))
for _ in range(200):
    span()
t0 = time.perf_counter()
for _ in range(N):
    span()
loop = time.perf_counter() - t0
provider.force_flush()
print(json.dumps({{"us_per_span": loop / N * 1e6, "spans_per_s": N / (time.perf_counter() - t0)}}))
"""

IMPORT = """
import json, subprocess, sys, time
best = 1e9
for _ in range(5):
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import {module}"], check=True)
    best = min(best, time.perf_counter() - t0)
print(json.dumps({{"ms": best * 1000}}))
"""

EVAL = """
import json, time, braintrust
def task(x):
    return x
def s1(output):
    return 1.0
def s2(output, expected):
    return output == expected
def s3(input, output):
    return 0.5
data = [{{"input": i, "expected": i}} for i in range({n})]
t0 = time.perf_counter()
braintrust.Eval("bench-eval", data=data, task=task, scores=[s1, s2, s3],
                no_send_logs={nolog}{extra})
braintrust.flush()
print(json.dumps({{"us_per_case": (time.perf_counter() - t0) / {n} * 1e6}}))
"""

DOWN = """
import json, resource, braintrust
logger = braintrust.init_logger(project="down")
for i in range({n}):
    with logger.start_span(name="x") as s:
        s.log(input={{"i": i}}, output=i)
print(json.dumps({{"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}),
      flush=True)
import os
os._exit(0)
"""

OPENAI = """
import json, time, openai, braintrust
braintrust.init_logger(project="bench-openai")
client = openai.OpenAI(base_url="{url}/v1", api_key="k", max_retries=0)
{setup}
msgs = [{{"role": "user", "content": "hi"}}]
for _ in range(20):
    client.chat.completions.create(model="m", messages=msgs)
t0 = time.perf_counter()
for _ in range({n}):
    client.chat.completions.create(model="m", messages=msgs)
per = (time.perf_counter() - t0) / {n}
braintrust.flush()
print(json.dumps({{"us_per_call": per * 1e6}}))
"""


# -- the suite ---------------------------------------------------------------------------

class Row:
    def __init__(self, workload: str, unit: str, lower_is_better: bool = True) -> None:
        self.workload, self.unit, self.lower = workload, unit, lower_is_better
        self.values: dict[str, list[float]] = {}

    def add(self, who: str, value: float) -> None:
        self.values.setdefault(who, []).append(value)

    def cell(self, who: str) -> str:
        vals = self.values.get(who)
        if not vals:
            return "-"
        med = statistics.median(vals)

        def fmt(v: float) -> str:
            return f"{v:,.0f}" if med >= 100 else f"{v:.1f}"

        spread = f" ({fmt(min(vals))}-{fmt(max(vals))})" if len(vals) > 1 else ""
        return f"{fmt(med)}{spread}"

    def ratio(self, who: str, base: str) -> str:
        a, b = self.values.get(who), self.values.get(base)
        if not a or not b:
            return "-"
        return f"{statistics.median(a) / statistics.median(b):.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller workloads (a smoke test)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    n_spans, n_cases, n_down, n_calls = (20_000 // scale, 2_000 // scale, 200_000 // scale,
                                         300 // scale)
    ours = Path(sys.executable)
    official = official_python()
    started = time.time()
    rows: list[Row] = []
    tmp = tempfile.mkdtemp()
    service = Server("tests.fake_braintrust")
    llm = Server("tests.fake_llm")
    api_env = {"BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": service.url,
               "BRAINTRUST_API_URL": service.url, "BRAINTRUST_SPOOL_DIR": f"{tmp}/spool"}
    local_env = {"BRAINTRUST_LOCAL_STORE": f"{tmp}/store.sqlite"}
    deferred = {"OTEL_BSP_SCHEDULE_DELAY": "3600000",
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "100000000",
                "BRAINTRUST_QUEUE_SIZE": str(n_spans + 1000)}
    # Bare OTel holds its spans until after the loop too: a queue that keeps
    # 20,000 finished spans alive makes every garbage collection in the loop
    # walk them, which a processor exporting every 512 spans never pays.
    bare_deferred = {"OTEL_BSP_SCHEDULE_DELAY": "3600000",
                     "OTEL_BSP_MAX_QUEUE_SIZE": str(n_spans + 1000),
                     "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": str(n_spans + 1000)}
    big_queue = {"BRAINTRUST_QUEUE_SIZE": "10000000"}  # the official SDK drops past 25,000
    try:
        hot = Row(f"span: start_span + log + end ({n_spans:,} spans), loop", "us/span")
        traced = Row(f"span: @traced call ({n_spans:,}), loop", "us/span")
        e2e = Row("end to end: spans + flush to the fake service", "spans/s", False)
        e2e_store = Row("end to end: spans + flush to the embedded store", "spans/s", False)
        imp = Row("import time (min of 5)", "ms")
        ev_nolog = Row(f"eval: {n_cases:,} cases, 3 scorers, no_send_logs", "us/case")
        ev_log = Row(f"eval: {n_cases:,} cases, 3 scorers, logged to the service", "us/case")
        mem = Row(f"memory: {n_down:,} spans, service down (peak RSS)", "MB")
        oai = Row(f"OpenAI call to a fake provider ({n_calls} calls)", "us/call")
        rows = [hot, traced, e2e, e2e_store, imp, ev_nolog, ev_log, mem, oai]
        for _ in range(args.runs):
            r = run(ours, SPANS.format(n=n_spans, traced=False), {**local_env, **deferred})
            hot.add("ours", r["us_per_span"])
            r = run(ours, SPANS.format(n=n_spans, traced=True), {**local_env, **deferred})
            traced.add("ours", r["us_per_span"])
            r = run(ours, OTEL_SPANS.format(n=n_spans), bare_deferred)
            hot.add("otel", r["us_per_span"])
            r = run(official, SPANS.format(n=n_spans, traced=False), {**api_env, **big_queue})
            hot.add("official", r["us_per_span"])
            e2e.add("official", r["spans_per_s"])
            r = run(official, SPANS.format(n=n_spans, traced=True), {**api_env, **big_queue})
            traced.add("official", r["us_per_span"])
            r = run(ours, SPANS.format(n=n_spans, traced=False), api_env)
            e2e.add("ours", r["spans_per_s"])
            r = run(ours, SPANS.format(n=n_spans, traced=False), local_env)
            e2e_store.add("ours", r["spans_per_s"])
            imp.add("ours", run(ours, IMPORT.format(module="braintrust"), {})["ms"])
            imp.add("otel", run(ours, IMPORT.format(module="opentelemetry.sdk.trace"), {})["ms"])
            imp.add("official", run(official, IMPORT.format(module="braintrust"), {})["ms"])
            # The official Eval has no quiet flag; both print a summary.
            for python, who, extra in ((ours, "ours", ", quiet=True"),
                                       (official, "official", "")):
                r = run(python, EVAL.format(n=n_cases, nolog=True, extra=extra), api_env)
                ev_nolog.add(who, r["us_per_case"])
                r = run(python, EVAL.format(n=n_cases, nolog=False, extra=extra), api_env)
                ev_log.add(who, r["us_per_case"])
            dead = {**api_env, "BRAINTRUST_APP_URL": "http://127.0.0.1:9",
                    "BRAINTRUST_API_URL": "http://127.0.0.1:9",
                    "BRAINTRUST_EXIT_FLUSH_SECONDS": "0"}
            mem.add("ours", run(ours, DOWN.format(n=n_down), dead)["peak_rss_mb"])
            mem.add("official", run(official, DOWN.format(n=n_down), dead)["peak_rss_mb"])
            bare = OPENAI.format(url=llm.url, n=n_calls, setup="")
            oai.add("otel", run(ours, bare, local_env)["us_per_call"])
            setup = "braintrust.auto_instrument()"
            oai.add("ours", run(ours, OPENAI.format(url=llm.url, n=n_calls, setup=setup),
                                local_env)["us_per_call"])
            setup = "client = braintrust.wrap_openai(client)"
            oai.add("official", run(official, OPENAI.format(url=llm.url, n=n_calls,
                                                            setup=setup),
                                    api_env)["us_per_call"])
    finally:
        service.stop()
        llm.stop()
    took = time.time() - started
    table = render(rows, args.runs, took)
    print(table)
    out = ROOT / "benchmarks" / "results" / "latest.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    # Keep benchmarks/pipeline.py's tables, which follow this one in the file.
    marker = "## Full pipeline and cost growth (benchmarks/pipeline.py)"
    rest = out.read_text().partition(marker) if out.exists() else ("", "", "")
    out.write_text(table + (f"\n{marker}{rest[2]}" if rest[1] else ""))


def render(rows: list[Row], runs: int, took: float) -> str:
    cpu = platform.processor() or platform.machine()
    head = (f"Benchmarks ({time.strftime('%Y-%m-%d')}): Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs ({cpu}), official SDK braintrust=={OFFICIAL_VERSION}; "
            f"median of {runs} runs (min-max); suite took {took:.0f} s.\n"
            "\"bare\" is bare OpenTelemetry (BatchSpanProcessor, dropping exporter; in the span "
            "row its export held until after the loop, as this SDK's is) or, for the "
            "OpenAI row, the uninstrumented call.\n\n")
    lines = ["| workload | unit | this SDK | bare | official SDK | this / bare | "
             "official / this |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row.workload} | {row.unit} | {row.cell('ours')} | {row.cell('otel')} "
                     f"| {row.cell('official')} | {row.ratio('ours', 'otel')} | "
                     f"{_better(row)} |")
    return head + "\n".join(lines) + "\n"


def _better(row: Row) -> str:
    # How many times better this SDK is than the official one (>1: better).
    a, b = row.values.get("ours"), row.values.get("official")
    if not a or not b:
        return "-"
    ours, theirs = statistics.median(a), statistics.median(b)
    return f"{(theirs / ours if row.lower else ours / theirs):.2f}x"


if __name__ == "__main__":
    main()
