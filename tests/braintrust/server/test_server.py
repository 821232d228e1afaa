"""`braintrust serve`: the REST subset the SDKs use and OTLP ingest, on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import braintrust
from braintrust import _state
from braintrust_otel.api import ApiConnection
from braintrust_otel.sinks.http import HttpSink
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.spool import Spool
from braintrust_otel.store import Store
from tests.served import Running


@pytest.fixture
def served(store_location: str) -> Iterator[tuple[Running, Store]]:
    store = Store(store_location)
    running = Running(store)
    yield running, store
    running.stop()


def test_our_sdk_logs_evaluates_and_reads_datasets_through_the_server(
    served: tuple[Running, Store], tmp_path: Path
) -> None:
    running, store = served
    conn = ApiConnection(api_key="any-key", app_url=running.url)
    braintrust.flush()
    _state.exporter().sink = HttpSink(conn, Spool(tmp_path / "spool"))
    try:
        logger = braintrust.init_logger(project="served")
        with logger.start_span(name="root") as root, root.start_span(name="child", type="llm"):
            pass
        logger.log(input="q", output="a")
        result = braintrust.Eval("served", data=[{"input": "a", "expected": "A"}],
                                 task=str.upper, scores=[lambda output, expected: 1.0],
                                 quiet=True)
        ds = braintrust.init_dataset(project="served", name="d")
        rid = ds.insert(input={"x": 1}, expected=2)
        assert [r["id"] for r in ds.fetch()] == [rid]
        assert braintrust.flush() is True
    finally:
        braintrust.flush()
        _state.exporter().sink = LocalSink(tmp_path / "after.sqlite", notice=False)
    project = store.find_project(name="served")
    assert project is not None
    names = sorted(r.data["span_attributes"]["name"]
                   for r in store.rows("project_logs", project["id"]))
    assert names == ["child", "root", "root"]
    assert result.summary is not None
    exp_rows = list(store.rows("experiment", result.summary.experiment_id or ""))
    assert len(exp_rows) == 3
    assert store.dataset_rows(ds.id)[0]["expected"] == 2


def test_otlp_ingest_from_the_stock_exporter(served: tuple[Running, Store]) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    running, store = served
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(
        endpoint=f"{running.url}/otel/v1/traces", headers={"x-bt-parent": "project_name:otlp"})))
    tracer = provider.get_tracer("remote.app")
    with tracer.start_as_current_span("request"), tracer.start_as_current_span(
            "chat gpt-4o", attributes={
                "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 2,
                "gen_ai.input.messages": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}])}):
        pass
    provider.shutdown()
    project = store.find_project(name="otlp")
    assert project is not None
    rows = {r.data["span_attributes"]["name"]: r.data
            for r in store.rows("project_logs", project["id"])}
    llm = rows["chat gpt-4o"]
    assert llm["span_attributes"]["type"] == "llm"
    assert llm["input"] == [{"role": "user", "content": "hi"}]
    assert llm["metrics"]["tokens"] == 7
    assert llm["span_parents"] == [rows["request"]["span_id"]]


def test_otlp_json_gzip_and_malformed_bodies(served: tuple[Running, Store]) -> None:
    running, store = served
    body = {"resourceSpans": [{"scopeSpans": [{"scope": {"name": "js"}, "spans": [{
        "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
        "name": "from-json", "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
        "attributes": [{"key": "braintrust.parent",
                        "value": {"stringValue": "project_name:json"}}]}]}]}]}
    resp = requests.post(f"{running.url}/otel/v1/traces",
                         data=gzip.compress(json.dumps(body).encode()),
                         headers={"Content-Type": "application/json",
                                  "Content-Encoding": "gzip"}, timeout=10)
    assert resp.status_code == 200, resp.text
    project = store.find_project(name="json")
    assert project is not None
    [row] = [r.data for r in store.rows("project_logs", project["id"])]
    assert row["span_id"] == "eee19b7ec3c1b174"
    assert row["root_span_id"] == "5b8efff798038103d269b633813fc60c"
    bad: list[Any] = [
        requests.post(f"{running.url}/otel/v1/traces", data=b"\xff\x00garbage",
                      headers={"Content-Type": "application/x-protobuf"}, timeout=10),
        requests.post(f"{running.url}/logs3", data=b"{not json", timeout=10),
        requests.post(f"{running.url}/logs3", json={"rows": [{"no": "id"}]}, timeout=10),
        requests.post(f"{running.url}/logs3", json={"rows": [{"id": "x"}]}, timeout=10),
        requests.post(f"{running.url}/v1/project", json={}, timeout=10),
    ]
    for resp in bad:
        assert resp.status_code == 400, resp.text
        assert "error" in resp.json()
    huge = requests.post(f"{running.url}/logs3", data=b"x",
                         headers={"Content-Length": str(1 << 30)}, timeout=10)
    assert huge.status_code in (400, 413)
    for path in ("/upload/..%2F..%2Fetc%2Fpasswd", "/upload/../../etc/passwd"):
        resp = requests.put(f"{running.url}{path}", data=b"x", timeout=10)
        assert resp.status_code in (400, 404)


def test_access_token(tmp_path: Path) -> None:
    running = Running(Store(tmp_path / "t.sqlite"), token="secret-token")
    try:
        denied = requests.get(f"{running.url}/version", timeout=10)
        assert denied.status_code == 401 and "token" in denied.json()["error"]
        ok = requests.get(f"{running.url}/version",
                          headers={"Authorization": "Bearer secret-token"}, timeout=10)
        assert ok.status_code == 200 and ok.json()["logs3_payload_max_bytes"] > 0
    finally:
        running.stop()


def test_prompts_and_attachments_through_the_server(served: tuple[Running, Store],
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    running, store = served
    monkeypatch.setenv("BRAINTRUST_PROMPT_CACHE_DIR", str(tmp_path / "cache"))
    conn = ApiConnection(api_key="any-key", app_url=running.url)
    braintrust.flush()
    _state.exporter().sink = HttpSink(conn, Spool(tmp_path / "spool"))
    try:
        project = braintrust.projects.create("served")
        project.prompts.create(name="Hi", slug="hi", model="m",
                               messages=[{"role": "user", "content": "hi {{x}}"}])
        project.publish()  # /insert-functions on the local server
        prompt = braintrust.load_prompt(project="served", slug="hi")
        assert prompt.build(x=1)["messages"] == [{"role": "user", "content": "hi 1"}]
        data = b"\x00\x01binary" * 100
        attachment = braintrust.Attachment(data, filename="b.bin",
                                           content_type="application/octet-stream")
        braintrust.init_logger(project="served").log(input={"file": attachment})
        assert braintrust.flush() is True
        assert attachment.status() == {"upload_status": "done"}
        assert braintrust.ReadonlyAttachment(attachment.reference).data == data
    finally:
        braintrust.flush()
        _state.exporter().sink = LocalSink(tmp_path / "after.sqlite", notice=False)
    assert store.get_attachment(attachment.reference["key"]) == data
    for key in ("../../etc/passwd", "a/b", ""):
        resp = requests.post(f"{running.url}/attachment", json={"key": key}, timeout=10)
        assert resp.status_code == 400


def test_the_official_sdk_logs_evaluates_and_loads_through_the_server(
    served: tuple[Running, Store], tmp_path: Path
) -> None:
    import os
    import subprocess
    import textwrap

    from tests.official_sdk import official_python

    try:
        python = official_python()
    except RuntimeError as exc:
        pytest.skip(f"the official SDK cannot be installed here: {exc}")
    running, store = served
    project = store.ensure_project(name="official")
    store.save_prompt(project["id"], "hi", {"name": "Hi", "prompt_data": {
        "prompt": {"type": "chat", "messages": [{"role": "user", "content": "hi {{x}}"}]},
        "options": {"model": "gpt-4o-mini", "params": {"temperature": 0.1}}}})
    script = textwrap.dedent("""
        import json, braintrust
        logger = braintrust.init_logger(project="official")
        logger.log(input="q", output="a", scores={"s": 1})
        with logger.start_span(name="root") as span:
            span.log(input=1, output=2)
        logger.flush()
        ds = braintrust.init_dataset(project="official", name="d")
        ds.insert(input=1, expected=2)
        ds.flush()
        print(json.dumps([r["expected"] for r in braintrust.init_dataset(
            project="official", name="d")]))
        result = braintrust.Eval("official", data=[{"input": "a", "expected": "A"}],
                                 task=lambda s: s.upper(),
                                 scores=[lambda output, expected: float(output == expected)])
        prompt = braintrust.load_prompt(project="official", slug="hi")
        print(json.dumps(prompt.build(x=1)["messages"]))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRAINTRUST_", "OTEL_"))}
    env.update(BRAINTRUST_API_KEY="any", BRAINTRUST_APP_URL=running.url,
               BRAINTRUST_API_URL=running.url)
    proc = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=env,
                          timeout=180, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert json.loads(lines[0]) == [2]
    assert json.loads(lines[-1]) == [{"content": "hi 1", "role": "user"}]
    logs = [r.data for r in store.rows("project_logs", project["id"])]
    assert sorted(r["span_attributes"]["name"] for r in logs) == ["root", "root"]
    logged = next(r for r in logs if r.get("input") == "q")
    assert logged["scores"] == {"s": 1} and logged["output"] == "a"
    spanned = next(r for r in logs if r.get("input") == 1)
    assert spanned["output"] == 2 and spanned["metrics"]["end"] >= spanned["metrics"]["start"]
    [experiment] = store.experiments(project["id"])
    exp_rows = [r.data for r in store.rows("experiment", experiment["id"])]
    assert {r["span_attributes"]["type"] for r in exp_rows} >= {"eval", "task", "score"}


