"""Runnable versions of the official SDK's prompt, function, tool and push examples.

Rewritten here (not copied) and pointed at the fake provider: each scenario is
what public Braintrust code does with these features, run unchanged against
this package on the embedded store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openai
import pytest

import braintrust
from tests.conftest import StoreHelper
from tests.fake_llm import FakeLLM


def test_prompt_defined_in_code_then_used_by_an_app(store: StoreHelper) -> None:
    # Define and publish (a deploy script) ...
    project = braintrust.projects.create(name="p")
    project.prompts.create(
        name="Summarizer", slug="summarizer", description="Summarizes a text",
        model="gpt-4o-mini", params={"temperature": 0, "use_cache": True},
        messages=[{"role": "system", "content": "Summarize in {{words}} words."},
                  {"role": "user", "content": "{{text}}"}],
        if_exists="replace")
    project.publish()
    # ... then the app loads it by slug and calls the model with what build() gives.
    braintrust.init_logger(project="p")
    with FakeLLM() as llm:
        client = braintrust.wrap_openai(openai.OpenAI(base_url=llm.openai_url, api_key="k"))

        @braintrust.traced
        def summarize(text: str) -> str:
            prompt = braintrust.load_prompt(project="p", slug="summarizer")
            reply = client.chat.completions.create(**prompt.build(words=5, text=text))
            return str(reply.choices[0].message.content)

        assert summarize("A long text.") == "Hello from fake server!"
        sent = llm.requests[-1]["body"]
    assert sent["messages"] == [{"role": "system", "content": "Summarize in 5 words."},
                                {"role": "user", "content": "A long text."}]
    assert "use_cache" not in sent and "span_info" not in sent
    rows = store.rows()
    [llm_row] = [r for r in rows if r["span_attributes"]["type"] == "llm"]
    saved = braintrust.load_prompt(project="p", slug="summarizer")
    assert llm_row["metadata"]["prompt"]["id"] == saved.id
    assert llm_row["metadata"]["prompt"]["variables"] == {"words": 5, "text": "A long text."}


def test_eval_with_a_saved_prompt_as_task_and_an_llm_scorer(
    store: StoreHelper, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = braintrust.projects.create(name="p")
    project.prompts.create(name="Answer", model="gpt-4o-mini",
                           messages=[{"role": "user", "content": "{{input}}"}])
    project.scorers.create(
        name="Is polite", slug="is-polite", model="gpt-4o-mini", use_cot=True,
        messages=[{"role": "user", "content": "Is this polite: {{output}}? Y or N"}],
        choice_scores={"Y": 1, "N": 0})
    project.publish()
    with FakeLLM() as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.openai_url)
        result = braintrust.Eval(
            "p", data=[{"input": "Say hello", "expected": None}],
            task=braintrust.init_function("p", "answer"),
            scores=[braintrust.init_function("p", "is-polite")], quiet=True)
        judge_call = llm.requests[-1]["body"]
    assert result.results[0].output == "Hello from fake server!"
    assert result.results[0].scores == {"Is polite": 1}
    assert judge_call["tool_choice"]["function"]["name"] == "select_choice"
    assert "Hello from fake server!" in judge_call["messages"][0]["content"]


TOOLS_FILE = '''
import braintrust
from pydantic import BaseModel


class Lookup(BaseModel):
    owner: str
    repo: str


class Details(BaseModel):
    full_name: str
    stars: int


def repository_details(owner: str, repo: str) -> dict:
    return {"full_name": f"{owner}/{repo}", "stars": 42}


project = braintrust.projects.create(name="github-tools")
details = project.tools.create(
    name="Get Repository Details", slug="repository-details",
    description="Details about a repository", handler=repository_details,
    parameters=Lookup, returns=Details, if_exists="replace")
project.prompts.create(
    name="Repo bot", slug="repo-bot", model="gpt-4o-mini", tools=[details],
    messages=[{"role": "user", "content": "{{question}}"}], if_exists="replace")
'''


def test_tools_pushed_from_a_file_then_invoked(tmp_path: Path) -> None:
    (tmp_path / "github_tools.py").write_text(TOOLS_FILE)
    env = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(tmp_path / "s.sqlite"))
    env.pop("BRAINTRUST_API_KEY", None)
    pushed = subprocess.run([sys.executable, "-m", "braintrust", "push", "github_tools.py"],
                            capture_output=True, text=True, env=env, cwd=str(tmp_path),
                            timeout=120)
    assert pushed.returncode == 0, pushed.stderr
    used = subprocess.run([sys.executable, "-c", (
        "import braintrust, json\n"
        "lookup = braintrust.init_function('github-tools', 'repository-details')\n"
        "print(json.dumps(lookup({'owner': 'octo', 'repo': 'cat'})))\n"
        "bot = braintrust.load_prompt(project='github-tools', slug='repo-bot')\n"
        "print(json.dumps(bot.prompt_data['tool_functions']))\n")],
        capture_output=True, text=True, env=env, cwd="/", timeout=120)
    assert used.returncode == 0, used.stderr
    out, refs = used.stdout.strip().splitlines()
    assert json.loads(out) == {"full_name": "octo/cat", "stars": 42}
    assert [r["slug"] for r in json.loads(refs)] == ["repository-details"]
    from braintrust_otel.store import Store

    store = Store(tmp_path / "s.sqlite")
    project = store.find_project(name="github-tools")
    assert project is not None
    saved: dict[str, Any] = store.find_prompt(project_id=project["id"],
                                              slug="repository-details") or {}
    assert saved["function_type"] == "tool"
    assert saved["function_schema"]["parameters"]["required"] == ["owner", "repo"]
    assert saved["function_schema"]["returns"]["properties"]["stars"]["type"] == "integer"


def test_scores_built_and_read_like_autoevals_scores(store: StoreHelper) -> None:
    def length_ok(output: str) -> braintrust.Score:
        return braintrust.Score(name="length_ok", score=float(len(output) < 40),
                                metadata={"length": len(output)})

    result = braintrust.Eval("p", data=[{"input": "hi"}], task=lambda s: s * 3,
                             scores=[length_ok], quiet=True)
    assert result.results[0].scores == {"length_ok": 1.0}
    assert length_ok("x").as_dict() == {"name": "length_ok", "score": 1.0,
                                        "metadata": {"length": 1}}
