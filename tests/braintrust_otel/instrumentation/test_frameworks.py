"""What every framework integration shares: entry points that import nothing, extras, flags."""

from __future__ import annotations

import textwrap
from pathlib import Path

import tomllib

from braintrust_otel.instrumentation import INSTRUMENTORS
from tests.conftest import ROOT, run_python

FRAMEWORKS = {"langchain": "langchain_core", "llamaindex": "llama_index",
              "pydantic_ai": "pydantic_ai", "dspy": "dspy", "crewai": "crewai",
              "agno": "agno", "autogen": "autogen_agentchat", "strands": "strands",
              "adk": "google.adk", "cursor_sdk": "cursor_sdk"}


def test_each_framework_has_a_flag_an_entry_point_and_an_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    points = project["entry-points"]["opentelemetry_instrumentor"]
    extras = project["optional-dependencies"]
    for name in FRAMEWORKS:
        assert name in INSTRUMENTORS, name
        assert points[f"braintrust_{name}"] == INSTRUMENTORS[name].instrumentor
        assert extras[name], name


def test_loading_the_instrumentors_imports_no_framework(tmp_path: Path) -> None:
    # opentelemetry-instrument loads every entry point: an unused framework must cost nothing.
    proc = run_python(textwrap.dedent(f"""
        import importlib, sys
        sys.path.insert(0, {str(ROOT)!r})
        from braintrust_otel.instrumentation import INSTRUMENTORS
        for name in {sorted(FRAMEWORKS)!r}:
            module, _, cls = INSTRUMENTORS[name].instrumentor.partition(":")
            getattr(importlib.import_module(module), cls)
        print(sorted(m for m in {sorted(FRAMEWORKS.values())!r} if m in sys.modules))
    """), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_missing_framework_reports_false(tmp_path: Path) -> None:
    # A fresh process where every framework import fails, as on a machine without them.
    proc = run_python(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        for name in {sorted(FRAMEWORKS.values())!r}:
            sys.modules[name] = None  # makes "import name" raise ImportError
        import importlib.util
        real = importlib.util.find_spec
        importlib.util.find_spec = lambda n, *a: None if n in {sorted(FRAMEWORKS.values())!r} \\
            else real(n, *a)
        import braintrust
        result = braintrust.auto_instrument()
        print(sorted(k for k in {sorted(FRAMEWORKS)!r} if result.get(k)))
    """), tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
