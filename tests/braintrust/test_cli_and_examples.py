"""The `braintrust logs` command and every example, run as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(tmp_path / "store.sqlite"))
    env.pop("BRAINTRUST_API_KEY", None)
    return env


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_on_the_embedded_store(example: Path, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(example)], capture_output=True, text=True,
                          env=_env(tmp_path), timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "logging to the local store" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_quickstart_prints_the_trace_tree(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py")],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Project quickstart (4 spans; newest 2 traces)" in out
    assert "answer [task]" in out
    assert "├─ retrieve [function]" in out and "└─ generate [llm]" in out
    assert 'scores={"helpful": 1.0}' in out


def test_logs_command(tmp_path: Path) -> None:
    env = _env(tmp_path)
    setup = (
        "import braintrust\n"
        "lg = braintrust.init_logger(project='cli')\n"
        "with lg.start_span(name='outer') as s:\n"
        "    s.log(input='x' * 200)\n"
        "    with s.start_span(name='inner', type='llm') as c:\n"
        "        c.log(output={'ok': True})\n"
        "braintrust.flush()\n"
    )
    subprocess.run([sys.executable, "-c", setup], check=True, env=env, capture_output=True)
    for cmd in (["braintrust", "logs"], [sys.executable, "-m", "braintrust", "logs"]):
        if cmd[0] == "braintrust":
            cmd[0] = str(Path(sys.executable).with_name("braintrust"))
        proc = subprocess.run([*cmd, "--project", "cli"], capture_output=True, text=True,
                              env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[0] == "Project cli (2 spans; newest 1 trace)"
        outer = next(line for line in lines if line.startswith("outer [task]"))
        assert outer.endswith("...") and len(outer) < 120
        assert any(line.startswith("└─ inner [llm]") and 'output={"ok": true}' in line
                   for line in lines)
    missing = subprocess.run([sys.executable, "-m", "braintrust", "logs", "-p", "nope"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert "No project named 'nope'" in missing.stdout


def test_quickstart_evaluates_the_app_inside_the_experiment(tmp_path: Path) -> None:
    from braintrust_otel.store import Store

    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py")],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "100.00% 'mentions_42' score" in proc.stdout
    store = Store(tmp_path / "store.sqlite")
    project = store.find_project(name="quickstart")
    assert project is not None
    [experiment] = store.experiments(project["id"])
    rows = [r.data for r in store.rows("experiment", experiment["id"])]
    names = {r["span_attributes"]["name"] for r in rows}
    assert {"eval", "task", "answer", "retrieve", "generate", "mentions_42"} <= names
    answer = next(r for r in rows if r["span_attributes"]["name"] == "answer")
    task = next(r for r in rows if r["span_attributes"]["name"] == "task"
                and r["root_span_id"] == answer["root_span_id"])
    assert answer["span_parents"] == [task["span_id"]]
