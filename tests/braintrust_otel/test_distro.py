"""The distro: opentelemetry-instrument, entry points, auto_instrument."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import braintrust
from tests.conftest import ROOT, StoreHelper, run_python, stored_rows

APP = """
import sys
sys.path.insert(0, {root!r})
import openai
from opentelemetry import trace
from tests.fake_llm import FakeLLM
tracer = trace.get_tracer("app")
with FakeLLM() as f:
    client = openai.OpenAI(base_url=f.openai_url, api_key="k", max_retries=0)
    with tracer.start_as_current_span("handle request"):
        client.chat.completions.create(model="gpt-4o-mini",
                                       messages=[{{"role": "user", "content": "hi"}}])
print(type(trace.get_tracer_provider()).__name__)
"""


def _instrumented(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    app = tmp_path / "app.py"
    app.write_text(APP.format(root=str(ROOT)))
    full = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(tmp_path / "s.sqlite"),
                BRAINTRUST_PARENT="project_name:auto", **env)
    full.pop("BRAINTRUST_API_KEY", None)
    tool = str(Path(sys.executable).with_name("opentelemetry-instrument"))
    return subprocess.run([tool, sys.executable, str(app)], capture_output=True, text=True,
                          env=full, timeout=120, cwd=str(tmp_path))


def test_opentelemetry_instrument_traces_an_app_unchanged(tmp_path: Path) -> None:
    proc = _instrumented(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "TracerProvider"
    rows = stored_rows(tmp_path / "s.sqlite", "auto")
    by_name = {r["span_attributes"]["name"]: r for r in rows}
    # One LLM span: openai-v2 and openinference are installed too, and skipped.
    assert sorted(by_name) == ["Chat Completion", "handle request"]
    llm = by_name["Chat Completion"]
    assert llm["span_parents"] == [by_name["handle request"]["span_id"]]
    assert llm["input"] == [{"role": "user", "content": "hi"}]
    assert llm["metrics"]["tokens"] == 17


def test_disabled_instrumentation_and_extra_exporters(tmp_path: Path) -> None:
    proc = _instrumented(tmp_path, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="braintrust_openai",
                         OTEL_TRACES_EXPORTER="braintrust,console",
                         OTEL_SERVICE_NAME="my-service")
    assert proc.returncode == 0, proc.stderr
    names = [r["span_attributes"]["name"] for r in stored_rows(tmp_path / "s.sqlite", "auto")]
    assert names == ["handle request"]
    assert '"name": "handle request"' in proc.stdout  # the console exporter ran too
    assert '"service.name": "my-service"' in proc.stdout


def test_foreign_instrumentors_can_be_kept(tmp_path: Path) -> None:
    proc = _instrumented(tmp_path, BRAINTRUST_KEEP_FOREIGN_INSTRUMENTORS="1")
    assert proc.returncode == 0, proc.stderr
    llm = [r for r in stored_rows(tmp_path / "s.sqlite", "auto")
           if r["span_attributes"].get("type") == "llm"]
    assert len(llm) >= 2


def test_exporter_entry_point_with_the_stock_configurator(tmp_path: Path) -> None:
    proc = run_python("""
        from opentelemetry import trace
        from opentelemetry.sdk._configuration import _OTelSDKConfigurator
        _OTelSDKConfigurator().configure()
        with trace.get_tracer("t").start_as_current_span("stock"):
            pass
        trace.get_tracer_provider().force_flush()
    """, tmp_path, env={"OTEL_TRACES_EXPORTER": "braintrust",
                        "BRAINTRUST_PARENT": "project_name:stock"})
    assert proc.returncode == 0, proc.stderr
    assert [r["span_attributes"]["name"]
            for r in stored_rows(tmp_path / "sub.sqlite", "stock")] == ["stock"]


def test_auto_instrument(store: StoreHelper) -> None:
    from braintrust_otel.instrumentation import OFFICIAL_FLAGS

    # Only openai (imported here already): a hook armed for a library this
    # process has not imported yet would outlive the test.
    flags: dict[str, Any] = {**dict.fromkeys(OFFICIAL_FLAGS, False), "openai": True}
    first = braintrust.auto_instrument(**flags)
    # As the official SDK: a disabled flag is left out of the result.
    assert first == {"openai": True}
    assert braintrust.auto_instrument(**flags) == first  # twice is harmless
    with pytest.raises(TypeError, match="nope"):
        braintrust.auto_instrument(nope=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="openai must be a bool"):
        braintrust.auto_instrument(openai="yes")  # type: ignore[arg-type]
    from braintrust._auto import _load
    from braintrust_otel.instrumentation import INSTRUMENTORS

    for name, on in first.items():
        if on:
            _load(INSTRUMENTORS[name].instrumentor)().uninstrument()


def test_auto_instrument_from_code_in_a_fresh_process(tmp_path: Path) -> None:
    proc = run_python(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import braintrust, openai, anthropic
        from tests.fake_llm import FakeLLM
        print(braintrust.auto_instrument())
        braintrust.init_logger(project="code")
        with FakeLLM() as f:
            openai.OpenAI(base_url=f.openai_url, api_key="k", max_retries=0).chat.completions \\
                .create(model="m", messages=[{{"role": "user", "content": "hi"}}])
            anthropic.Anthropic(base_url=f.anthropic_url, api_key="k", max_retries=0).messages \\
                .create(model="c", max_tokens=5, messages=[{{"role": "user", "content": "hi"}}])
        braintrust.flush()
    """), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "'openai': True" in proc.stdout and "'anthropic': True" in proc.stdout
    names = sorted(r["span_attributes"]["name"] for r in stored_rows(tmp_path / "sub.sqlite",
                                                                     "code"))
    assert names == ["Chat Completion", "anthropic.messages.create"]


def test_the_package_metadata_stays_small_for_opentelemetry_instrument() -> None:
    # OpenTelemetry's instrumentor loader reads this distribution's METADATA
    # (its description included) twice for every instrumentor entry point:
    # with the README as the description (100 KB), that was about 70 ms of
    # every `opentelemetry-instrument` start. The description is docs/pypi.md.
    from importlib.metadata import distribution, entry_points

    ours = [e for e in entry_points(group="opentelemetry_instrumentor")
            if e.name.startswith("braintrust_")]
    assert len(ours) >= 20
    dist = distribution("braintrust-otel")
    # (An egg-info that a build left in src/ keeps it as PKG-INFO.)
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    assert len(text.encode()) < 16_000, len(text.encode())
    assert "# braintrust-otel" in text  # the short description is the one there
