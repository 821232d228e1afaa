"""auto_instrument and the registry: lazy patching, the official flags, entry points agree."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import braintrust
from braintrust_otel.instrumentation import INSTRUMENTORS, OFFICIAL_FLAGS, entry_points
from tests.conftest import ROOT, StoreHelper, run_python, stored_rows

try:
    import tomllib  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Python < 3.11
    tomllib = None  # type: ignore[assignment]


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_pyproject_entry_points_are_the_registry() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["entry-points"]["opentelemetry_instrumentor"]
    assert declared == entry_points()
    assert set(INSTRUMENTORS) <= set(OFFICIAL_FLAGS)  # every library has its official flag name
    deps = [d.split(">")[0].split("=")[0].strip() for d in project["dependencies"]]
    assert "wrapt" in deps  # imported by every instrumentor


def test_signature_takes_every_official_flag() -> None:
    params = inspect.signature(braintrust.auto_instrument).parameters
    assert list(params) == [*OFFICIAL_FLAGS, "span_customizers"]
    for name in OFFICIAL_FLAGS:
        assert params[name].default is True and params[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["span_customizers"].default is None


def test_every_official_flag_has_an_integration() -> None:
    assert set(INSTRUMENTORS) == set(OFFICIAL_FLAGS)


def test_flags_report_whether_their_library_is_traced(tmp_path: Path) -> None:
    # In a fresh process: a hook armed for an installed library would outlive the test.
    # cursor_sdk is installed in the dev set but hidden here: its flag reports False.
    proc = run_python(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import braintrust
        from braintrust_otel.instrumentation import OFFICIAL_FLAGS
        flags = dict.fromkeys(OFFICIAL_FLAGS, False)
        flags.update(cursor_sdk=True, bedrock=True, livekit_agents=True, openai=True)
        print(sorted(braintrust.auto_instrument(**flags).items()))
        sys.modules["cursor_sdk"] = None  # as if it were not installed
        flags = dict.fromkeys(OFFICIAL_FLAGS, False)
        flags["cursor_sdk"] = True
        print(braintrust.auto_instrument(**flags))
    """), tmp_path)
    assert proc.returncode == 0, proc.stderr
    # bedrock reports under the official SDK's key; LiveKit Agents is not installed in
    # the dev set.
    first, hidden = proc.stdout.strip().splitlines()
    assert first == ("[('bedrock_runtime', True), ('cursor_sdk', True), "
                     "('livekit_agents', False), ('openai', True)]")
    assert hidden == "{'cursor_sdk': False}"


LAZY_APP = """
import sys
sys.path.insert(0, {root!r})
import braintrust
result = braintrust.auto_instrument()
print("after auto_instrument:", sorted(m for m in ("openai", "anthropic", "agents", "google.genai",
                                                  "litellm", "instructor", "openrouter")
                                       if m in sys.modules))
print("result:", result["openai"], result["anthropic"])
from openai import OpenAI  # imported after auto_instrument, by name
from tests.fake_llm import FakeLLM
braintrust.init_logger(project="lazy")
with FakeLLM() as f:
    OpenAI(base_url=f.openai_url, api_key="k", max_retries=0).chat.completions.create(
        model="m", messages=[{{"role": "user", "content": "hi"}}])
braintrust.flush()
"""