def test_invoke_a_prompt_through_the_server(served: tuple[Running, Store], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fake_llm import FakeLLM

    running, store = served
    project = store.ensure_project(name="served")
    store.save_prompt(project["id"], "greet", {"name": "Greet", "prompt_data": {
        "prompt": {"type": "chat", "messages": [{"role": "user", "content": "hi {{name}}"}]},
        "options": {"model": "gpt-4o-mini", "params": {}}}})
    conn = ApiConnection(api_key="any-key", app_url=running.url)
    braintrust.flush()
    _state.exporter().sink = HttpSink(conn, Spool(tmp_path / "spool"))
    try:
        with FakeLLM() as llm:
            monkeypatch.setenv("OPENAI_BASE_URL", llm.openai_url)
            out = braintrust.invoke(input={"name": "Ann"}, project_name="served", slug="greet")
            assert out == "Hello from fake server!"
            assert llm.requests[-1]["body"]["messages"] == [{"role": "user",
                                                             "content": "hi Ann"}]
            stream = braintrust.invoke(input={"name": "Ann"}, project_name="served", slug="greet",
                                       stream=True)
            assert stream.final_value() == "Hello streamed world"
        with pytest.raises(ValueError, match="no function 'absent'"):
            braintrust.invoke(input=1, project_name="served", slug="absent")
    finally:
        braintrust.flush()
        _state.exporter().sink = LocalSink(tmp_path / "after.sqlite", notice=False)
