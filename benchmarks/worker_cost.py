"""The export worker's and the HTTP sender's work per facade row, counted rather than timed.

Makes facade spans carrying the pipeline's 2 KB payload with export held
back, then runs the whole path of both threads on them on this thread: map,
resolve object ids, combine, encode, cut into requests, build the bodies and
post them (``Logs3Sender.deliver``) to a loopback stub that discards them. It prints
the Python bytecodes and calls per row (``sys.settrace``: the same on a
loaded machine as on a quiet one) and the thread CPU time per row (best of
15; this one moves with the load). With ``--compare SRC`` it runs the same
in a fresh process against another source tree (say, a ``git archive`` of
main) and prints both, so a change is judged within one run.

    python benchmarks/worker_cost.py [--spans 512] [--compare /tmp/main/src]

For machine instructions, run it under valgrind
(``valgrind --tool=callgrind --callgrind-out-file=/dev/null``) with
``--repeat 0`` and ``--repeat 4`` and divide the difference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import COLLECTOR
from suite import GOOD_KEY


def measure(spans_n: int, repeat: int | None) -> dict[str, Any]:
    """Counts the worker's work per row in this process (see the module docstring)."""
    collector = subprocess.Popen([sys.executable, "-c", textwrap.dedent(COLLECTOR)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert collector.stdout is not None and collector.stdin is not None
    url = collector.stdout.readline().strip()
    os.environ.update({
        "BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": url, "BRAINTRUST_API_URL": url,
        # Export held back: the spans stay queued for this thread to take.
        "OTEL_BSP_SCHEDULE_DELAY": "1000000000", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "100000000",
        "BRAINTRUST_QUEUE_SIZE": "100000000",
        # A spill or an exit-time spool goes to a throwaway folder, never the user's.
        "BRAINTRUST_SPOOL_DIR": tempfile.mkdtemp(prefix="worker-cost-spool-"),
    })
    try:
        import braintrust
        from braintrust import _state
        from braintrust_otel.customize import customize_row
        from braintrust_otel.exporter import map_span

        text = ("lorem ipsum dolor sit amet " * 75)[:2000]
        messages = [{"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": text}]
        output = {"role": "assistant",
                  "content": "Here is a summary: consectetur adipiscing elit " * 8}
        logger = braintrust.init_logger(project="bench")
        processor = _state.processor()
        sink: Any = processor.exporter.sink  # type: ignore[attr-defined]

        def make(n: int) -> list[Any]:
            for _ in range(n):
                with logger.start_span(name="llm") as span:
                    span.log(input=messages, output=output)
            spans = list(processor._queue)
            processor._queue.clear()
            return spans

        def work(spans: list[Any]) -> None:
            rows = [customize_row(map_span(s, True)) for s in spans]
            # Resolved, combined, encoded, cut and posted as the sender does it
            # (BRAINTRUST_DEFAULT_BATCH_SIZE rows per request at most).
            leftover, down = sink._logs3.deliver(rows, sink.batch_rows, sink.retry)
            assert not leftover and down is None, down

        work(make(20))  # logs in and registers the project
        spans = make(spans_n)
        if repeat is not None:
            for _ in range(repeat):
                work(spans)
            return {}
        counts = {"bytecodes": 0, "calls": 0}

        def tracer(frame: Any, event: str, arg: Any) -> Any:
            if event == "call":
                counts["calls"] += 1
                frame.f_trace_opcodes = True
            elif event == "opcode":
                counts["bytecodes"] += 1
            return tracer

        sys.settrace(tracer)
        try:
            work(spans)
        finally:
            sys.settrace(None)
        best = min(_cpu(work, spans) for _ in range(15))
        return {"bytecodes_per_row": counts["bytecodes"] / spans_n,
                "calls_per_row": counts["calls"] / spans_n,
                "cpu_us_per_row": best / spans_n * 1e6}
    finally:
        collector.stdin.close()
        collector.wait(timeout=30)


def _cpu(work: Any, spans: list[Any]) -> float:
    start = time.thread_time()
    work(spans)
    return time.thread_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spans", type=int, default=512)
    parser.add_argument("--compare", help="another source tree (its src/ directory)")
    parser.add_argument("--repeat", type=int, help="only run the work N times (for valgrind)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeat is not None:
        measure(args.spans, args.repeat)
        return
    if args.json:
        print(json.dumps(measure(args.spans, None)))
        return
    # Each tree in a fresh process, so neither sees the other's modules.
    trees = [("this tree", str(Path(__file__).resolve().parent.parent / "src"))]
    if args.compare:
        trees.append(("compared", args.compare))
    for label, src in trees:
        env = {**os.environ, "PYTHONPATH": src}
        out = subprocess.run([sys.executable, __file__, "--spans", str(args.spans), "--json"],
                             capture_output=True, text=True, check=True, env=env)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{label} ({src}): {result['bytecodes_per_row']:.0f} bytecodes/row, "
              f"{result['calls_per_row']:.0f} Python calls/row, "
              f"{result['cpu_us_per_row']:.1f} us CPU/row (best of 15; load "
              f"{os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
