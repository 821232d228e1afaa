"""Integrations used through the official SDK's module paths: autoevals, braintrust.wrappers."""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import wrapt

import braintrust
from tests.conftest import StoreHelper
from tests.fake_llm import FakeLLM

# LiteLLM fetches a model price list from the internet on import unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


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
    ("braintrust.wrappers.litellm", ["patch_litellm", "wrap_litellm"]),
    ("braintrust.wrappers.openai", ["BraintrustTracingProcessor"]),
    ("braintrust.wrappers.threads", ["patch_thread", "patch_thread_pool_executor",
                                     "setup_threads"]),
])
def test_wrapper_module_paths(module: str, names: list[str]) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(names)
    for name in names:
        assert callable(getattr(mod, name))


def _llm_rows(store: StoreHelper) -> list[dict[str, Any]]:
    return [r for r in store.rows() if r["span_attributes"].get("type") == "llm"]


def test_litellm_rows_match_the_official_sdk(store: StoreHelper, llm: FakeLLM) -> None:
    import litellm

    from braintrust_otel.instrumentation.litellm import LiteLLMInstrumentor
    from braintrust_otel.instrumentation.openai import OpenAIInstrumentor

    LiteLLMInstrumentor().instrument()
    OpenAIInstrumentor().instrument()  # the openai client LiteLLM uses adds no second span
    try:
        braintrust.init_logger(project="p")
        common: dict[str, Any] = {"model": "openai/gpt-4o-mini", "api_base": llm.openai_url,
                                  "api_key": "sk-secret",
                                  "messages": [{"role": "user", "content": "hi"}]}
        reply = litellm.completion(temperature=0.5, **common)
        assert reply.choices[0].message.content == "Hello from fake server!"
        streamed = "".join(c.choices[0].delta.content or ""
                           for c in litellm.completion(stream=True, **common))
        assert streamed == "Hello streamed world"
        asyncio.run(litellm.acompletion(**common))
        litellm.embedding(model="openai/text-embedding-3-small", api_base=llm.openai_url,
                          api_key="sk-secret", input=["hi"])
        llm.fail_next(500)
        with pytest.raises(litellm.exceptions.InternalServerError):
            litellm.completion(num_retries=0, max_retries=0, **common)
    finally:
        LiteLLMInstrumentor().uninstrument()
        OpenAIInstrumentor().uninstrument()
    first, stream, asynced, embedding, failed = _llm_rows(store)
    # Field by field as the official SDK (0.48.1) logs these calls.
    assert [r["span_attributes"]["name"] for r in (first, stream, asynced, failed)] == \
        ["Completion"] * 4
    assert first["input"] == [{"role": "user", "content": "hi"}]
    assert first["metadata"] == {"model": "openai/gpt-4o-mini", "provider": "openai",
                                 "temperature": 0.5}  # no api_key, no api_base
    assert first["output"][0]["message"] == {"role": "assistant",
                                             "content": "Hello from fake server!"}
    assert first["output"][0]["finish_reason"] == "stop"
    assert {k: first["metrics"][k] for k in ("prompt_tokens", "completion_tokens", "tokens",
                                             "prompt_cached_tokens",
                                             "completion_reasoning_tokens")} == \
        {"prompt_tokens": 12, "completion_tokens": 5, "tokens": 17, "prompt_cached_tokens": 2,
         "completion_reasoning_tokens": 1}
    assert first["metrics"]["time_to_first_token"] > 0
    assert stream["metadata"]["stream"] is True
    assert stream["output"][0]["message"]["content"] == "Hello streamed world"
    assert stream["metrics"]["time_to_first_token"] > 0
    assert asynced["output"][0]["message"]["content"] == "Hello from fake server!"
    assert embedding["span_attributes"]["name"] == "Embedding"
    assert embedding["input"] == ["hi"] and embedding["output"] == {"embedding_length": 3}
    assert embedding["metadata"] == {"model": "openai/text-embedding-3-small",
                                     "provider": "openai"}
    assert "InternalServerError" in failed["error"] and "output" not in failed


def test_wrap_litellm_traces_the_module_once(store: StoreHelper, llm: FakeLLM) -> None:
    import litellm

    from braintrust_otel.instrumentation.litellm import LiteLLMInstrumentor

    assert braintrust.wrap_litellm(braintrust.wrap_litellm(litellm)) is litellm
    try:
        braintrust.init_logger(project="p")
        litellm.completion(model="openai/gpt-4o-mini", api_base=llm.openai_url, api_key="k",
                           messages=[{"role": "user", "content": "hi"}])
    finally:
        LiteLLMInstrumentor()._unpatch()
    assert [r["span_attributes"]["name"] for r in _llm_rows(store)] == ["Completion"]


