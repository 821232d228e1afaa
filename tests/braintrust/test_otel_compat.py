"""``braintrust.otel``: the official SDK's OTel helpers, and its OTel examples rewritten as tests.

The examples (distributed tracing across services, Braintrust and OTel spans
nesting both ways, an Eval whose task makes plain OTel spans) each run in
fresh interpreters, as real programs do: a process sets its own global
``TracerProvider``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry.propagate import inject
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from braintrust import _slugs
from braintrust.otel import (
    AISpanProcessor,
    BraintrustSpanProcessor,
    OtelExporter,
    add_braintrust_span_processor,
    add_parent_to_baggage,
    add_span_parent_to_baggage,
    context_from_span_export,
    is_root_span,
    parent_from_headers,
)
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.store import Store
from tests.conftest import run_python


def _rows(db: Path, project: str) -> dict[str, dict[str, Any]]:
    store = Store(db)
    found = store.find_project(name=project)
    assert found is not None, f"no project {project!r}"
    return {r.data["span_attributes"]["name"]: r.data
            for r in store.rows("project_logs", found["id"])}


def _ok(proc: Any) -> str:
    assert proc.returncode == 0, proc.stderr
    return str(proc.stdout)


# -- the official examples, as programs ---------------------------------------

def test_distributed_trace_across_three_services(tmp_path: Path) -> None:
    # Service A: a Braintrust span, exported as a slug (sent in a header, say).
    slug = _ok(run_python(
        """
        import braintrust
        logger = braintrust.init_logger(project="distributed")
        with logger.start_span(name="service_a.root") as span:
            span.log(input="request")
            print(span.export())
        braintrust.flush()
        """, tmp_path)).strip()

    # Service B: plain OTel code continues A's trace, then calls C with W3C headers.
    headers = json.loads(_ok(run_python(
        f"""
        import json
        from opentelemetry import context, trace
        from opentelemetry.propagate import inject
        from opentelemetry.sdk.trace import TracerProvider
        from braintrust.otel import (add_braintrust_span_processor,
                                     add_span_parent_to_baggage, context_from_span_export)

        provider = TracerProvider()
        add_braintrust_span_processor(provider, parent="project_name:elsewhere")
        trace.set_tracer_provider(provider)
        tracer = trace.get_tracer("service_b")

        token = context.attach(context_from_span_export({slug!r}))
        try:
            with tracer.start_as_current_span("service_b.root") as span:
                with tracer.start_as_current_span("service_b.child"):
                    pass
                add_span_parent_to_baggage(span)
                headers = {{}}
                inject(headers)
        finally:
            context.detach(token)
        provider.force_flush()
        print(json.dumps(headers))
        """, tmp_path)))
    assert headers["traceparent"].startswith("00-")
    assert "braintrust.parent=project_" in headers["baggage"]

    # Service C: a Braintrust span whose parent comes from B's headers.
    _ok(run_python(
        f"""
        import braintrust
        from braintrust.otel import parent_from_headers
        logger = braintrust.init_logger(project="distributed")
        parent = parent_from_headers({headers!r})
        assert parent is not None
        with logger.start_span(name="service_c.root", parent=parent) as span:
            span.log(input="analytics", output="done")
        braintrust.flush()
        """, tmp_path))

    rows = _rows(tmp_path / "sub.sqlite", "distributed")
    a, b, b_child, c = (rows[n] for n in ("service_a.root", "service_b.root",
                                          "service_b.child", "service_c.root"))
    assert len({a["root_span_id"], b["root_span_id"], b_child["root_span_id"],
                c["root_span_id"]}) == 1
    assert b["span_parents"] == [a["span_id"]]
    assert b_child["span_parents"] == [b["span_id"]]
    assert c["span_parents"] == [b["span_id"]]
    assert c["output"] == "done"
    # B's default parent was another project: the context's parent won.
    assert Store(tmp_path / "sub.sqlite").find_project(name="elsewhere") is None


def test_braintrust_and_otel_spans_nest_both_ways_on_one_processor(tmp_path: Path) -> None:
    out = _ok(run_python(
        """
        import json
        import braintrust
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from braintrust import _state
        from braintrust.otel import BraintrustSpanProcessor

        provider = TracerProvider()
        processor = BraintrustSpanProcessor(parent="project_name:mixed")
        provider.add_span_processor(processor)
        trace.set_tracer_provider(provider)
        tracer = trace.get_tracer("app")
        project = braintrust.init_logger(project="mixed")

        with project.start_span("1.bt.root") as root:              # Braintrust root
            root.log(input="BT root")
            with tracer.start_as_current_span("1.1.otel") as otel_span:   # OTel inside it
                otel_span.set_attribute("kind", "otel_inside_bt")
                with tracer.start_as_current_span("1.1.1.otel_nested"):
                    pass
                with root.start_span("1.2.bt.child") as child:      # explicit BT child
                    child.log(output="result", scores={"score": 0.95})
        with tracer.start_as_current_span("2.otel.root"):           # OTel root
            with project.start_span("2.1.bt.child") as bt:         # Braintrust inside it
                with bt.start_span("2.2.bt.grandchild") as grandchild:
                    grandchild.log(output="unified")
        braintrust.flush()
        # The facade took the user's processor instead of adding a second one.
        print(json.dumps(_state.processor() is processor))
        """, tmp_path))
    assert json.loads(out) is True
    rows = _rows(tmp_path / "sub.sqlite", "mixed")
    assert rows["1.1.otel"]["span_parents"] == [rows["1.bt.root"]["span_id"]]
    assert rows["1.1.1.otel_nested"]["span_parents"] == [rows["1.1.otel"]["span_id"]]
    assert rows["1.2.bt.child"]["span_parents"] == [rows["1.bt.root"]["span_id"]]
    assert rows["1.1.otel"]["metadata"] == {"kind": "otel_inside_bt"}
    assert rows["2.1.bt.child"]["span_parents"] == [rows["2.otel.root"]["span_id"]]
    assert rows["2.2.bt.grandchild"]["span_parents"] == [rows["2.1.bt.child"]["span_id"]]
    assert rows["2.2.bt.grandchild"]["root_span_id"] == rows["2.otel.root"]["root_span_id"]
    assert len(rows) == 7  # each span once: one processor


def test_eval_task_with_plain_otel_spans_nests_under_the_task(tmp_path: Path) -> None:
    out = _ok(run_python(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from braintrust import Eval
        from braintrust.otel import BraintrustSpanProcessor

        provider = TracerProvider()
        provider.add_span_processor(BraintrustSpanProcessor(parent="project_name:otel-eval"))
        trace.set_tracer_provider(provider)

        def task(input):
            with trace.get_tracer(__name__).start_as_current_span("otel.eval.task") as span:
                span.set_attribute("input", input)
                result = "Hi " + input
                span.set_attribute("output", result)
                return result

        def exact(output, expected):
            return output == expected

        result = Eval("Say Hi Bot", data=[{"input": "Foo", "expected": "Hi Foo"},
                                          {"input": "Bar", "expected": "Hello Bar"}],
                      task=task, scores=[exact], quiet=True)
        print(json.dumps(result.summary.experiment_id))
        """, tmp_path))
    experiment_id = json.loads(out)
    store = Store(tmp_path / "sub.sqlite")
    rows = [r.data for r in store.rows("experiment", experiment_id)]
    by_id = {r["span_id"]: r for r in rows}
    otel_spans = [r for r in rows if r["span_attributes"]["name"] == "otel.eval.task"]
    assert len(otel_spans) == 2
    for span in otel_spans:
        parent = by_id[span["span_parents"][0]]
        assert parent["span_attributes"]["type"] == "task"
        assert span["metadata"]["output"] == "Hi " + span["metadata"]["input"]
    # Nothing of the eval leaked into the processor's default project.
    assert store.find_project(name="otel-eval") is None


