"""Functions defined in code: publish() and `braintrust push` send what the official
SDK sends (/insert-functions), and the embedded store keeps them for invoke().

The expected definitions were observed from the official SDK (0.48.1) against
the reference capture server, for the same calls (publish(), and `braintrust
push` of PUSHED: the official bundle also holds the dependencies it installs
with uv; ours holds the pushed files only).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import braintrust
from tests.conftest import StoreHelper
from tests.fake_braintrust import GOOD_KEY, FakeBraintrust
from tests.pushing import PUSHED, push


def _define() -> braintrust.Project:
    from pydantic import BaseModel

    class Args(BaseModel):
        a: int
        b: int

    project = braintrust.projects.create(name="pub")

    def add(a: int, b: int) -> int:
        return a + b

    tool = project.tools.create(handler=add, name="Adder", description="adds",
                                parameters=Args, if_exists="replace", metadata={"m": 1},
                                tags=["t"])
    project.prompts.create(
        name="Greet Er", description="d", model="gpt-4o",
        params={"temperature": 0.1, "use_cache": True},
        messages=[{"role": "user", "content": "hi {{name}}"}],
        tools=[tool, {"type": "function", "function": {"name": "raw", "parameters": {}}},
               {"type": "global", "name": "g"}],
        if_exists="ignore", metadata={"k": "v"}, tags=["x"])
    project.prompts.create(prompt="Complete {{x}}", model="m")
    project.scorers.create(name="Judge", model="gpt-4o", use_cot=True,
                           messages=[{"role": "user", "content": "judge {{output}}"}],
                           choice_scores={"A": 1, "B": 0})
    project.scorers.create(handler=lambda output: 1, parameters=Args)
    return project


def _official_definitions(pid: str) -> list[dict[str, Any]]:
    return [
        {"project_id": pid, "name": "Greet Er", "slug": "greet-er",
         "function_data": {"type": "prompt"},
         "prompt_data": {"prompt": {"type": "chat", "messages": [
             {"role": "user", "content": "hi {{name}}"}], "tools": json.dumps(
             [{"type": "function", "function": {"name": "raw", "parameters": {}}}])},
             "options": {"model": "gpt-4o", "params": {"temperature": 0.1, "use_cache": True}},
             "tool_functions": [{"type": "slug", "project_id": pid, "slug": "adder"},
                                {"type": "global", "name": "g"}]},
         "if_exists": "ignore", "description": "d", "metadata": {"k": "v"}, "tags": ["x"]},
        {"project_id": pid, "name": "Prompt 2", "slug": "prompt-2",
         "function_data": {"type": "prompt"},
         "prompt_data": {"prompt": {"type": "completion", "content": "Complete {{x}}"},
                         "options": {"model": "m"}}, "if_exists": None},
        {"project_id": pid, "name": "Judge", "slug": "judge", "function_data": {"type": "prompt"},
         "prompt_data": {"prompt": {"type": "chat", "messages": [
             {"role": "user", "content": "judge {{output}}"}]}, "options": {"model": "gpt-4o"},
             "parser": {"type": "llm_classifier", "use_cot": True,
                        "choice_scores": {"A": 1, "B": 0}}},
         "if_exists": None, "function_type": "scorer"}]


def test_publish_sends_the_official_definitions(api: object, fake: FakeBraintrust,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    project = _define()
    assert project.publish()["status"] == "success"
    assert "Code functions cannot be published" in capsys.readouterr().err
    [request] = [r for r in fake.requests if r["path"] == "/insert-functions"]
    assert request["body"] == {"functions": _official_definitions(fake.projects["pub"])}
    grouped = braintrust.projects.create("in-group", project_group_name="team")
    grouped.prompts.create(name="x", model="m", prompt="p")
    grouped.publish()
    registered = [r["body"] for r in fake.requests if r["path"] == "/v1/project"]
    assert {"name": "in-group", "org_name": "test-org",
            "project_group_name": "team"} in registered


def test_publish_on_the_embedded_store_then_load_and_invoke(store: StoreHelper) -> None:
    project = _define()
    saved = project.publish()
    assert [f["slug"] for f in saved["functions"]] == ["greet-er", "prompt-2", "judge"]
    judge = braintrust.load_prompt(project="pub", slug="judge")
    assert judge.function_type == "scorer"
    assert judge.prompt_data["parser"]["choice_scores"] == {"A": 1, "B": 0}
    greeter = braintrust.load_prompt(project="pub", slug="greet-er")
    assert greeter.metadata == {"k": "v"} and greeter.tags == ["x"]
    assert "use_cache" not in greeter.build(name="Ann")
    # The code tool was not published, but this process can run it.
    assert braintrust.invoke(project_name="pub", slug="adder", input={"a": 2, "b": 3}) == 5


def test_push_to_the_embedded_store_then_invoke_elsewhere(tmp_path: Path) -> None:
    done = push(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "pushed 2 functions: multiply, calc" in done.stdout
    assert "does nothing while `braintrust push` runs" in done.stderr
    env = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(tmp_path / "s.sqlite"))
    env.pop("BRAINTRUST_API_KEY", None)
    check = subprocess.run([sys.executable, "-c", (
        "import braintrust, json\n"
        "print(json.dumps(braintrust.invoke(project_name='pushed', slug='multiply', "
        "input={'a': 6, 'b': 7})))\n"
        "p = braintrust.load_prompt(project='pushed', slug='calc')\n"
        "print(json.dumps(p.prompt_data['tool_functions']))\n"
        "print(json.dumps(p.build(a=2, b=3)['messages']))\n")],
        capture_output=True, text=True, env=env, timeout=120, cwd="/")
    assert check.returncode == 0, check.stderr
    out, tools, messages = check.stdout.strip().splitlines()
    assert json.loads(out) == 42
    assert json.loads(tools)[0]["slug"] == "multiply"
    assert json.loads(messages) == [{"role": "user", "content": "2 times 3?"}]
    again = push(tmp_path)  # the slugs exist and --if-exists defaults to error
    assert again.returncode != 0 and "exists" in again.stderr
    assert push(tmp_path, "--if-exists", "replace").returncode == 0


def test_push_to_the_service_uploads_a_bundle_and_inserts_definitions(tmp_path: Path) -> None:
    from pydantic import BaseModel

    class Args(BaseModel):
        a: int
        b: int

    with FakeBraintrust() as server:
        done = push(tmp_path, "--if-exists", "replace",
                     env={"BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": server.url})
        assert done.returncode == 0, done.stderr
        [code] = [r for r in server.requests if r["path"] == "/function/code"]
        bundle_id = next(iter(server.uploads))
        assert code["body"]["runtime_context"] == {
            "runtime": "python", "version": f"{sys.version_info.major}.{sys.version_info.minor}"}
        with zipfile.ZipFile(io.BytesIO(server.uploads[bundle_id])) as zf:
            assert zf.read("functions.py").decode() == PUSHED
            assert zf.read("register.py") == b"import functions as _\n"
        pid = server.projects["pushed"]
        tool, prompt = server.functions
    assert tool == {
        "project_id": pid, "name": "multiply", "slug": "multiply", "description": None,
        "function_data": {"type": "code", "data": {
            "type": "bundle", "runtime_context": code["body"]["runtime_context"],
            "location": {"type": "function", "index": 0}, "bundle_id": bundle_id,
            "preview": "def multiply(a: int, b: int) -> int:\n    return a * b"}},
        "function_type": "tool", "function_schema": {"parameters": Args.model_json_schema()},
        "if_exists": "replace"}
    assert prompt == {
        "project_id": pid, "name": "Calc", "slug": "calc", "function_data": {"type": "prompt"},
        "prompt_data": {"prompt": {"type": "chat", "messages": [
            {"role": "user", "content": "{{a}} times {{b}}?"}]}, "options": {"model": "gpt-4o"},
            "tool_functions": [{"type": "slug", "project_id": pid, "slug": "multiply"}]},
        "if_exists": "replace"}


def test_push_needs_a_parameters_schema_for_code(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(
        "import braintrust\n"
        "braintrust.projects.create('x').tools.create(handler=lambda a: a, name='noschema')\n")
    env = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(tmp_path / "s.sqlite"))
    env.pop("BRAINTRUST_API_KEY", None)
    done = subprocess.run([sys.executable, "-m", "braintrust", "push", "bad.py"],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path),
                          timeout=120)
    assert done.returncode != 0 and "has no parameters=" in done.stderr


def test_add_prompt_then_publish_and_classifiers(store: StoreHelper) -> None:
    # A pattern in public code: create, add_prompt (again), publish.
    project = braintrust.projects.create(name="On Site")
    prompt = project.prompts.create(name="Core", slug="core", model="m", prompt="Do {{x}}",
                                    params={"temperature": 0}, if_exists="replace")
    assert isinstance(prompt, braintrust.CodePrompt)
    project.add_prompt(prompt)
    assert [f["slug"] for f in project.publish()["functions"]] == ["core"]
    assert braintrust.load_prompt(project="On Site", slug="core").build(x="it")["prompt"] == \
        "Do it"
    label = project.classifiers.create(handler=lambda output: {"id": "ok"}, name="Label")
    assert (label.type_, label.slug) == ("classifier", "label")
    with pytest.raises(TypeError, match="add_prompt"):
        project.add_prompt("core")  # type: ignore[arg-type]
