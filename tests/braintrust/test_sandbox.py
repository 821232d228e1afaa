"""register_sandbox (braintrust.sandbox): the requests it sends the service, against
the fake service on 127.0.0.1 and beside the official SDK's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from braintrust import (
    RegisteredSandboxFunction,
    RegisterSandboxResult,
    SandboxConfig,
    register_sandbox,
)
from braintrust_otel.api import LoginError
from tests.fake_braintrust import GOOD_KEY, FakeBraintrust
from tests.official_sdk import official_python

EVALS = {"Support QA": {"scores": [{"name": "exact"}], "parameters": None},
         "tone-check": {"scores": []}}


def _posted(service: FakeBraintrust, path: str) -> list[dict[str, Any]]:
    return [r for r in service.requests if r["path"] == path and r["method"] == "POST"]


def test_register_sandbox_lists_the_evals_and_saves_one_function_each(
        api: object, fake: FakeBraintrust) -> None:
    fake.sandbox_evals = EVALS
    result = register_sandbox("nightly", "sb-proj",
                              SandboxConfig(provider="modal", snapshot_ref="sb-123"),
                              entrypoints=["./qa.eval.py"], description="d",
                              metadata={"team": "x"})
    project_id = fake.projects["sb-proj"]
    assert isinstance(result, RegisterSandboxResult) and result.project_id == project_id
    assert [(f.eval_name, f.name, f.slug) for f in result.functions] == [
        ("Support QA", "Support QA", "support-qa"), ("tone-check", "tone-check", "tone-check")]
    assert all(isinstance(f, RegisteredSandboxFunction) and f.id for f in result.functions)

    [listing] = _posted(fake, "/function/sandbox-list")
    runtime = {"runtime": "python", "version": f"{sys.version_info[0]}.{sys.version_info[1]}"}
    assert listing["body"] == {"sandbox_spec": {"provider": "modal", "snapshot_ref": "sb-123"},
                               "runtime_context": runtime, "entrypoints": ["./qa.eval.py"],
                               "project_id": project_id}
    assert listing["headers"].get("x-bt-org-name") == "test-org"
    [saved] = _posted(fake, "/insert-functions")
    first = saved["body"]["functions"][0]
    assert first == {
        "project_id": project_id, "org_name": "test-org", "name": "Support QA",
        "slug": "support-qa", "function_type": "sandbox", "description": "d",
        "function_data": {"type": "code", "data": {
            "type": "bundle", "runtime_context": runtime, "bundle_id": None, "preview": None,
            "location": {"type": "sandbox", "eval_name": "Support QA",
                         "sandbox_spec": {"provider": "modal", "snapshot_ref": "sb-123"},
                         "entrypoints": ["./qa.eval.py"],
                         "evaluator_definition": EVALS["Support QA"]}}},
        "metadata": {"team": "x", "_bt_sandbox_group_name": "nightly"},
        "if_exists": "replace"}


def test_a_refused_listing_is_an_error(api: object, fake: FakeBraintrust) -> None:
    fake.fail("/function/sandbox-list", 500)
    with pytest.raises(RuntimeError, match="listing the sandbox's evals failed"):
        register_sandbox("n", "p", SandboxConfig(provider="modal", snapshot_ref="s"))
    assert not _posted(fake, "/insert-functions")


def test_without_the_service_it_says_sandboxes_need_it(
        store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRAINTRUST_API_KEY", raising=False)
    with pytest.raises(LoginError, match="sandboxes run on the Braintrust service"):
        register_sandbox("n", "sb-local", SandboxConfig(provider="modal", snapshot_ref="s"))
    assert store.store.find_project(name="sb-local") is None  # nothing was made
    from braintrust import _state

    with pytest.raises(NotImplementedError):  # the store's side of the Backend operation
        _state.backend().list_sandbox_evals({})


def test_bad_arguments_are_named() -> None:
    config = SandboxConfig(provider="modal", snapshot_ref="s")
    with pytest.raises(TypeError, match="name"):
        register_sandbox("", "p", config)
    with pytest.raises(TypeError, match="sandbox must be a SandboxConfig"):
        register_sandbox("n", "p", {"provider": "modal"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="provider"):
        register_sandbox("n", "p", SandboxConfig(provider="docker", snapshot_ref="s"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="entrypoints"):
        register_sandbox("n", "p", config, entrypoints="a.py")
    with pytest.raises(ValueError, match="if_exists"):
        register_sandbox("n", "p", config, if_exists="overwrite")


SCRIPT = """
import json, braintrust
from braintrust import SandboxConfig, register_sandbox
result = register_sandbox("nightly", "sb-twin", SandboxConfig(provider="modal",
                          snapshot_ref="sb-9"), entrypoints=["a.eval.py"], if_exists="error")
print(json.dumps([[f.eval_name, f.slug] for f in result.functions]))
"""


def _requests_of(python: str, tmp_path: Path) -> tuple[list[Any], list[dict[str, Any]]]:
    with FakeBraintrust() as server:
        server.sandbox_evals = EVALS
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BRAINTRUST_", "OTEL_"))}
        env.update(BRAINTRUST_API_KEY=GOOD_KEY, BRAINTRUST_APP_URL=server.url,
                   BRAINTRUST_API_URL=server.url, BRAINTRUST_SPOOL_DIR=str(tmp_path / "spool"),
                   BRAINTRUST_LOCAL_STORE=str(tmp_path / "store.sqlite"))
        done = subprocess.run([python, "-c", textwrap.dedent(SCRIPT)], capture_output=True,
                              text=True, env=env, timeout=180, cwd=str(tmp_path))
        assert done.returncode == 0, done.stderr[-3000:]
        sent = [{"path": r["path"], "body": r["body"],
                 "org": r["headers"].get("x-bt-org-name") or r["headers"].get("X-Bt-Org-Name")}
                for r in server.requests
                if r["path"] in ("/function/sandbox-list", "/insert-functions")]
        return json.loads(done.stdout.strip().splitlines()[-1]), sent


def test_the_requests_are_the_official_sdks(tmp_path: Path) -> None:
    try:
        python = str(official_python())
    except RuntimeError as exc:
        pytest.skip(f"the official SDK cannot be installed here: {exc}")
    (tmp_path / "official").mkdir()
    (tmp_path / "ours").mkdir()
    theirs = _requests_of(python, tmp_path / "official")
    ours = _requests_of(sys.executable, tmp_path / "ours")

    def same_shape(found: tuple[list[Any], list[dict[str, Any]]]) -> Any:
        functions, sent = found
        text = json.dumps(sent, sort_keys=True)
        # Each fake service makes its own project id; the runtime is each venv's Python.
        for request in sent:
            body = request["body"]
            pid = body.get("project_id") or body["functions"][0]["project_id"]
            text = text.replace(pid, "<project>")
        return functions, json.loads(text)

    assert same_shape(ours) == same_shape(theirs)
    assert ours[0] == [["Support QA", "support-qa"], ["tone-check", "tone-check"]]


def test_the_official_module_paths_hold_the_same_objects() -> None:
    import braintrust
    from braintrust import dataset_pipeline, sandbox, workflow_eval

    for module in (workflow_eval, dataset_pipeline, sandbox):
        for name in module.__all__:
            assert getattr(braintrust, name) is getattr(module, name), name
    assert sandbox.SANDBOX_GROUP_NAME_METADATA_KEY == "_bt_sandbox_group_name"
    # Loaded on first use, yet listed by dir() before it (a fresh interpreter).
    code = ("import braintrust, sys; print('WorkflowEval' in dir(braintrust), "
            "'braintrust._workflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "False"]