def test_litellm_responses_keep_the_requested_model(store: StoreHelper, llm: FakeLLM) -> None:
    import litellm

    from braintrust_otel.instrumentation.litellm import LiteLLMInstrumentor

    LiteLLMInstrumentor().instrument()
    try:
        braintrust.init_logger(project="p")
        reply: Any = litellm.responses(model="openai/gpt-4o-mini", input="hi",
                                       api_base=llm.openai_url, api_key="k")
    finally:
        LiteLLMInstrumentor().uninstrument()
    assert reply.output[0].content[0].text == "Hello from responses!"
    [row] = _llm_rows(store)
    # As the official SDK (0.48.1) logs litellm.responses(): the request's metadata only.
    assert row["span_attributes"]["name"] == "Response"
    assert row["metadata"] == {"model": "openai/gpt-4o-mini", "provider": "openai"}
    assert row["input"] == "hi"
    assert row["output"][0]["content"][0]["text"] == "Hello from responses!"
    assert row["metrics"]["tokens"] == 13


def test_instructor_task_span_with_retries_and_llm_children(store: StoreHelper,
                                                            llm: FakeLLM) -> None:
    import instructor
    from pydantic import BaseModel, field_validator

    from braintrust_otel.instrumentation.instructor import InstructorInstrumentor
    from braintrust_otel.instrumentation.openai import OpenAIInstrumentor

    attempts: list[str] = []

    class Weather(BaseModel):
        city: str

        @field_validator("city")
        @classmethod
        def not_on_the_first_try(cls, value: str) -> str:
            attempts.append(value)
            if len(attempts) == 1:
                raise ValueError("try again")
            return value

    InstructorInstrumentor().instrument()
    OpenAIInstrumentor().instrument()
    try:
        braintrust.init_logger(project="p")
        client = instructor.from_openai(openai.OpenAI(base_url=llm.openai_url, api_key="k",
                                                      max_retries=0))
        braintrust.wrap_instructor(client)  # also instrumented: still one span
        weather = client.create(model="gpt-4o-mini", response_model=Weather,
                                messages=[{"role": "user", "content": "w"}])
    finally:
        InstructorInstrumentor().uninstrument()
        OpenAIInstrumentor().uninstrument()
    assert weather.city == "Paris"
    rows = store.rows()
    [task] = [r for r in rows if r["span_attributes"]["type"] == "task"]
    calls = [r for r in rows if r["span_attributes"]["type"] == "llm"]
    # Field by field as the official SDK (0.48.1) logs instructor calls.
    assert task["span_attributes"]["name"] == "instructor.create"
    assert task["input"] == {"messages": [{"role": "user", "content": "w"}],
                             "response_model": "Weather", "mode": "TOOLS"}
    assert task["output"] == {"city": "Paris"}
    errors = task["metadata"].pop("validation_errors")
    assert task["metadata"] == {"model": "gpt-4o-mini", "provider": "openai",
                                "response_model": "Weather", "mode": "TOOLS",
                                "max_retries": 3, "retry_count": 1}
    assert len(errors) == 1 and "try again" in errors[0]
    assert [c["span_attributes"]["name"] for c in calls] == ["Chat Completion"] * 2
    assert all(c["span_parents"] == [task["span_id"]] for c in calls)


