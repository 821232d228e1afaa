"""invoke, init_function and streams: in-process tools, local prompts, and the service."""

from __future__ import annotations

from typing import Any

import pytest

import braintrust

from .conftest import StoreHelper
from .fake_llm import FakeLLM
from .test_http_delivery import api, fake  # noqa: F401  (fixtures)


def test_code_function_in_process_is_traced(store: StoreHelper) -> None:
    project = braintrust.projects.create("p")

    def add(a: int, b: int) -> int:
        return a + b

    assert project.tools.create(handler=add, name="Adder", slug="adder") is add
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="caller") as caller:
        assert braintrust.invoke({"a": 1, "b": 2}, project_name="p", slug="adder") == 3
    rows = store.by_name()
    assert rows["adder"]["span_parents"] == [caller.span_id]
    assert rows["adder"]["input"] == {"a": 1, "b": 2} and rows["adder"]["output"] == 3
    stream = braintrust.invoke({"a": 2, "b": 2}, project_name="p", slug="adder", stream=True)
    assert stream.final_value() == 4


def test_local_prompt_through_an_openai_compatible_endpoint(
    store: StoreHelper, monkeypatch: pytest.MonkeyPatch
) -> None:
    braintrust.projects.create("p").prompts.create(
        name="Greet", slug="greet", model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Say hi to {{name}}"}])
    with FakeLLM() as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        out = braintrust.invoke({"name": "Ann"}, project_name="p", slug="greet")
        assert out == "Hello from fake server!"
        assert llm.requests[-1]["body"]["messages"] == [
            {"role": "user", "content": "Say hi to Ann"}]
        streamed = braintrust.invoke({"name": "Ann"}, project_name="p", slug="greet",
                                     stream=True)
        assert [c["data"] for c in streamed] == ["Hello", " streamed", " world"]
        assert streamed.final_value() == "Hello streamed world"


def test_init_function_as_task_and_scorer(store: StoreHelper) -> None:
    project = braintrust.projects.create("p")
    project.tools.create(handler=lambda text: text.upper(), slug="shout")

    def judge(input: Any, output: Any, expected: Any) -> float:
        return 1.0 if output == expected else 0.0

    project.tools.create(handler=judge, slug="judge")
    task = braintrust.init_function("p", "shout")
    scorer = braintrust.init_function("p", "judge")
    assert task.__name__ == "shout"
    result = braintrust.Eval("p", data=[{"input": "a", "expected": "A"}], task=task,
                             scores=[scorer], quiet=True)
    assert result.results[0].output == "A"
    assert result.results[0].scores == {"judge": 1.0}


def test_unknown_function_is_a_clear_error(store: StoreHelper) -> None:
    with pytest.raises(ValueError, match="no project named 'nowhere'"):
        braintrust.invoke(1, project_name="nowhere", slug="nothing")
    with pytest.raises(ValueError, match="pass slug="):
        braintrust.invoke(1)


def test_invoke_on_the_service(api: object, fake: object) -> None:  # noqa: F811
    from .fake_braintrust import FakeBraintrust

    assert isinstance(fake, FakeBraintrust)
    braintrust.init_logger(project="svc")
    with braintrust.start_span(name="caller") as caller:
        out = braintrust.invoke({"x": 1}, project_name="svc", slug="echo")
    assert out == {"echo": {"x": 1}, "slug": "echo"}
    request = next(r for r in fake.requests if r["path"] == "/function/invoke")
    body = request["body"]
    assert body["api_version"] == 1 and body["project_name"] == "svc"
    assert body["slug"] == "echo" and body["stream"] is False and body["input"] == {"x": 1}
    from braintrust._slugs import decode_slug

    assert decode_slug(body["parent"]).root_span_id == caller.root_span_id
    assert request["headers"]["Accept"] == "application/json"
    stream = braintrust.invoke({"x": 1}, project_name="svc", slug="echo", stream=True)
    assert stream.final_value() == "Hello world"
    with pytest.raises(ValueError, match="no function 'missing'"):
        braintrust.invoke(1, project_name="svc", slug="missing")
