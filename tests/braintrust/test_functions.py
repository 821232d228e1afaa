"""invoke, init_function and streams: in-process tools, stored prompts, and the service.

invoke() takes the official SDK's parameters in its order (function_id first);
on the service it sends what the official sends (observed against the
reference capture server), and on the embedded store it runs the function here.
"""

from __future__ import annotations

from typing import Any

import pytest

import braintrust
from tests.conftest import StoreHelper
from tests.fake_braintrust import FakeBraintrust
from tests.fake_llm import FakeLLM


def test_code_function_in_process_is_traced(store: StoreHelper) -> None:
    project = braintrust.projects.create("p")

    def add(a: int, b: int) -> int:
        return a + b

    tool = project.tools.create(handler=add, name="Adder", slug="adder")
    assert isinstance(tool, braintrust.CodeFunction) and tool.handler is add
    assert (tool.name, tool.slug, tool.type_) == ("Adder", "adder", "tool") and tool(1, 1) == 2
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="caller") as caller:
        assert braintrust.invoke(project_name="p", slug="adder", input={"a": 1, "b": 2},
                                 tags=["t"]) == 3
    rows = store.by_name()
    assert rows["adder"]["span_parents"] == [caller.span_id]
    assert rows["adder"]["input"] == {"a": 1, "b": 2} and rows["adder"]["output"] == 3
    assert rows["adder"]["tags"] == ["t"]
    stream = braintrust.invoke(project_name="p", slug="adder", input={"a": 2, "b": 2},
                               stream=True)
    assert stream.final_value() == 4
    with braintrust.start_span(name="other") as other:
        pass
    assert braintrust.invoke(project_name="p", slug="adder", input={"a": 0, "b": 1},
                             parent=other) == 1
    [under_other] = [r for r in store.rows() if r.get("output") == 1]
    assert under_other["span_parents"] == [other.span_id]