# -- the processor, in process ------------------------------------------------------

@pytest.fixture
def provider_to(tmp_path: Path) -> Iterator[Any]:
    """Builds a private provider with a processor writing to a store file of its own."""
    made: list[TracerProvider] = []

    def build(**kwargs: Any) -> tuple[TracerProvider, BraintrustSpanProcessor, Store]:
        provider = TracerProvider()
        processor = BraintrustSpanProcessor(**kwargs)
        sink = LocalSink(tmp_path / f"p{len(made)}.sqlite", notice=False)
        processor.exporter.sink = sink
        provider.add_span_processor(processor)
        made.append(provider)
        return provider, processor, sink.store

    yield build
    for provider in made:
        provider.shutdown()


def _names(store: Store, project: str) -> set[str]:
    found = store.find_project(name=project)
    return set() if found is None else {
        r.data["span_attributes"]["name"] for r in store.rows("project_logs", found["id"])}


def test_filter_ai_spans_and_custom_filter(provider_to: Any) -> None:
    def no_secrets(span: Any) -> bool | None:
        if span.name == "secret llm.call":
            return False
        return True if span.name == "keep me" else None

    provider, processor, store = provider_to(parent="project_name:f", filter_ai_spans=True,
                                             custom_filter=no_secrets)
    tracer = provider.get_tracer("t")
    for name, attrs in (("gen_ai.chat", {}), ("http GET", {}), ("db", {"llm.model": "m"}),
                        ("secret llm.call", {}), ("keep me", {})):
        tracer.start_span(name, attributes=attrs).end()
    assert processor.force_flush()
    assert _names(store, "f") == {"gen_ai.chat", "db", "keep me"}


