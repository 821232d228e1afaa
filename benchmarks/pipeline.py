"""Full cost per span, delivery included, beside the stock OTel pipeline and the official SDK.

Every program makes spans carrying an LLM-sized payload (a message list in,
a message out) while its exporter runs: nothing is deferred until after the
loop. Measured in the same run, each in a fresh process:

- "otel+otlp": stock ``BatchSpanProcessor`` + ``OTLPSpanExporter`` (HTTP,
  protobuf) to a loopback collector stub that reads and discards the body;
  the queue is sized to the run so the stock processor drops nothing.
- "otel bare": the same spans with a dropping exporter (the floor).
- "ours": this SDK to the same stub (it answers the few Braintrust endpoints
  the SDK needs and discards /logs3 bodies); also to the fake Braintrust
  service (tests/fake_braintrust.py, which parses and keeps every row: more
  work on the shared CPUs) and to the embedded store.
- "official": braintrust==0.48.1 in its own virtualenv, to the same stub.
- "langfuse" (5.0.4) and "logfire" (5.4.0), each in its own virtualenv
  (benchmarks/peers.py), their OTLP exporters pointed at the collector stub;
  their stock queues sized to the run (``OTEL_BSP_MAX_QUEUE_SIZE``).

Then cost growth: per-span cost and peak RSS against payload size (1 KB,
100 KB, 1 MB inputs), trace depth (1, 10, 100) and threads (1, 8, 32).

    python benchmarks/pipeline.py [--runs 3] [--quick] [--core] [--compare SRC]
    python benchmarks/pipeline.py --store-only [--compare SRC] [--prefill ROWS]

Wall-clock figures move with the machine's load; the "CPU" row is the
process's CPU time (every thread: the app's loop, the exporter, delivery) per
span from the start of the loop to the end of the flush, which a busy machine
moves far less. ``--core`` runs only the main table's OTel and this-SDK rows;
``--compare`` also runs this SDK from another source tree (say, a ``git
archive`` of main) in each round, interleaved, as "ours (compared)".

``--store-only`` measures only the end-to-end rate into the embedded store,
with each process's CPU time per span, beside bare OTel making the same spans
(with a dropping exporter, and with no processor at all: the ceilings);
``--compare`` adds another source tree, ``--prefill`` starts from a store
that already holds that many rows.

Prints ratios against the baselines of the same run and writes the tables to
benchmarks/results/pipeline.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import peer_python
from suite import GOOD_KEY, ROOT, Server, run

sys.path.insert(0, str(ROOT))
from tests.official_sdk import official_python

#: Where this benchmark's tables start in benchmarks/results/latest.md.
MARKER = "## Full pipeline and cost growth (benchmarks/pipeline.py)"

COLLECTOR = """
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
# A stub that reads every request body and throws it away: the OTLP collector
# for the stock pipeline and the peers, and the few Braintrust endpoints this
# SDK needs (login, project, version, /logs3), so that both sides pay the same
# for the far end (the fake service parses and keeps every row).
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # As real collectors and services do: without it, each answer's body waits
    # for the client's delayed ACK of its headers (about 40 ms per request).
    disable_nagle_algorithm = True
    def answer(self, body, ctype="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.answer(b"{}")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/api/apikey/login":
            url = f"http://127.0.0.1:{self.server.server_address[1]}"
            self.answer(json.dumps({"org_info": [{"id": "o", "name": "org",
                                                  "api_url": url}]}).encode())
        elif self.path == "/v1/project":
            self.answer(b'{"id": "p-bench", "name": "bench"}')
        elif self.path == "/api/project/register":  # the official SDK's
            self.answer(b'{"project": {"id": "p-bench", "name": "bench"}}')
        elif self.path.endswith("/traces"):
            self.answer(b"", "application/x-protobuf")
        else:
            self.answer(b"{}")
    def log_message(self, *a):
        pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(f"http://127.0.0.1:{srv.server_address[1]}", flush=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
sys.stdin.read()
"""

PAYLOAD = """
SIZE = {size}
_text = ("lorem ipsum dolor sit amet " * (SIZE // 27 + 1))[:SIZE]
MESSAGES = [{{"role": "system", "content": "You are a helpful assistant."}},
            {{"role": "user", "content": _text}}]
OUTPUT = {{"role": "assistant", "content": "Here is a summary: consectetur adipiscing elit " * 8}}
"""

# One program shape for every contender: {setup} defines make(depth) that
# makes `depth` nested spans; {finish} delivers what is left.
WORKER = """
import json, resource, threading, time
{payload}
{setup}
N, DEPTH, THREADS = {n}, {depth}, {threads}
def burst(count):
    for _ in range(count // DEPTH):
        make(DEPTH)
burst(min(200, N))
{finish}
t0, c0 = time.perf_counter(), time.process_time()
if THREADS == 1:
    burst(N)
else:
    ts = [threading.Thread(target=burst, args=(N // THREADS,)) for _ in range(THREADS)]
    for t in ts: t.start()
    for t in ts: t.join()
loop = time.perf_counter() - t0
{finish}
total = time.perf_counter() - t0
cpu = time.process_time() - c0
made = (N // THREADS // DEPTH) * DEPTH * THREADS
print(json.dumps({{"loop_us": loop / made * 1e6, "total_us": total / made * 1e6,
                  "spans_per_s": made / total, "cpu_us": cpu / made * 1e6,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

OURS = """
import braintrust
logger = braintrust.init_logger(project="bench")
def make(depth):
    if depth == 0:
        return
    with logger.start_span(name="llm") as s:
        s.log(input=MESSAGES, output=OUTPUT)
        make(depth - 1)
"""

OTEL = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
class Drop(SpanExporter):
    def export(self, spans):
        return SpanExportResult.SUCCESS
URL = {url!r}
if URL:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(endpoint=URL + "/v1/traces")
else:
    exporter = Drop()
provider = TracerProvider()
# Sized to the run: the stock default (2,048) would drop spans instead of exporting them.
provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size={n} + 1000))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("bench")
def make(depth):
    if depth == 0:
        return
    with tracer.start_as_current_span("llm") as s:
        s.set_attribute("braintrust.input_json", json.dumps(MESSAGES))
        s.set_attribute("braintrust.output_json", json.dumps(OUTPUT))
        make(depth - 1)
"""

# The span alone: the same spans and attributes with no processor at all (the
# floor of any pipeline that makes an OTel span per call).
OTEL_ALONE = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
provider = TracerProvider()
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("bench")
def make(depth):
    if depth == 0:
        return
    with tracer.start_as_current_span("llm") as s:
        s.set_attribute("braintrust.input_json", json.dumps(MESSAGES))
        s.set_attribute("braintrust.output_json", json.dumps(OUTPUT))
        make(depth - 1)
"""


LANGFUSE = """
from langfuse import Langfuse
lf = Langfuse(public_key="pk-lf-bench", secret_key="sk-lf-bench", base_url={url!r})
def make(depth):
    if depth == 0:
        return
    with lf.start_as_current_observation(name="llm", as_type="generation") as s:
        s.update(input=MESSAGES, output=OUTPUT)
        make(depth - 1)
"""

LOGFIRE = """
import logfire
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
logfire.configure(send_to_logfire=False, console=False, metrics=False,
                  additional_span_processors=[BatchSpanProcessor(
                      OTLPSpanExporter(endpoint={url!r} + "/v1/traces"),
                      max_queue_size={n} + 1000)])
def make(depth):
    if depth == 0:
        return
    with logfire.span("llm", input=MESSAGES) as s:
        s.set_attribute("output", OUTPUT)
        make(depth - 1)
"""


def worker(kind: str, *, n: int, size: int = 2000, depth: int = 1, threads: int = 1,
           url: str = "") -> str:
    setup = {"ours": OURS, "official": OURS, "langfuse": LANGFUSE.format(url=url),
             "logfire": LOGFIRE.format(url=url, n=n), "otel0": OTEL_ALONE}.get(kind) \
        or OTEL.format(url=url, n=n)
    finish = {"otel": "provider.force_flush()", "otel0": "provider.force_flush()",
              "langfuse": "lf.flush()", "logfire": "logfire.force_flush()"
              }.get(kind, "braintrust.flush()")
    return WORKER.format(payload=textwrap.dedent(PAYLOAD.format(size=size)),
                         setup=textwrap.dedent(setup), finish=finish, n=n, depth=depth,
                         threads=threads)


def med(values: list[float]) -> float:
    return statistics.median(values)


def cell(values: list[float]) -> str:
    if not values:
        return "-"
    m = med(values)
    def fmt(v: float) -> str:
        return f"{v:,.0f}" if m >= 100 else f"{v:.1f}"

    return f"{fmt(m)} ({fmt(min(values))}-{fmt(max(values))})" if len(values) > 1 else fmt(m)


PREFILL = """
import sys, uuid
from braintrust_otel.store import Store
n, location = int(sys.argv[1]), sys.argv[2]
store = Store(location)
project = store.ensure_project(name="bench")["id"]
text = ("lorem ipsum dolor sit amet " * 80)[:2000]
for start in range(0, n, 5000):
    store.write([("project_logs", project, {
        "id": uuid.uuid4().hex, "project_id": project, "log_id": "g",
        "span_id": uuid.uuid4().hex[:16], "root_span_id": uuid.uuid4().hex,
        "created": "2026-11-26T00:00:00.000000Z", "input": [{"role": "user", "content": text}],
        "output": {"role": "assistant", "content": "x" * 300},
        "span_attributes": {"name": "llm", "type": "llm"}}) for _ in range(min(5000, n - start))])
store.close()
"""


def _prefilled(folder: str, rows: int) -> str:
    # A store that already holds `rows` span rows (random ids, as real ones),
    # made once and copied for each run.
    import subprocess

    path = f"{folder}/prefilled.sqlite"
    subprocess.run([sys.executable, "-c", PREFILL, str(rows), path], check=True,
                   cwd=tempfile.gettempdir(), env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return path


def _store_only(runs: int, n: int, compare: str | None, prefill: int = 0) -> None:
    # Rounds interleave the contenders, so a change in the machine's load hits
    # them all alike. Wall time (loop + flush) is what a program waits; the
    # process's CPU time (every thread) is what the work costs, and moves far
    # less with the load of a shared machine.
    contenders: list[tuple[str, str, dict[str, str]]] = [("ours: store", "ours", {})]
    if compare:
        contenders.append(("compared: store", "ours", {"PYTHONPATH": compare}))
    contenders += [("otel bare (dropping exporter)", "otel", {}),
                   ("otel, no processor", "otel0", {})]
    res: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in contenders}
    import shutil

    with tempfile.TemporaryDirectory() as keep:
        template = _prefilled(keep, prefill) if prefill else None
        for _ in range(runs):
            for label, kind, env in contenders:
                with tempfile.TemporaryDirectory() as tmp:
                    if template is not None and kind == "ours":
                        shutil.copy(template, f"{tmp}/store.sqlite")
                    r = run(sys.executable, worker(kind, n=n),
                            {"BRAINTRUST_LOCAL_STORE": f"{tmp}/store.sqlite", **env})
                res[label].append(r)
    held = f"a store already holding {prefill:,} rows" if prefill else "a new store"
    print(f"{n:,} spans into {held}, ~2 KB messages in, one out; median (min-max) of {runs} "
          f"fresh processes each; load average {os.getloadavg()[0]:.1f} at the end")
    print("| contender | spans/s (wall, loop + flush) | loop us/span (wall) "
          "| CPU us/span (process, all threads) | spans per CPU-second | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for label, results in res.items():
        print(f"| {label} | {cell([r['spans_per_s'] for r in results])} "
              f"| {cell([r['loop_us'] for r in results])} "
              f"| {cell([r['cpu_us'] for r in results])} "
              f"| {cell([1e6 / r['cpu_us'] for r in results])} "
              f"| {cell([r['rss_mb'] for r in results])} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-official", action="store_true")
    parser.add_argument("--core", action="store_true",
                        help="only OTel+OTLP, bare OTel and this SDK (no peers, no growth)")
    parser.add_argument("--store-only", action="store_true",
                        help="only the end-to-end rate into the embedded store (spans/s "
                        "and CPU per span), beside bare OTel with the same payload")
    parser.add_argument("--compare", metavar="SRC",
                        help="also run this SDK from another source tree, interleaved "
                        "(with --store-only, into the store)")
    parser.add_argument("--prefill", type=int, default=0, metavar="ROWS",
                        help="with --store-only: into a store already holding ROWS rows")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    n = 20_000 // scale
    if args.store_only:
        _store_only(args.runs, n, args.compare, args.prefill)
        return
    skip_peers = args.no_official or args.core
    official = None if skip_peers else official_python()
    peers = {} if skip_peers else {name: peer_python(name)
                                         for name in ("langfuse", "logfire")}
    # The peers' stock BatchSpanProcessor reads its queue size from here; sized
    # to the run so that none of them drops spans instead of exporting them.
    peer_env = {"OTEL_BSP_MAX_QUEUE_SIZE": str(n + 1000)}
    tmp = tempfile.mkdtemp()
    service = Server("tests.fake_braintrust")
    import subprocess
    collector = subprocess.Popen([sys.executable, "-c", textwrap.dedent(COLLECTOR)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert collector.stdout is not None
    otlp = collector.stdout.readline().strip()
    api_env = {"BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": otlp,
               "BRAINTRUST_API_URL": otlp, "BRAINTRUST_SPOOL_DIR": f"{tmp}/spool"}
    fake_env = {**api_env, "BRAINTRUST_APP_URL": service.url,
                "BRAINTRUST_API_URL": service.url}
    store_env = {"BRAINTRUST_LOCAL_STORE": f"{tmp}/store.sqlite"}
    big_queue = {"BRAINTRUST_QUEUE_SIZE": "10000000"}  # the official SDK drops past 25,000
    started = time.time()
    res: dict[str, dict[str, list[float]]] = {}

    def add(key: str, who: str, value: float) -> None:
        res.setdefault(key, {}).setdefault(who, []).append(value)

    growth: list[tuple[str, dict[str, int]]] = [
        (f"payload {label}", {"size": size, "n": max(n // div, 20)})
        for label, size, div in (("1 KB", 1_000, 4), ("100 KB", 100_000, 100),
                                 ("1 MB", 1_000_000, 1000))
    ] + [
        (f"depth {d}", {"depth": d, "n": n // 4 // d * d, "size": 1_000}) for d in (1, 10, 100)
    ] + [
        (f"threads {t}", {"threads": t, "n": n // 4 // t * t, "size": 1_000}) for t in (1, 8, 32)
    ]
    if args.core:
        growth = []
    # This SDK, and this SDK from the compared tree (its src/ first on the path).
    ours_trees: list[tuple[str, dict[str, str]]] = [("ours", {})]
    if args.compare:
        ours_trees.append(("ours (compared)", {"PYTHONPATH": args.compare}))
    try:
        for _ in range(args.runs):
            r = run(sys.executable, worker("otel", n=n, url=otlp), {})
            add("full", "otel+otlp", r["total_us"])
            add("loop", "otel+otlp", r["loop_us"])
            add("cpu", "otel+otlp", r["cpu_us"])
            r = run(sys.executable, worker("otel", n=n), {})
            add("full", "otel bare", r["total_us"])
            add("loop", "otel bare", r["loop_us"])
            add("cpu", "otel bare", r["cpu_us"])
            for who, tree_env in ours_trees:
                r = run(sys.executable, worker("ours", n=n), {**api_env, **tree_env})
                add("full", who, r["total_us"])
                add("loop", who, r["loop_us"])
                add("cpu", who, r["cpu_us"])
                if not args.core:
                    r = run(sys.executable, worker("ours", n=n), {**fake_env, **tree_env})
                    add("fake", who, r["total_us"])
                r = run(sys.executable, worker("ours", n=n), {**store_env, **tree_env})
                add("store", who, r["spans_per_s"])
                add("store_cpu", who, r["cpu_us"])
            if official is not None:
                r = run(official, worker("official", n=n), {**api_env, **big_queue})
                add("full", "official", r["total_us"])
                add("loop", "official", r["loop_us"])
            for name, python in peers.items():  # their own OTLP exporters, to the stub
                r = run(python, worker(name, n=n, url=otlp), peer_env)
                add("full", name, r["total_us"])
                add("loop", name, r["loop_us"])
            for label, kw in growth:
                contenders: list[tuple[str, Any, dict[str, str]]] = [
                    ("ours", sys.executable, api_env), ("otel+otlp", sys.executable, {}),
                    ("official", official, {**api_env, **big_queue}),
                    *((name, py, peer_env) for name, py in peers.items())]
                for who, python, env in contenders:
                    if python is None:
                        continue
                    kind = "otel" if who.startswith("otel") else who
                    r = run(python, worker(kind, url=otlp, **kw), env)
                    add(f"g:{label}", who, r["total_us"])
                    add(f"m:{label}", who, r["rss_mb"])
    finally:
        service.stop()
        assert collector.stdin is not None
        collector.stdin.close()
        collector.wait(timeout=30)
    took = time.time() - started

    def ratio(key: str, a: str, b: str) -> str:
        x, y = res.get(key, {}).get(a), res.get(key, {}).get(b)
        return f"{med(x) / med(y):.2f}x" if x and y else "-"

    lines = [
        f"Pipeline benchmark ({time.strftime('%Y-%m-%d %H:%M')}): Python "
        f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end; median of {args.runs} runs (min-max); "
        f"took {took:.0f} s. {n:,} spans, ~2 KB messages in, one message out, exporter "
        "running during the loop.",
        "",
        "| measure | unit | ours | otel+otlp | otel bare | official | langfuse | logfire "
        "| ratio |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| full cost per span incl. delivery | us/span | {cell(res['full'].get('ours', []))} "
        f"| {cell(res['full'].get('otel+otlp', []))} | {cell(res['full'].get('otel bare', []))} "
        f"| {cell(res['full'].get('official', []))} | {cell(res['full'].get('langfuse', []))} "
        f"| {cell(res['full'].get('logfire', []))} | ours / otel+otlp "
        f"{ratio('full', 'ours', 'otel+otlp')}; official / otel+otlp "
        f"{ratio('full', 'official', 'otel+otlp')} |",
        f"| span loop, export running | us/span | {cell(res['loop'].get('ours', []))} "
        f"| {cell(res['loop'].get('otel+otlp', []))} | {cell(res['loop'].get('otel bare', []))} "
        f"| {cell(res['loop'].get('official', []))} | {cell(res['loop'].get('langfuse', []))} "
        f"| {cell(res['loop'].get('logfire', []))} | ours / otel bare "
        f"{ratio('loop', 'ours', 'otel bare')} |",
        f"| CPU time per span, whole process (loop + flush) | CPU us/span | "
        f"{cell(res['cpu'].get('ours', []))} | {cell(res['cpu'].get('otel+otlp', []))} "
        f"| {cell(res['cpu'].get('otel bare', []))} | - | - | - | ours / otel+otlp "
        f"{ratio('cpu', 'ours', 'otel+otlp')}; ours / otel bare "
        f"{ratio('cpu', 'ours', 'otel bare')} |",
        f"| full cost, to the fake service instead (parses every row) | us/span | "
        f"{cell(res.get('fake', {}).get('ours', []))} | - | - | - | - | - | - |",
        f"| end to end into the embedded store | spans/s | {cell(res['store']['ours'])} "
        "| - | - | - | - | - | - |",
        f"| CPU time per span into the embedded store | CPU us/span | "
        f"{cell(res['store_cpu']['ours'])} | - | - | - | - | - | - |",
        "",
        "Cost growth: full cost per span (us, delivery included) and peak RSS (MB) of the "
        "process; payload rows scale the user message, depth rows nest spans, thread rows "
        "split the spans across threads.",
        "",
        "| workload | ours us/span | otel+otlp us/span | official us/span | langfuse us/span "
        "| logfire us/span | ours / otel | ours MB | otel MB | official MB | langfuse MB "
        "| logfire MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, _ in growth:
        g, m = res.get(f"g:{label}", {}), res.get(f"m:{label}", {})
        lines.append(
            f"| {label} | {cell(g.get('ours', []))} | {cell(g.get('otel+otlp', []))} | "
            f"{cell(g.get('official', []))} | {cell(g.get('langfuse', []))} | "
            f"{cell(g.get('logfire', []))} | {ratio(f'g:{label}', 'ours', 'otel+otlp')} | "
            f"{cell(m.get('ours', []))} | {cell(m.get('otel+otlp', []))} | "
            f"{cell(m.get('official', []))} | {cell(m.get('langfuse', []))} | "
            f"{cell(m.get('logfire', []))} |")
    if args.compare:
        cmp = "ours (compared)"
        lines += ["", f"This SDK against the compared tree ({args.compare}), interleaved in "
                  "each round (wall ratios move with the load; CPU ratios far less):", "",
                  "| measure | unit | ours | compared | ours / compared |", "|---|---|---|---|---|"]
        for key, label, unit in (("full", "full cost incl. delivery", "us/span"),
                                 ("loop", "span loop, export running", "us/span"),
                                 ("cpu", "CPU, whole process", "CPU us/span"),
                                 ("store", "into the embedded store", "spans/s"),
                                 ("store_cpu", "CPU into the embedded store", "CPU us/span")):
            lines.append(f"| {label} | {unit} | {cell(res[key].get('ours', []))} | "
                         f"{cell(res[key].get(cmp, []))} | {ratio(key, 'ours', cmp)} |")
        lines += ["", "Loop / bare OTel and full / OTel+OTLP per round (ours; compared): "
                  + "; ".join(
            f"{lo / b:.2f}x, {fu / o:.2f}x; {lc / b:.2f}x, {fc / o:.2f}x"
            for lo, fu, lc, fc, b, o in zip(res["loop"]["ours"], res["full"]["ours"],
                                            res["loop"][cmp], res["full"][cmp],
                                            res["loop"]["otel bare"], res["full"]["otel+otlp"]))]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.core or args.compare:
        # A partial run: kept apart from the full tables.
        (ROOT / "benchmarks" / "results" / "pipeline-compare.md").write_text(table)
        return
    out = ROOT / "benchmarks" / "results" / "pipeline.md"
    out.write_text(table)
    # latest.md holds both tables: the suite's, then this one's (each keeps the other's).
    latest = ROOT / "benchmarks" / "results" / "latest.md"
    head = latest.read_text().split(MARKER)[0] if latest.exists() else ""
    latest.write_text(head.rstrip("\n") + "\n\n" + MARKER + "\n\n" + table)


if __name__ == "__main__":
    main()
