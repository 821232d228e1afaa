"""The official SDK (0.48.1) against `braintrust serve`: each scenario in
tests/official_scenarios runs in the official SDK's own virtualenv, and what it
read back, what the store holds and what it printed are checked."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import requests

from braintrust_otel.store import Store
from tests.fake_llm import FakeLLM
from tests.served import Running

SCENARIOS = Path(__file__).resolve().parents[2] / "official_scenarios"


class Served(NamedTuple):
    running: Running
    store: Store
    llm: FakeLLM
    tmp: Path


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           store_location: str) -> Iterator[Served]:
    # Every scenario runs against a server on SQLite and on PostgreSQL (a team's).
    from tests.official_sdk import official_python

    try:
        official_python()
    except RuntimeError as exc:
        pytest.skip(f"the official SDK cannot be installed here: {exc}")
    store = Store(store_location)
    with FakeLLM() as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "fake")
        running = Running(store)
        try:
            yield Served(running, store, llm, tmp_path)
        finally:
            running.stop()


def _run(served: Served, *argv: str, extra_env: dict[str, str] | None = None
         ) -> tuple[Any, str]:
    from tests.official_sdk import official_python

    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRAINTRUST_", "OTEL_"))}
    env.update(BRAINTRUST_API_KEY="local", BRAINTRUST_APP_URL=served.running.url,
               BRAINTRUST_API_URL=served.running.url, **(extra_env or {}))
    proc = subprocess.run([str(official_python()), *argv], capture_output=True, text=True,
                          env=env, timeout=240, cwd=str(served.tmp))
    assert proc.returncode == 0, proc.stderr[-4000:]
    # Nothing the hosted service would not make it print: no traceback, no
    # warning or error line from the SDK.
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    for line in proc.stderr.splitlines():
        assert not any(w in line for w in ("Warning", "WARNING", "Error", "error:",
                                           "Failed")), proc.stderr[-4000:]
    found = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    return (json.loads(found[-1][len("RESULT "):]) if found else None), proc.stderr


def _scenario(served: Served, name: str) -> Any:
    return _run(served, str(SCENARIOS / f"{name}.py"))[0]


def _rows(store: Store, kind: str, object_id: str) -> list[dict[str, Any]]:
    return [r.data for r in store.rows(kind, object_id)]


def _experiment(store: Store, project: str, name: str) -> dict[str, Any]:
    proj = store.find_project(name=project)
    assert proj is not None
    found = store.find_experiment(project_id=proj["id"], name=name)
    assert found is not None
    return found


def test_base_experiment_and_comparisons(served: Served) -> None:
    out = _scenario(served, "base_experiment")
    first = _experiment(served.store, "sdk-base", "first")
    second = _experiment(served.store, "sdk-base", "second")
    third = _experiment(served.store, "sdk-base", "third")
    # The base named by the SDK is stored with the experiment.
    assert second["base_exp_id"] == first["id"] == out["first"]
    assert third["base_exp_id"] == first["id"]
    # The summary compares with it: both cases regressed from 1 to 0.
    assert out["second_comparison"] == "first"
    assert out["second_scores"] == {"scorer_0": [0.0, -1.0, 0, 2]}
    assert out["third_comparison"] == "first"
    assert out["third_scores"] == {"<lambda>": [0.5, None]}  # no such score in the base
    assert out["base"] == [first["id"], "first"]


def test_base_experiment_replayed(served: Served) -> None:
    out = _scenario(served, "base_replay")
    assert out == {"replayed": [["a", "a!", "A"], ["b", "b!", "B"]], "comparison": "base"}
    replay = _experiment(served.store, "sdk-replay", "replay")
    roots = [r for r in _rows(served.store, "experiment", replay["id"])
             if r.get("span_attributes", {}).get("type") == "eval" and r.get("input")]
    assert sorted(r["input"] for r in roots) == ["a", "b"]


def test_base_experiment_replayed_with_default_ids(served: Served) -> None:
    out = _scenario(served, "base_replay_ids")
    assert out["replayed"] == [["a", "a!", "A"], ["b", "b!", "B"]]
    assert out["comparison"] == "base"
    # The fetched rows still form the same trees: every parent named is a row.
    assert out["parents_known"] and out["roots"] == ["a", "b"]
    # The store keeps the ids the SDK sent; only the fetch names roots by trace.
    base = _experiment(served.store, "sdk-replay-ids", "base")
    stored_roots = [r for r in _rows(served.store, "experiment", base["id"])
                    if not r.get("span_parents")]
    assert stored_roots and all(len(r["span_id"]) == 16 for r in stored_roots)


def test_publish_saves_a_prompt_that_loads_back(served: Served) -> None:
    out = _scenario(served, "publish")
    assert out == {"messages": [{"content": "hi Ann", "role": "user"}], "model": "gpt-4o-mini",
                   "description": "says hi"}
    proj = served.store.find_project(name="sdk-publish")
    assert proj is not None
    saved = served.store.find_prompt(project_id=proj["id"], slug="greeter")
    assert saved is not None and saved["name"] == "Greeter"
    assert saved["prompt_data"]["prompt"]["messages"] == [{"role": "user",
                                                           "content": "hi {{name}}"}]
    assert saved["prompt_data"]["options"]["model"] == "gpt-4o-mini"


def test_push_saves_the_file_s_prompt(served: Served) -> None:
    shutil.copy(SCENARIOS / "push_file.py", served.tmp / "push_file.py")
    _run(served, "-m", "braintrust.cli", "push", "push_file.py")
    proj = served.store.find_project(name="sdk-push")
    assert proj is not None
    saved = served.store.find_prompt(project_id=proj["id"], slug="summarize")
    assert saved is not None and saved["name"] == "Summarize"
    assert [m["role"] for m in saved["prompt_data"]["prompt"]["messages"]] == ["system", "user"]


def test_official_push_of_a_code_function_is_stored_listed_and_invokable(
        served: Served) -> None:
    from tests.official_sdk import official_cli_env

    try:
        cli_env = official_cli_env()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    for name in ("push_code.py", "push_code_helper.py"):
        shutil.copy(SCENARIOS / name, served.tmp / name)
    _run(served, "-m", "braintrust.cli", "push", "push_code.py", extra_env=cli_env)
    proj = served.store.find_project(name="sdk-push-code")
    assert proj is not None
    tool = served.store.find_prompt(project_id=proj["id"], slug="add")
    assert tool is not None and tool["function_type"] == "tool"
    code = tool["function_data"]["data"]
    assert code["type"] == "bundle" and code["location"] == {"type": "function", "index": 0}
    # The uploaded bundle is kept: the official CLI's zip, with the pushed sources.
    bundle = served.store.get_attachment(f"bundle-{code['bundle_id']}")
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        assert {"push_code.py", "push_code_helper.py", "register.py"} <= set(zf.namelist())
    listed = requests.get(f"{served.running.url}/v1/function",
                          params={"project_name": "sdk-push-code"}, timeout=10).json()
    assert sorted(f["slug"] for f in listed["objects"]) == ["add", "hi"]
    # Run here, by this server, from the bundle (its helper module imported from it).
    out = _scenario(served, "invoke_code")
    assert out == {"plain": 5, "under_span": 9}
    calls = [r for r in _rows(served.store, "project_logs", proj["id"])
             if r.get("span_attributes", {}).get("type") == "function"]
    assert [(c["input"], c["output"]) for c in calls] == [({"a": 4, "b": 5}, 9)]


def test_invoke_and_init_function(served: Served) -> None:
    proj = served.store.ensure_project(name="sdk-invoke")
    served.store.save_prompt(proj["id"], "greet", {"name": "Greet", "prompt_data": {
        "prompt": {"type": "chat", "messages": [{"role": "user", "content": "hi {{name}}"}]},
        "options": {"model": "gpt-4o-mini", "params": {}}}})
    out = _scenario(served, "invoke")
    assert out["plain"] == out["under_span"] == out["by_id"] == "Hello from fake server!"
    assert out["streamed"] == "Hello streamed world"
    assert out["eval_output"] == "Hello from fake server!" and out["eval_error"] == ""
    assert "function not found: absent in project 'sdk-invoke'" in out["missing"]
    sent = [r["body"]["messages"] for r in served.llm.requests
            if r["path"].endswith("/chat/completions")]
    assert [{"role": "user", "content": "hi Ann"}] in sent
    assert [{"role": "user", "content": "hi Ed"}, {"role": "user", "content": "more"}] in sent
    # The call under a span is logged as a function span, its child.
    logs = _rows(served.store, "project_logs", proj["id"])
    caller = next(r for r in logs if r["span_attributes"]["name"] == "caller")
    called = next(r for r in logs if r["span_attributes"].get("type") == "function")
    assert caller["id"] == out["span_id"]
    assert called["span_parents"] == [caller["span_id"]]
    assert called["root_span_id"] == caller["root_span_id"]
    assert called["input"] == {"name": "Cy"} and called["output"] == "Hello from fake server!"
    assert called["span_attributes"]["name"] == "Greet"
    assert called["metrics"]["end"] >= called["metrics"]["start"]


def test_dataset_and_experiment_fetch(served: Served) -> None:
    out = _scenario(served, "fetch")
    assert out == {"total": 5, "dataset_name": "rows", "user": "local@localhost",
                   "all": [2, 4, 6, 8, 100], "limited": 2, "old": [0, 2, 4, 6, 8],
                   "exp_rows": [[1, 2, {"s": 1}]], "version_is_digits": True}


def test_prompt_versions(served: Served) -> None:
    out = _scenario(served, "prompt_versions")
    assert out == {"count": 2, "texts": ["one 1", "two 1"], "latest": "two 1",
                   "by_raw_version": "two 1"}


def test_attachment_read_back(served: Served) -> None:
    out = _scenario(served, "attachments")
    assert out == {"data": "hello bytes", "type": "braintrust_attachment",
                   "filename": "h.txt", "status": "done"}


def test_log_feedback_and_update_span(served: Served) -> None:
    out = _scenario(served, "feedback")
    proj = served.store.find_project(name="sdk-feedback")
    assert proj is not None
    logs = {r["id"]: r for r in _rows(served.store, "project_logs", proj["id"])}
    answered = logs[out["span_id"]]
    assert answered["scores"] == {"correct": 1}
    # Feedback metadata goes to the audit trail, the comment to a row of its own.
    assert answered["_audit_metadata"] == {"by": "me"}
    [comment] = [r for r in logs.values() if r.get("origin") == {"id": out["span_id"]}]
    assert comment["comment"] == {"text": "good"}
    assert answered["output"] == "edited" and answered["input"] == "q"
    assert logs[out["later_id"]]["metadata"] == {"k": "v"}
    exp_rows = {r["id"]: r for r in _rows(served.store, "experiment", out["exp_id"])}
    row = exp_rows[out["row_id"]]
    assert row["scores"] == {"s": 1} and row["expected"] == 3 and row["output"] == 2


def test_serve_help_documents_every_option_and_default() -> None:
    proc = subprocess.run([sys.executable, "-m", "braintrust.cli", "serve", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    # Each option's entry starts on a line of its own; its default is said there.
    entries = {}
    for chunk in re.split(r"\n  (?=-)", proc.stdout.split("options:", 1)[1]):
        words = chunk.split()
        if words:
            entries[words[0].rstrip(",")] = " ".join(words)
    for option, default in (("--host", "127.0.0.1"), ("--port", "8000"),
                            ("--store", "$BRAINTRUST_LOCAL_STORE"),
                            ("--token", "none on 127.0.0.1"),
                            ("--public-host", "none"), ("--max-connections", "256"),
                            ("--idle-timeout", "20")):
        assert f"default: {default}" in entries[option], (option, entries[option])


def test_busy_port_gives_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "braintrust.cli", "serve", "--port",
                               str(port), "--store", str(tmp_path / "s.sqlite")],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert lines == [f"braintrust serve: cannot listen on 127.0.0.1:{port}: the address is "
                     "in use (is another server running? pick another with --port)"], lines


def test_invoke_a_code_function_pushed_to_the_store(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Pushed by this package's `braintrust push` into the store the server
    # serves; the official SDK invokes it through the server, which runs it
    # from its file with the embedded backend's code.
    from tests.official_sdk import official_python
    from tests.pushing import push

    try:
        official_python()
    except RuntimeError as exc:
        pytest.skip(f"the official SDK cannot be installed here: {exc}")
    assert push(tmp_path).returncode == 0
    store = Store(tmp_path / "s.sqlite")
    with FakeLLM() as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.openai_url)
        running = Running(store)
        try:
            served = Served(running, store, llm, tmp_path)
            out, _ = _run(served, "-c", (
                "import braintrust, json\n"
                "print('RESULT ' + json.dumps(braintrust.invoke(project_name='pushed', "
                "slug='multiply', input={'a': 6, 'b': 7})))\n"))
        finally:
            running.stop()
    assert out == 42