def test_parent_argument_and_context_parent(provider_to: Any) -> None:
    provider, _, store = provider_to(parent="project_name:default-here")
    tracer = provider.get_tracer("t")
    tracer.start_span("plain").end()
    token = add_parent_to_baggage("project_name:from-baggage")
    try:
        with tracer.start_as_current_span("in baggage"):
            pass
    finally:
        otel_context.detach(token)  # type: ignore[arg-type]
    provider.force_flush()
    assert _names(store, "default-here") == {"plain"}
    assert _names(store, "from-baggage") == {"in baggage"}


def test_simple_span_processor_class_exports_on_end(provider_to: Any) -> None:
    provider, processor, store = provider_to(parent="project_name:simple",
                                             SpanProcessor=SimpleSpanProcessor)
    assert isinstance(processor.processor, SimpleSpanProcessor)
    provider.get_tracer("t").start_span("at once").end()
    # SimpleSpanProcessor hands the span to the exporter inside end(): no flush of ours.
    assert _names(store, "simple") == {"at once"}


def test_environment_is_recorded_as_span_origin(provider_to: Any) -> None:
    provider, processor, store = provider_to(parent="project_name:env",
                                             environment={"type": "server", "name": "ecs"})
    provider.get_tracer("svc").start_span("work").end()
    processor.force_flush()
    found = store.find_project(name="env")
    assert found is not None
    (row,) = [r.data for r in store.rows("project_logs", found["id"])]
    assert row["context"]["span_origin"]["environment"] == {"type": "server", "name": "ecs"}


def test_processor_delivers_to_the_service_with_extra_headers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fake_braintrust import GOOD_KEY, FakeBraintrust

    with FakeBraintrust() as fake:
        monkeypatch.setenv("BRAINTRUST_APP_URL", fake.url)
        provider = TracerProvider()
        processor = BraintrustSpanProcessor(api_key=GOOD_KEY, api_url=fake.url,
                                            parent="project_name:remote",
                                            headers={"x-proxy-token": "t1"})
        provider.add_span_processor(processor)
        with provider.get_tracer("t").start_as_current_span("remote span") as span:
            span.set_attribute("gen_ai.request.model", "m")
        assert processor.force_flush()
        provider.shutdown()
        logs3 = [r for r in fake.requests if r["path"] == "/logs3"]
        assert logs3 and all(r["headers"].get("x-proxy-token") == "t1" for r in logs3)
        names = [row["span_attributes"]["name"] for row in fake.rows.values()]
        assert names == ["remote span"]