def test_auto_instrument_imports_nothing_and_patches_on_import(tmp_path: Path) -> None:
    proc = run_python(LAZY_APP.format(root=str(ROOT)), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "after auto_instrument: []" in proc.stdout
    assert "result: True True" in proc.stdout  # installed: traced from the import on
    rows = stored_rows(tmp_path / "sub.sqlite", "lazy")
    assert [r["span_attributes"]["name"] for r in rows] == ["Chat Completion"]
    assert rows[0]["output"][0]["message"]["content"] == "Hello from fake server!"


def test_client_made_before_auto_instrument_is_traced_on_first_call(tmp_path: Path) -> None:
    proc = run_python(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from openai import OpenAI
        from tests.fake_llm import FakeLLM
        with FakeLLM() as f:
            client = OpenAI(base_url=f.openai_url, api_key="k", max_retries=0)
            import braintrust
            braintrust.auto_instrument()
            braintrust.init_logger(project="early")
            client.chat.completions.create(model="m",
                                           messages=[{{"role": "user", "content": "hi"}}])
        braintrust.flush()
    """), tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = stored_rows(tmp_path / "sub.sqlite", "early")
    assert [r["span_attributes"]["name"] for r in rows] == ["Chat Completion"]


def test_uninstrument_before_import_leaves_the_library_alone(tmp_path: Path) -> None:
    proc = run_python(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import braintrust
        from braintrust_otel.instrumentation.openai import OpenAIInstrumentor
        OpenAIInstrumentor().instrument()     # as opentelemetry-instrument does
        OpenAIInstrumentor().uninstrument()   # before openai is imported
        import openai
        from openai.resources.chat.completions import Completions
        import wrapt
        def layers():
            n, fn = 0, Completions.__dict__["create"]
            while isinstance(fn, wrapt.FunctionWrapper):
                n, fn = n + 1, fn.__wrapped__
            return n
        print("wrapped:", layers())
        OpenAIInstrumentor().instrument()     # already imported: patched at once, once
        print("wrapped:", layers())
    """), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["wrapped: 0", "wrapped: 1"]


def test_opentelemetry_instrument_does_not_import_unused_libraries(tmp_path: Path) -> None:
    tool = str(Path(sys.executable).with_name("opentelemetry-instrument"))
    env = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(tmp_path / "s.sqlite"))
    env.pop("BRAINTRUST_API_KEY", None)
    proc = subprocess.run(
        [tool, sys.executable, "-c",
         "import sys; print(sorted(m for m in ('openai', 'anthropic', 'agents', 'google.genai',"
         " 'litellm', 'instructor', 'openrouter')"
         " if m in sys.modules))"],
        capture_output=True, text=True, env=env, timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_failing_patch_never_fails_the_users_import(tmp_path: Path) -> None:
    proc = run_python(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from braintrust_otel.instrumentation.openai import OpenAIInstrumentor
        def broken(self, **kwargs):
            raise RuntimeError("patch failed")
        OpenAIInstrumentor._patch = broken
        OpenAIInstrumentor().instrument()
        import openai
        print("imported", openai.OpenAI.__name__)
    """), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "imported OpenAI" in proc.stdout
    assert "could not instrument openai" in proc.stderr and "patch failed" in proc.stderr


class _Redact(braintrust.SpanCustomizer):
    def on_span_export(self, data: braintrust.SpanExportData) -> braintrust.SpanExportData:
        data["output"] = "[redacted]"
        data["id"] = "moved"  # identity is put back
        data.setdefault("metadata", {})["seen"] = True
        return data


class _Broken:
    def on_span_export(self, data: dict[str, object]) -> dict[str, object]:
        raise ValueError("secret " + str(data.get("output")))


def test_span_customizers_rewrite_rows_and_a_failure_strips_content(
        store: StoreHelper) -> None:
    from braintrust_otel import diagnostics

    try:
        braintrust.auto_instrument(**dict.fromkeys(OFFICIAL_FLAGS, False),
                                   span_customizers=[_Redact()])
        braintrust.init_logger(project="p")
        with braintrust.start_span(name="kept") as kept:
            kept.log(input="q", output="the answer")
        [row] = store.rows()
        assert row["output"] == "[redacted]" and row["metadata"] == {"seen": True}
        assert row["input"] == "q" and row["span_id"] == kept.span_id and row["id"] == kept.id

        braintrust.set_span_customizers([_Broken(), _Redact()])
        with braintrust.start_span(name="broken") as broken:
            broken.log(input="secret input", output="secret output")
        row = store.by_name()["broken"]
        assert "input" not in row and "output" not in row and "metadata" not in row
        assert row["context"] == {"customizer_error": True}
        assert row["span_id"] == broken.span_id and row["metrics"]["start"] > 0
        assert diagnostics.counts()["customizer"] == 1
    finally:
        braintrust.set_span_customizers(None)


def test_span_customizers_reject_bad_input() -> None:
    with pytest.raises(TypeError, match="instance"):
        braintrust.set_span_customizers([_Redact])
    with pytest.raises(TypeError, match="on_span_export"):
        braintrust.set_span_customizers([object()])

    class Async:
        async def on_span_export(self, data: dict[str, object]) -> dict[str, object]:
            return data

    with pytest.raises(TypeError, match="synchronous"):
        braintrust.auto_instrument(span_customizers=[Async()])
