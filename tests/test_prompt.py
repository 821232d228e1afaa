"""Prompts: created from code, loaded, built; the disk cache against the fake service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import braintrust
from braintrust._prompt import PromptBuildError

from .conftest import StoreHelper
from .test_http_delivery import api, fake  # noqa: F401  (fixtures)


def _chat(project: str = "p") -> braintrust.Prompt:
    return braintrust.projects.create(project).prompts.create(
        name="Greeter", slug="greeter", model="gpt-4o-mini",
        params={"temperature": 0.2, "max_tokens": 100},
        messages=[{"role": "system", "content": "You are a {{tone}} assistant."},
                  {"role": "user", "content": "Hello {{name}}, value={{nested.x}}"}])


def test_create_load_and_build_a_chat_prompt(store: StoreHelper) -> None:
    created = _chat()
    prompt = braintrust.load_prompt(project="p", slug="greeter")
    assert prompt.id == created.id and prompt.version == created.version
    built = prompt.build(tone="friendly", name="Ann", nested={"x": 5})
    assert built["model"] == "gpt-4o-mini"
    assert built["temperature"] == 0.2 and built["max_tokens"] == 100
    assert built["messages"] == [
        {"role": "system", "content": "You are a friendly assistant."},
        {"role": "user", "content": "Hello Ann, value=5"}]
    assert built["span_info"] == {"metadata": {"prompt": {
        "variables": {"tone": "friendly", "name": "Ann", "nested": {"x": 5}},
        "id": prompt.id, "project_id": prompt.project_id, "version": prompt.version}}}
    assert "span_info" not in braintrust.load_prompt(project="p", slug="greeter",
                                                     no_trace=True).build(
        tone="t", name="n", nested={"x": 1})


def test_versions_defaults_and_missing_variables(store: StoreHelper) -> None:
    first = _chat()
    project = braintrust.projects.create("p")
    second = project.prompts.create(name="Greeter", slug="greeter", model="gpt-4o",
                                    messages=[{"role": "user", "content": "Hi {{name}}"}])
    assert int(second.version) > int(first.version) and second.id == first.id
    assert braintrust.load_prompt(project="p", slug="greeter").build(name="x")["model"] == \
        "gpt-4o"
    old = braintrust.load_prompt(project="p", slug="greeter", version=first.version,
                                 defaults={"tone": "calm", "nested": {"x": 0}})
    assert old.build(name="Bo")["messages"][0]["content"] == "You are a calm assistant."
    with pytest.raises(PromptBuildError, match="no value for variable 'name'"):
        old.build()
    with pytest.raises(ValueError, match=r"prompts\.create.*exists"):
        project.prompts.create(name="Greeter", slug="greeter", messages=[], if_exists="error")


def test_completion_prompt_and_tools(store: StoreHelper) -> None:
    project = braintrust.projects.create("p")
    project.prompts.create(name="Summarize", prompt="Summarize: {{text}}", model="m")
    built = braintrust.load_prompt(project="p", slug="summarize").build(text="abc")
    assert built["prompt"] == "Summarize: abc" and "messages" not in built
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {}}}]
    project.prompts.create(name="Tooled", messages=[{"role": "user", "content": "hi"}],
                           tools=tools)
    assert braintrust.load_prompt(project="p", slug="tooled").build()["tools"] == tools


def test_not_found_errors_name_what_was_missing(store: StoreHelper) -> None:
    _chat()
    with pytest.raises(ValueError, match="no project named 'nope'"):
        braintrust.load_prompt(project="nope", slug="greeter")
    with pytest.raises(ValueError, match="no prompt 'absent' in project 'p'"):
        braintrust.load_prompt(project="p", slug="absent")
    with pytest.raises(ValueError, match="at version 999999"):
        braintrust.load_prompt(project="p", slug="greeter", version=999999)
    with pytest.raises(ValueError, match="pass slug="):
        braintrust.load_prompt(project="p")


def test_push_cli_runs_a_file_that_creates_prompts(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    (tmp_path / "prompts.py").write_text(
        "import braintrust\n"
        "p = braintrust.projects.create('pushed')\n"
        "p.prompts.create(name='One', messages=[{'role': 'user', 'content': 'hi {{x}}'}])\n")
    env = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(tmp_path / "s.sqlite"))
    env.pop("BRAINTRUST_API_KEY", None)
    proc = subprocess.run([sys.executable, "-m", "braintrust", "push", "prompts.py"],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "pushed 1 prompt" in proc.stdout
    check = subprocess.run(
        [sys.executable, "-c", "import braintrust; print(braintrust.load_prompt("
         "project='pushed', slug='one').build(x=1)['messages'])"],
        capture_output=True, text=True, env=env, timeout=60)
    assert json.loads(check.stdout.strip().replace("'", '"')) == [
        {"role": "user", "content": "hi 1"}]


def test_prompts_against_the_service_and_the_disk_cache(
    fake: object, api: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    from .fake_braintrust import FakeBraintrust

    assert isinstance(fake, FakeBraintrust)
    monkeypatch.setenv("BRAINTRUST_PROMPT_CACHE_DIR", str(tmp_path / "cache"))
    _chat("svc")
    saved = next(r for r in fake.requests if r["path"] == "/v1/prompt")
    assert saved["method"] == "PUT" and saved["body"]["slug"] == "greeter"
    assert saved["body"]["prompt_data"]["options"]["model"] == "gpt-4o-mini"
    prompt = braintrust.load_prompt(project="svc", slug="greeter")
    query = [r for r in fake.requests if r["path"] == "/v1/prompt" and r["method"] == "GET"]
    assert len(query) == 1
    built = prompt.build(tone="warm", name="Al", nested={"x": 2})
    assert built["messages"][1]["content"] == "Hello Al, value=2"
    fake.stop()
    cached = braintrust.load_prompt(project="svc", slug="greeter")
    assert cached.build(tone="warm", name="Al", nested={"x": 2}) == built
    with pytest.raises(ValueError, match="not cached"):
        braintrust.load_prompt(project="svc", slug="other")