def test_add_braintrust_span_processor_adds_one_processor(tmp_path: Path,
                                                          caplog: Any) -> None:
    provider = TracerProvider()
    assert add_braintrust_span_processor(provider, parent="project_name:once") is None  # type: ignore[func-returns-value]
    with caplog.at_level(logging.WARNING, logger="braintrust"):
        add_braintrust_span_processor(provider, parent="project_name:twice")
    procs = [p for p in provider._active_span_processor._span_processors
             if isinstance(p, BraintrustSpanProcessor)]
    assert len(procs) == 1
    assert "already has a Braintrust span processor" in caplog.text
    provider.shutdown()


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="parent"):
        BraintrustSpanProcessor(parent="project:x")
    with pytest.raises(TypeError, match="api_key"):
        BraintrustSpanProcessor(api_key=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="custom_filter"):
        BraintrustSpanProcessor(custom_filter="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="slug"):
        context_from_span_export("not a slug")
    with pytest.raises(TypeError, match="tracer_provider"):
        add_braintrust_span_processor(object())


# -- the context helpers ----------------------------------------------------------

def test_context_from_span_export_makes_children_of_the_exported_span() -> None:
    slug = _slugs.encode_slug(_slugs.SpanRef(
        _slugs.EXPERIMENT, object_id="exp-1", row_id="r", span_id="00000000000000ab",
        root_span_id="000000000000000000000000000000cd"))
    ctx = context_from_span_export(slug)
    span_ctx = trace.get_current_span(ctx).get_span_context()
    assert (span_ctx.trace_id, span_ctx.span_id, span_ctx.is_remote) == (0xCD, 0xAB, True)
    assert baggage.get_baggage("braintrust.parent", ctx) == "experiment_id:exp-1"


def test_parent_from_headers_round_trip_and_failures(caplog: Any) -> None:
    provider = TracerProvider()
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("svc") as span:
        headers: dict[str, str] = {}
        inject(headers)
        assert parent_from_headers(headers) is None  # no braintrust.parent yet
        token = add_parent_to_baggage("project_id:p-123")
        try:
            headers = {}
            inject(headers)
        finally:
            otel_context.detach(token)  # type: ignore[arg-type]
        ctx = span.get_span_context()
    ref = _slugs.decode_slug(parent_from_headers(headers) or "")
    assert ref.parent == "project_id:p-123"
    assert ref.span_id == format(ctx.span_id, "016x")
    assert ref.root_span_id == format(ctx.trace_id, "032x")
    assert parent_from_headers({}) is None
    assert parent_from_headers({"traceparent": headers["traceparent"],
                                "baggage": "braintrust.parent=bogus"}) is None
    assert "no braintrust.parent" in caplog.text


def test_add_span_parent_to_baggage_without_parent_warns(caplog: Any) -> None:
    span = TracerProvider().get_tracer("t").start_span("bare")
    with caplog.at_level(logging.WARNING, logger="braintrust"):
        assert add_span_parent_to_baggage(span) is None
    assert "no braintrust.parent" in caplog.text
    span.end()


def test_ai_span_processor_and_is_root_span() -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(AISpanProcessor(SimpleSpanProcessor(memory)))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("request"):
        tracer.start_span("ai.generateText").end()
    spans = {s.name: s for s in memory.get_finished_spans()}
    assert set(spans) == {"ai.generateText"}
    assert not is_root_span(spans["ai.generateText"])


def test_otel_exporter_sends_otlp_to_braintrust_serve(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.served import Running

    store = Store(tmp_path / "served.sqlite")
    running = Running(store)
    try:
        monkeypatch.setenv("BRAINTRUST_API_URL", running.url)
        exporter = OtelExporter(api_key="local", parent="project_name:via-otlp")
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        provider.get_tracer("t").start_span("over otlp").end()
        provider.shutdown()
        assert _names(store, "via-otlp") == {"over otlp"}
    finally:
        running.stop()


# -- W3C headers straight from facade spans (Span.inject / extract_trace_context) -------

def test_trace_continues_over_http_through_injected_headers(store: Any, tmp_path: Path) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import braintrust

    received: list[dict[str, str]] = []

    class Service(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            headers = dict(self.headers.items())
            received.append(headers)
            ctx = braintrust.extract_trace_context(headers)
            with braintrust.start_span(name="service_b.handle", parent=ctx) as span:
                span.log(input="from a", output="ok")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    braintrust.init_logger(project="service-b-own")  # not where the trace goes
    try:
        out = _ok(run_python(
            f"""
            import json, requests, braintrust
            logger = braintrust.init_logger(project="service-a")
            with logger.start_span(name="service_a.call") as span:
                requests.post("http://127.0.0.1:{server.server_address[1]}/",
                              headers=span.inject({{"x-other": "1"}}), timeout=10)
                print(json.dumps([span.span_id, span.root_span_id]))
            braintrust.flush()
            """, tmp_path))
    finally:
        server.shutdown()
    a_span_id, a_trace_id = json.loads(out)
    (headers,) = received
    assert headers["x-other"] == "1"
    assert "braintrust.parent=project_name%3Aservice-a" in headers["baggage"] or \
        "braintrust.parent=project_name:service-a" in headers["baggage"]
    (b,) = store.rows("service-a")
    assert b["span_parents"] == [a_span_id] and b["root_span_id"] == a_trace_id
    assert b["output"] == "ok"


def test_extract_trace_context_and_its_fallback_parent(store: Any) -> None:
    import braintrust

    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="up") as up:
        via_current = braintrust.inject_trace_context()
        explicit = braintrust.inject_trace_context(span=up)
    assert via_current["traceparent"] == explicit["traceparent"]
    assert braintrust.extract_trace_context({}) is None
    assert braintrust.extract_trace_context({"traceparent": "garbage"}) is None
    ctx = braintrust.extract_trace_context({"TraceParent": explicit["traceparent"],
                                            "Cookie": "secret"})
    assert ctx == {"traceparent": explicit["traceparent"]}  # no baggage: no Braintrust parent
    braintrust.init_logger(project="receiver")
    with braintrust.start_span(name="down", parent=ctx):
        pass
    # Without a braintrust.parent in the headers the current logger is the container.
    (down,) = store.rows("receiver")
    assert down["span_parents"] == [up.span_id]
    assert braintrust.NOOP_SPAN.inject() == {}
    with pytest.raises(TypeError, match="parent"):
        braintrust.start_span(name="x", parent=42)  # type: ignore[arg-type]