def test_stored_prompt_through_an_openai_compatible_endpoint(
    store: StoreHelper, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = braintrust.projects.create("p")
    project.prompts.create(name="Greet", slug="greet", model="gpt-4o-mini",
                           params={"use_cache": True},
                           messages=[{"role": "user", "content": "Say hi to {{name}}"}])
    project.publish()
    saved = braintrust.load_prompt(project="p", slug="greet")
    with FakeLLM() as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        out = braintrust.invoke(project_name="p", slug="greet", input={"name": "Ann"},
                                messages=[{"role": "user", "content": "and more"}])
        assert out == "Hello from fake server!"
        body = llm.requests[-1]["body"]
        assert body["messages"] == [{"role": "user", "content": "Say hi to Ann"},
                                    {"role": "user", "content": "and more"}]
        assert "use_cache" not in body
        # function_id is the first positional parameter, as in the official SDK.
        assert braintrust.invoke(saved.id, input={"name": "Bo"}) == "Hello from fake server!"
        assert llm.requests[-1]["body"]["messages"][0]["content"] == "Say hi to Bo"
        assert braintrust.invoke(project_name="p", slug="greet", version=saved.version,
                                 input={"name": "Cy"}) == "Hello from fake server!"
        with pytest.raises(ValueError, match="no value for variable 'name'"):
            braintrust.invoke(project_name="p", slug="greet", input={}, strict=True)
        streamed = braintrust.invoke(project_name="p", slug="greet", input={"name": "Ann"},
                                     stream=True)
        assert [c["data"] for c in streamed] == ["Hello", " streamed", " world"]
        assert streamed.final_value() == "Hello streamed world"


def test_init_function_as_task_and_scorer(store: StoreHelper) -> None:
    from pydantic import BaseModel

    class JudgeInput(BaseModel):
        input: Any
        output: Any
        expected: Any

    project = braintrust.projects.create("p")
    project.tools.create(handler=lambda text: text.upper(), slug="shout")

    def judge(input: Any, output: Any, expected: Any) -> float:
        return 1.0 if output == expected else 0.0

    assert isinstance(project.scorers.create(handler=judge, parameters=JudgeInput),
                      braintrust.CodeFunction)
    task = braintrust.init_function("p", "shout")
    scorer = braintrust.init_function("p", "judge")
    assert task.__name__ == "init_function-p-shout-latest"
    result = braintrust.Eval("p", data=[{"input": "a", "expected": "A"}], task=task,
                             scores=[scorer], quiet=True)
    assert result.results[0].output == "A"
    assert result.results[0].scores == {"init_function-p-judge-latest": 1.0}


def test_unknown_function_is_a_clear_error(store: StoreHelper) -> None:
    with pytest.raises(ValueError, match="no project named 'nowhere'"):
        braintrust.invoke(project_name="nowhere", slug="nothing", input=1)
    braintrust.projects.create("p").id  # noqa: B018  (registers the project)
    with pytest.raises(ValueError, match="no function 'nothing' in project 'p'"):
        braintrust.invoke(project_name="p", slug="nothing", input=1)
    with pytest.raises(ValueError, match="pass function_id="):
        braintrust.invoke(input=1)
    with pytest.raises(ValueError, match="need the Braintrust service"):
        braintrust.invoke(global_function="exact_match", input=1)


def _invokes(server: FakeBraintrust) -> list[dict[str, Any]]:
    return [r for r in server.requests if r["path"] == "/function/invoke"]


def test_invoke_on_the_service_sends_what_the_official_sends(
    api: object, fake: FakeBraintrust
) -> None:
    braintrust.invoke("fid-1", input={"a": 1})
    assert _invokes(fake)[-1]["body"] == {"api_version": 1, "function_id": "fid-1",
                                          "input": {"a": 1}, "metadata": None, "parent": "",
                                          "stream": False, "tags": None}
    braintrust.invoke(project_name="p", slug="s", input=1, messages=[{"role": "user",
                      "content": "x"}], metadata={"m": 1}, tags=["t"], mode="json",
                      strict=True, version="v1", function_type="tool", global_function="g",
                      prompt_session_id="ps", prompt_session_function_id="psf",
                      project_id="pid", overrides={"o": 1})
    request = _invokes(fake)[-1]
    assert request["body"] == {
        "api_version": 1, "function_type": "tool", "global_function": "g", "input": 1,
        "messages": [{"content": "x", "role": "user"}], "metadata": {"m": 1}, "mode": "json",
        "overrides": {"o": 1}, "parent": "", "project_name": "p",
        "prompt_session_function_id": "psf", "prompt_session_id": "ps", "slug": "s",
        "stream": False, "strict": True, "tags": ["t"], "version": "v1"}
    assert request["headers"]["Accept"] == "application/json"
    assert request["headers"]["x-bt-project-id"] == "pid"
    assert "x-bt-org-name" not in request["headers"]


def test_invoke_parent_is_the_current_span_else_the_logger(
    api: object, fake: FakeBraintrust
) -> None:
    from braintrust._slugs import decode_slug

    logger = braintrust.init_logger(project="svc")
    with braintrust.start_span(name="caller") as caller:
        out = braintrust.invoke(project_name="svc", slug="echo", input={"x": 1})
    assert out == {"echo": {"x": 1}, "slug": "echo"}
    assert decode_slug(_invokes(fake)[-1]["body"]["parent"]).span_id == caller.span_id
    braintrust.invoke(project_name="svc", slug="echo", input=2)
    assert _invokes(fake)[-1]["body"]["parent"] == logger.export()
    braintrust.invoke(project_name="svc", slug="echo", input=3, parent="explicit")
    assert _invokes(fake)[-1]["body"]["parent"] == "explicit"
    with braintrust.start_span(name="other"):
        braintrust.invoke(project_name="svc", slug="echo", input=4, parent=logger)
    assert _invokes(fake)[-1]["body"]["parent"] == logger.export()
    braintrust.flush()
    # The service traces the call: no span of ours is logged for it.
    logged = [row for body in fake.logs3_bodies() for row in body["rows"]]
    assert sorted(row["span_attributes"]["name"] for row in logged) == ["caller", "other"]
    task = braintrust.init_function("svc", "echo")
    assert task("in") == {"echo": "in", "slug": "echo"}
    assert task(input="i", output="o") == {"echo": {"input": "i", "output": "o"},
                                           "slug": "echo"}


def test_invoke_service_errors_and_streams(api: object, fake: FakeBraintrust
                                           ) -> None:
    stream = braintrust.invoke(project_name="svc", slug="echo", input={"x": 1}, stream=True)
    assert stream.final_value() == "Hello world"
    assert _invokes(fake)[-1]["headers"]["Accept"] == "text/event-stream"
    with pytest.raises(ValueError, match="no function 'missing' in project 'svc'"):
        braintrust.invoke(project_name="svc", slug="missing", input=1)
    fake.fail("/function/invoke", 500)
    with pytest.raises(braintrust.BraintrustInvokeError):
        braintrust.invoke(project_name="svc", slug="echo", input=1)


def test_tool_calls_come_back_by_mode(store: StoreHelper, monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    project = braintrust.projects.create("p")
    project.prompts.create(name="Weather", model="gpt-4o-mini",
                           messages=[{"role": "user", "content": "weather in {{city}}?"}],
                           tools=[{"type": "function", "function": {
                               "name": "get_weather", "parameters": {"type": "object"}}}])
    project.publish()
    with FakeLLM() as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.openai_url)
        args: dict[str, Any] = {"project_name": "p", "slug": "weather",
                                "input": {"city": "Paris"}}
        assert braintrust.invoke(**args) == {"city": "Paris"}
        assert braintrust.invoke(**args, mode="parallel") == [
            {"name": "get_weather", "arguments": {"city": "Paris"}}]
        assert braintrust.invoke(**args, mode="text") is None
        assert llm.requests[-1]["body"]["tools"][0]["function"]["name"] == "get_weather"