def test_openrouter_rows_match_the_official_sdk(store: StoreHelper, llm: FakeLLM) -> None:
    from openrouter import OpenRouter

    from braintrust_otel.instrumentation.openrouter import OpenRouterInstrumentor

    OpenRouterInstrumentor().instrument()
    try:
        braintrust.init_logger(project="p")
        with OpenRouter(api_key="k", server_url=llm.openai_url) as client:
            reply = client.chat.send(model="openai/gpt-4o-mini", temperature=0.5,
                                     messages=[{"role": "user", "content": "hi"}])
            assert reply.choices[0].message.content == "Hello from fake server!"
            for _ in client.chat.send(model="openai/gpt-4o-mini", stream=True,
                                      messages=[{"role": "user", "content": "hi"}]):
                pass
            client.embeddings.generate(model="openai/text-embedding-3-small", input="hi")

            async def run_async() -> None:
                await client.chat.send_async(model="openai/gpt-4o-mini",
                                             messages=[{"role": "user", "content": "hi"}])

            asyncio.run(run_async())
    finally:
        OpenRouterInstrumentor().uninstrument()
    chat, stream, embedding, asynced = _llm_rows(store)
    # Field by field as the official SDK (0.48.1) logs OpenRouter calls.
    assert [r["span_attributes"]["name"] for r in (chat, stream, asynced)] == \
        ["openrouter.chat.send"] * 3
    assert chat["input"] == [{"role": "user", "content": "hi"}]
    assert chat["metadata"] == {"provider": "openai", "model": "gpt-4o-mini-2024-07-18",
                                "temperature": 0.5, "created": 1700000000,
                                "id": "chatcmpl-fake123", "object": "chat.completion",
                                "system_fingerprint": "fp_fake"}
    assert chat["output"] == [{"finish_reason": "stop", "index": 0, "logprobs": None,
                               "message": {"role": "assistant",
                                           "content": "Hello from fake server!"}}]
    assert {k: chat["metrics"][k] for k in ("prompt_tokens", "completion_tokens", "tokens",
                                            "prompt_cached_tokens",
                                            "completion_reasoning_tokens")} == \
        {"prompt_tokens": 12, "completion_tokens": 5, "tokens": 17, "prompt_cached_tokens": 2,
         "completion_reasoning_tokens": 1}
    assert chat["metrics"]["duration"] > 0
    assert stream["metadata"] == {"provider": "openai", "model": "gpt-4o-mini", "stream": True}
    assert stream["output"][0]["message"] == {"role": "assistant",
                                              "content": "Hello streamed world"}
    assert {k: stream["metrics"][k] for k in ("prompt_tokens", "completion_tokens", "tokens")} \
        == {"prompt_tokens": 12, "completion_tokens": 3, "tokens": 15}
    assert stream["metrics"]["time_to_first_token"] > 0
    assert embedding["span_attributes"]["name"] == "openrouter.embeddings.generate"
    assert embedding["input"] == "hi"
    assert embedding["output"] == {"embedding_length": 3, "embeddings_count": 1}
    assert embedding["metadata"] == {"provider": "openai", "model": "text-embedding-3-small",
                                     "object": "list"}
    assert embedding["metrics"]["tokens"] == 4
    assert asynced["output"][0]["message"]["content"] == "Hello from fake server!"


