"""Mixing with OpenTelemetry: existing providers, foreign spans, one context."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_python, stored_rows


def _rows(db: Path, project: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["span_attributes"]["name"]: r for r in stored_rows(db, project)}


def test_existing_provider_is_kept_and_sees_our_spans(tmp_path: Path) -> None:
    proc = run_python(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        provider = TracerProvider()
        memory = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        trace.set_tracer_provider(provider)

        import braintrust
        braintrust.init_logger(project="mix")
        assert trace.get_tracer_provider() is provider
        tracer = trace.get_tracer("user.app")

        with tracer.start_as_current_span("http request"):           # foreign root
            with braintrust.start_span(name="bt-child") as bt:       # ours inside theirs
                bt.log(input="q", output="a")
                with tracer.start_as_current_span("db query") as db:  # theirs inside ours
                    db.set_attribute("db.statement", "SELECT 1")
        braintrust.flush()
        print(json.dumps(sorted(s.name for s in memory.get_finished_spans())))
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["bt-child", "db query", "http request"]
    rows = _rows(tmp_path / "sub.sqlite", "mix")
    http, bt, db = rows["http request"], rows["bt-child"], rows["db query"]
    assert bt["span_parents"] == [http["span_id"]]
    assert db["span_parents"] == [bt["span_id"]]
    assert http["span_parents"] is None
    assert {http["root_span_id"], bt["root_span_id"], db["root_span_id"]} == {http["root_span_id"]}
    assert bt["input"] == "q" and bt["output"] == "a"
    assert db["metadata"] == {"db.statement": "SELECT 1"}
    assert db["span_attributes"]["type"] == "function"
    assert http["span_attributes"]["type"] == "task"
    assert db["context"]["span_origin"]["instrumentation"]["name"] == "user.app"


def test_processor_added_once_even_if_user_added_it(tmp_path: Path) -> None:
    proc = run_python(
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from braintrust_otel import add_braintrust_span_processor
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
        mine = add_braintrust_span_processor(provider)
        import braintrust
        from braintrust import _state
        logger = braintrust.init_logger(project="once")
        assert _state.processor() is mine
        logger.log(input=1)
        braintrust.flush()
        print(len(provider._active_span_processor._span_processors))
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"
    assert len(_rows(tmp_path / "sub.sqlite", "once")) == 1


def test_foreign_spans_without_logger_go_to_braintrust_parent(tmp_path: Path) -> None:
    proc = run_python(
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.trace import Status, StatusCode
        from braintrust_otel import add_braintrust_span_processor
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
        add_braintrust_span_processor(provider)
        tracer = trace.get_tracer("lib")
        try:
            with tracer.start_as_current_span("failing") as span:
                raise ValueError("nope")
        except ValueError:
            pass
        provider.force_flush()
        """,
        tmp_path,
        env={"BRAINTRUST_PARENT": "project_name:from-env"},
    )
    assert proc.returncode == 0, proc.stderr
    row = _rows(tmp_path / "sub.sqlite", "from-env")["failing"]
    assert "ValueError: nope" in row["error"]


def test_otlp_exporter_sees_braintrust_attributes(tmp_path: Path) -> None:
    # A user's own exporter gets the braintrust.* attributes Braintrust's OTLP
    # ingestion reads, so the same spans land right through a stock exporter.
    proc = run_python(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        provider = TracerProvider()
        memory = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        trace.set_tracer_provider(provider)
        import braintrust
        braintrust.init_logger(project="attrs")
        with braintrust.start_span(name="s", type="llm") as s:
            s.log(input={"q": 1}, output="a", expected="b", metadata={"m": 1},
                  scores={"x": 1}, metrics={"tokens": 2}, tags=["t"])
        [span] = memory.get_finished_spans()
        print(json.dumps({k: (list(v) if isinstance(v, tuple) else v)
                          for k, v in span.attributes.items()}))
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    attrs = json.loads(proc.stdout)
    assert json.loads(attrs["braintrust.input_json"]) == {"q": 1}
    assert json.loads(attrs["braintrust.output_json"]) == "a"
    assert json.loads(attrs["braintrust.expected"]) == "b"
    assert json.loads(attrs["braintrust.metadata"]) == {"m": 1}
    assert json.loads(attrs["braintrust.scores"]) == {"x": 1}
    assert json.loads(attrs["braintrust.metrics"]) == {"tokens": 2}
    assert json.loads(attrs["braintrust.span_attributes"]) == {"type": "llm"}
    assert attrs["braintrust.tags"] == ["t"]
    assert attrs["braintrust.parent"] == "project_name:attrs"


def test_current_span_wraps_a_foreign_span(tmp_path: Path) -> None:
    proc = run_python(
        """
        from opentelemetry import trace
        import braintrust
        braintrust.init_logger(project="wrap")
        tracer = trace.get_tracer("other")
        with tracer.start_as_current_span("theirs"):
            braintrust.current_span().log(metadata={"added": "by braintrust"}, scores={"q": 1})
            braintrust.current_span().log(metadata={"more": 2})
            braintrust.current_span().set_attributes(type="tool")
        braintrust.flush()
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    row = _rows(tmp_path / "sub.sqlite", "wrap")["theirs"]
    assert row["metadata"] == {"added": "by braintrust", "more": 2}
    assert row["span_attributes"]["type"] == "tool"
    assert row["scores"] == {"q": 1}


def test_spans_are_flushed_at_exit_even_without_provider_shutdown(tmp_path: Path) -> None:
    proc = run_python(
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        trace.set_tracer_provider(TracerProvider(shutdown_on_exit=False))
        import braintrust
        logger = braintrust.init_logger(project="exit")
        for i in range(700):
            logger.log(input=i)
        # no flush: the process just ends
        """,
        tmp_path,
        env={"OTEL_BSP_SCHEDULE_DELAY": "3600000"},
    )
    assert proc.returncode == 0, proc.stderr
    assert len(stored_rows(tmp_path / "sub.sqlite", "exit")) == 700

