"""Integrations used through the official SDK's module paths: autoevals, braintrust.wrappers."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import openai
import pytest

import braintrust

from .conftest import StoreHelper
from .fake_llm import FakeLLM


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def _experiment_rows(store: StoreHelper, project: str) -> list[dict[str, Any]]:
    braintrust.flush()
    proj = store.store.find_project(name=project)
    assert proj is not None
    [exp] = store.store.experiments(proj["id"])[-1:]
    return [r.data for r in store.store.rows("experiment", exp["id"])]


def test_autoevals_llm_scorer_calls_nest_under_the_score_span(store: StoreHelper,
                                                              llm: FakeLLM) -> None:
    import autoevals
    from autoevals import LLMClassifier

    # No instrumentor is on: only autoevals' own use of braintrust.oai traces the call.
    autoevals.init(client=openai.OpenAI(base_url=llm.openai_url, api_key="k", max_retries=0))
    try:
        grader = LLMClassifier(name="polite", prompt_template="Is {{output}} polite?",
                               choice_scores={"Y": 1, "N": 0}, model="gpt-4o-mini")
        result = braintrust.Eval("auto", data=[{"input": "hi"}], task=lambda s: s + "!",
                                 scores=[grader], quiet=True)
    finally:
        autoevals.init(client=None)
    assert result.results[0].scores == {"polite": 1}
    rows = _experiment_rows(store, "auto")
    score = next(r for r in rows if r["span_attributes"].get("type") == "score")
    [call] = [r for r in rows if r["span_attributes"].get("type") == "llm"]
    assert score["span_attributes"]["name"] == "polite"
    assert call["span_parents"] == [score["span_id"]]
    assert call["span_attributes"]["name"] == "Chat Completion"
    assert call["input"][0]["role"] == "user"
    assert call["input"][0]["content"].startswith("Is hi! polite?")
    assert call["output"][0]["message"]["tool_calls"][0]["function"]["name"] == "select_choice"
    assert call["metrics"]["tokens"] == 17


def test_oai_module_names_autoevals_imports() -> None:
    from braintrust.oai import NamedWrapper, patch_openai, wrap_openai

    assert wrap_openai is braintrust.wrap_openai and callable(patch_openai)
    proxy = NamedWrapper([1, 2])
    assert proxy.count(2) == 1  # attribute access goes to the wrapped object


def test_wrap_openai_twice_wraps_once(llm: FakeLLM, store: StoreHelper) -> None:
    client = openai.OpenAI(base_url=llm.openai_url, api_key="k", max_retries=0)
    assert braintrust.wrap_openai(braintrust.wrap_openai(client)) is client
    braintrust.init_logger(project="p")
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert [r["span_attributes"]["name"] for r in store.rows()] == ["Chat Completion"]
    layers, fn = 0, client.chat.completions.create
    while hasattr(fn, "_self_wrapper"):
        layers, fn = layers + 1, fn.__wrapped__
    assert layers == 1


@pytest.mark.parametrize("module,names", [
    ("braintrust.wrappers.anthropic", ["wrap_anthropic", "wrap_anthropic_client"]),
    ("braintrust.wrappers.google_genai", ["setup_genai"]),
])
def test_wrapper_module_paths(module: str, names: list[str]) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(names)
    for name in names:
        assert callable(getattr(mod, name))