def test_wrap_openrouter_traces_one_client(store: StoreHelper, llm: FakeLLM) -> None:
    from openrouter import OpenRouter

    braintrust.init_logger(project="p")
    with OpenRouter(api_key="k", server_url=llm.openai_url) as client:
        assert braintrust.wrap_openrouter(braintrust.wrap_openrouter(client)) is client
        client.chat.send(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert [r["span_attributes"]["name"] for r in _llm_rows(store)] == ["openrouter.chat.send"]


def test_agents_tracing_processor_logs_to_the_given_logger(store: StoreHelper,
                                                           llm: FakeLLM) -> None:
    from agents import Agent, Runner, set_default_openai_client
    from agents.tracing import set_trace_processors

    from braintrust.wrappers.openai import BraintrustTracingProcessor

    braintrust.init_logger(project="p")
    elsewhere = braintrust.init_logger(project="agents", set_current=False)
    # Only ours: the SDK's default exporter would send traces to OpenAI.
    # Duck-typed: ours does not derive from the agents SDK's TracingProcessor.
    set_trace_processors([BraintrustTracingProcessor(elsewhere)])  # type: ignore[list-item]
    try:
        set_default_openai_client(openai.AsyncOpenAI(base_url=llm.openai_url, api_key="k",
                                                     max_retries=0))
        result = Runner.run_sync(Agent(name="Greeter", instructions="be nice",
                                       model="gpt-4o-mini"), "hi")
    finally:
        set_trace_processors([])
    assert result.final_output == "Hello from responses!"
    rows = store.rows("agents")
    by_name = {r["span_attributes"]["name"]: r for r in rows}
    assert by_name["Agent workflow"]["span_parents"] is None  # a root, in project "agents"
    assert by_name["Greeter"]["span_attributes"]["type"] == "task"
    ids = {r["span_id"] for r in rows}
    assert all(r["span_parents"][0] in ids for r in rows if r["span_parents"])
    assert {r["root_span_id"] for r in rows} == {by_name["Agent workflow"]["root_span_id"]}
    with pytest.raises(TypeError, match="span, logger or experiment"):
        BraintrustTracingProcessor("project")


THREADS_APP = """
import sys, threading
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, {root!r})
import braintrust
braintrust.init_logger(project="threads")
with braintrust.start_span(name="parent"):
    t = threading.Thread(target=lambda: braintrust.start_span(name="in thread").end())
    t.start()
    t.join()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: braintrust.start_span(name="in pool").end()).result()
braintrust.flush()
"""


@pytest.mark.parametrize("how", ["env", "none"])
def test_threads_nest_under_the_starting_span(tmp_path: Any, how: str) -> None:
    from tests.conftest import ROOT, run_python, stored_rows

    env = {"BRAINTRUST_INSTRUMENT_THREADS": "true"} if how == "env" else {}
    proc = run_python(THREADS_APP.format(root=str(ROOT)), tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    rows = {r["span_attributes"]["name"]: r for r in stored_rows(tmp_path / "sub.sqlite",
                                                                  "threads")}
    parent = rows["parent"]["span_id"]
    nested = [rows[n]["span_parents"] == [parent] for n in ("in thread", "in pool")]
    # Without the patches, threads start from an empty context: new roots.
    assert nested == ([True, True] if how == "env" else [False, False])


def test_setup_threads_patches_once() -> None:
    import threading
    from concurrent import futures

    from braintrust.wrappers.threads import patch_thread

    class MyThread(threading.Thread):
        pass

    assert patch_thread(patch_thread(MyThread)) is MyThread
    assert isinstance(MyThread.__dict__["start"], wrapt.FunctionWrapper)
    assert not isinstance(MyThread.__dict__["start"].__wrapped__, wrapt.FunctionWrapper)
    assert "submit" not in futures.ThreadPoolExecutor.__dict__ or not isinstance(
        futures.ThreadPoolExecutor.__dict__["submit"], wrapt.FunctionWrapper)


def test_instructor_partial_and_iterable_spans_cover_the_iteration(store: StoreHelper,
                                                                   llm: FakeLLM) -> None:
    import instructor
    from pydantic import BaseModel

    from braintrust_otel.instrumentation.instructor import InstructorInstrumentor
    from braintrust_otel.instrumentation.openai import OpenAIInstrumentor

    class City(BaseModel):
        city: str

    messages: Any = [{"role": "user", "content": "cities"}]
    InstructorInstrumentor().instrument()
    OpenAIInstrumentor().instrument()
    try:
        braintrust.init_logger(project="p")
        client = instructor.from_openai(openai.OpenAI(base_url=llm.openai_url, api_key="k",
                                                      max_retries=0))
        partials = list(client.create_partial(model="gpt-4o-mini", response_model=City,
                                              messages=messages))
        cities = list(client.create_iterable(model="gpt-4o-mini", response_model=City,
                                             messages=messages))

        async def run_async() -> list[Any]:
            aclient = instructor.from_openai(openai.AsyncOpenAI(
                base_url=llm.openai_url, api_key="k", max_retries=0))
            return [c async for c in aclient.create_iterable(
                model="gpt-4o-mini", response_model=City, messages=messages)]

        async_cities = asyncio.run(run_async())
    finally:
        InstructorInstrumentor().uninstrument()
        OpenAIInstrumentor().uninstrument()
    assert partials[-1].city == "Paris"
    assert [c.city for c in cities] == [c.city for c in async_cities] == ["Paris", "Rome"]
    rows = store.rows()
    tasks = {r["span_attributes"]["name"]: r for r in rows
             if r["span_attributes"]["type"] == "task"}
    assert sorted(tasks) == ["instructor.async.create_iterable", "instructor.create_iterable",
                             "instructor.create_partial"]
    assert tasks["instructor.create_partial"]["output"] == {"city": "Paris"}  # the last one
    assert tasks["instructor.create_iterable"]["output"] == [{"city": "Paris"},
                                                             {"city": "Rome"}]
    assert tasks["instructor.async.create_iterable"]["output"] == [{"city": "Paris"},
                                                                   {"city": "Rome"}]
    assert tasks["instructor.create_partial"]["input"]["response_model"] == "City"
    for task in tasks.values():
        [call] = [r for r in rows if r["span_parents"] == [task["span_id"]]]
        assert call["span_attributes"]["name"] == "Chat Completion"
        assert call["metadata"]["stream"] is True
