"""The official per-object helpers trace what they are given and nothing else.

``wrap_mistral(client)`` traces that client; Agno's ``wrap_agent(Agent)`` and
friends trace that class (and its subclasses); Pydantic AI's ``wrap_agent``
traces that agent or agent class. Wrapping twice makes no second span. The
real libraries run against the fake provider on 127.0.0.1; classes are
patched on subclasses made here, so nothing leaks into other tests.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

import braintrust
from braintrust import _state
from tests.conftest import ROOT, StoreHelper, run_python, stored_rows
from tests.fake_llm import FakeLLM

USER: list[Any] = [{"role": "user", "content": "Say hi"}]


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    _state.tracer()
    with FakeLLM() as server:
        yield server


def _names(store: StoreHelper) -> list[str]:
    return sorted(r["span_attributes"]["name"] for r in store.rows()
                  if "span_attributes" in r)


def _layers(fn: Any) -> int:
    layers = 0
    while hasattr(fn, "_self_wrapper"):
        layers, fn = layers + 1, fn.__wrapped__
    return layers


# -- Mistral -----------------------------------------------------------------------------

def test_wrap_mistral_traces_only_the_wrapped_client(store: StoreHelper, llm: FakeLLM) -> None:
    pytest.importorskip("mistralai")
    from mistralai.client import Mistral

    from braintrust.integrations.mistral import wrap_mistral

    braintrust.init_logger(project="p")
    wrapped = Mistral(api_key="k", server_url=llm.mistral_url)
    plain = Mistral(api_key="k", server_url=llm.mistral_url)
    assert wrap_mistral(wrap_mistral(wrapped)) is wrapped
    assert _layers(wrapped.chat.complete) == 1
    wrapped.chat.complete(model="mistral-small-latest", messages=USER)
    plain.chat.complete(model="mistral-small-latest", messages=USER)
    plain.embeddings.create(model="mistral-embed", inputs=["a"])
    assert _names(store) == ["mistral.chat.complete"]
    # With every client traced too, the wrapped one still makes one span per call.
    from braintrust_otel.instrumentation.mistral import MistralInstrumentor

    MistralInstrumentor().instrument()
    try:
        wrapped.chat.complete(model="mistral-small-latest", messages=USER)
    finally:
        MistralInstrumentor().uninstrument()
    assert _names(store) == ["mistral.chat.complete"] * 2


# -- Cohere ------------------------------------------------------------------------------

# cohere's own stream parsing uses a pydantic attribute deprecated in 2.0.
@pytest.mark.filterwarnings("ignore:The `__fields__` attribute is deprecated")
def test_wrap_cohere_traces_only_the_wrapped_client(store: StoreHelper, llm: FakeLLM) -> None:
    pytest.importorskip("cohere")
    import asyncio

    import cohere

    from braintrust.integrations.cohere import wrap_cohere

    braintrust.init_logger(project="p")
    wrapped = cohere.ClientV2(api_key="k", base_url=llm.cohere_url)
    assert wrap_cohere(wrap_cohere(wrapped)) is wrapped
    wrapped.chat(model="command-a-03-2025", messages=USER)
    assert [e.type for e in wrapped.chat_stream(model="command-a-03-2025",
                                                messages=USER)][-1] == "message-end"
    cohere.ClientV2(api_key="k", base_url=llm.cohere_url).chat(model="command-a-03-2025",
                                                               messages=USER)

    async def run_async() -> None:
        aclient = wrap_cohere(cohere.AsyncClientV2(api_key="k", base_url=llm.cohere_url))
        await aclient.embed(model="embed-v4.0", texts=["a"], input_type="search_document",
                            embedding_types=["float"])
        async for _ in aclient.chat_stream(model="command-a-03-2025", messages=USER):
            pass

    asyncio.run(run_async())
    assert _names(store) == ["cohere.chat", "cohere.chat_stream", "cohere.chat_stream",
                             "cohere.embed"]


# -- Agno --------------------------------------------------------------------------------

@pytest.fixture
def agno_llm(llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    pytest.importorskip("agno")
    pytest.importorskip("openinference.instrumentation.agno")
    monkeypatch.setenv("AGNO_TELEMETRY", "false")  # Agno would report runs to its service
    return llm


def test_agno_wrap_agent_traces_only_that_class(store: StoreHelper, agno_llm: FakeLLM) -> None:
    from agno.agent import Agent
    from agno.models.openai import OpenAIChat

    from braintrust.integrations.agno import wrap_agent

    class TracedAgent(Agent):
        pass

    class PlainAgent(Agent):
        pass

    assert wrap_agent(wrap_agent(TracedAgent)) is TracedAgent
    braintrust.init_logger(project="p")
    for cls, name in ((TracedAgent, "traced"), (PlainAgent, "plain"), (Agent, "base")):
        model = OpenAIChat(id="gpt-4o-mini", base_url=agno_llm.openai_url, api_key="sk-fake")
        cls(name=name, model=model, telemetry=False).run("Hi")
    assert len(agno_llm.requests) == 3
    [row] = store.rows()
    assert row["span_attributes"]["name"] == "traced.run"
    assert row["span_attributes"]["type"] == "task"
    assert row["input"] == "Hi"


def test_agno_wrap_model_traces_only_that_model_class(store: StoreHelper,
                                                      agno_llm: FakeLLM) -> None:
    from agno.agent import Agent
    from agno.models.openai import OpenAIChat

    from braintrust.integrations.agno import wrap_model

    class TracedChat(OpenAIChat):
        pass

    assert wrap_model(wrap_model(TracedChat)) is TracedChat
    braintrust.init_logger(project="p")

    def run(cls: type) -> None:
        model = cls(id="gpt-4o-mini", base_url=agno_llm.openai_url, api_key="sk-fake")
        Agent(name="a", model=model, telemetry=False).run("Hi")

    run(OpenAIChat)
    braintrust.flush()
    assert not store.store.find_project(name="p")  # nothing logged: no project made
    run(TracedChat)
    [row] = store.rows()
    assert row["span_attributes"]["type"] == "llm"
    assert row["span_attributes"]["name"].endswith(".invoke")
    assert row["metadata"]["model"] == "gpt-4o-mini"


def test_agno_wrap_function_call_traces_tools_only(tmp_path: Any, agno_llm: FakeLLM) -> None:
    # FunctionCall is the one class Agno makes tool calls with: patched in a process of its own.
    proc = run_python(textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(ROOT)!r})
        import braintrust
        from agno.agent import Agent
        from agno.models.openai import OpenAIChat
        from agno.tools.function import FunctionCall
        from braintrust.integrations.agno import wrap_function_call
        assert wrap_function_call(wrap_function_call(FunctionCall)) is FunctionCall
        braintrust.init_logger(project="p")

        def get_weather(city: str) -> str:
            \"\"\"The weather in a city.\"\"\"
            return f"sunny in {{city}}"

        model = OpenAIChat(id="gpt-4o-mini", base_url={agno_llm.openai_url!r}, api_key="k")
        print(json.dumps(Agent(name="a", model=model, tools=[get_weather],
                               telemetry=False).run("Weather in Paris?").content))
        braintrust.flush()
    """), tmp_path, env={"AGNO_TELEMETRY": "false"})
    assert proc.returncode == 0, proc.stderr
    [row] = stored_rows(tmp_path / "sub.sqlite", "p")
    assert row["span_attributes"]["type"] == "tool"
    assert (row["input"], row["output"]) == ({"city": "Paris"}, "sunny in Paris")


# -- Pydantic AI -------------------------------------------------------------------------

def _pydantic_model(llm: FakeLLM) -> Any:
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    return OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=llm.openai_url,
                                                                  api_key="sk-fake"))


def test_pydantic_ai_wrap_agent_traces_only_that_agent_or_class(store: StoreHelper,
                                                                llm: FakeLLM) -> None:
    pytest.importorskip("pydantic_ai")
    from pydantic_ai import Agent

    from braintrust.integrations.pydantic_ai import wrap_agent

    class TracedAgent(Agent[None, str]):
        pass

    assert wrap_agent(wrap_agent(TracedAgent)) is TracedAgent
    one = Agent(_pydantic_model(llm), name="one")
    assert wrap_agent(wrap_agent(one)) is one
    braintrust.init_logger(project="p")
    for agent in (one, Agent(_pydantic_model(llm), name="other"),
                  TracedAgent(_pydantic_model(llm), name="sub")):
        agent.run_sync("Hi")
    tasks = sorted(r["span_attributes"]["name"] for r in store.rows()
                   if r["span_attributes"].get("type") == "task")
    assert tasks == ["invoke_agent one", "invoke_agent sub"]
    assert len([r for r in store.rows() if r["span_attributes"].get("type") == "llm"]) == 2


def test_pydantic_ai_wrap_model_request_traces_the_returned_function(
        store: StoreHelper, llm: FakeLLM) -> None:
    pytest.importorskip("pydantic_ai")
    from pydantic_ai.direct import model_request_sync
    from pydantic_ai.messages import ModelRequest

    from braintrust.integrations.pydantic_ai import wrap_model_request_sync

    traced = wrap_model_request_sync(model_request_sync)
    assert traced is not model_request_sync and wrap_model_request_sync(traced) is traced
    braintrust.init_logger(project="p")
    messages = [ModelRequest.user_text_prompt("Hi")]
    traced(_pydantic_model(llm), messages)
    model_request_sync(_pydantic_model(llm), messages)
    [row] = store.rows()
    assert row["span_attributes"]["type"] == "llm"
    assert row["output"]


# -- Agno evals --------------------------------------------------------------------------

def test_agno_eval_wrappers_log_eval_rows_with_scores(store: StoreHelper,
                                                      agno_llm: FakeLLM) -> None:
    from agno.agent import Agent
    from agno.eval.accuracy import AccuracyEval
    from agno.eval.agent_as_judge import AgentAsJudgeEval
    from agno.eval.performance import PerformanceEval
    from agno.eval.reliability import ReliabilityEval
    from agno.models.openai import OpenAIChat

    from braintrust.integrations import agno

    class Accuracy(AccuracyEval):
        pass

    class Judge(AgentAsJudgeEval):
        pass

    class Reliability(ReliabilityEval):
        pass

    class Performance(PerformanceEval):
        pass

    class Traced(Agent):
        pass

    for wrap, cls in ((agno.wrap_accuracy_eval, Accuracy),
                      (agno.wrap_agent_as_judge_eval, Judge),
                      (agno.wrap_reliability_eval, Reliability),
                      (agno.wrap_performance_eval, Performance), (agno.wrap_agent, Traced)):
        assert wrap(wrap(cls)) is cls

    def model() -> OpenAIChat:
        return OpenAIChat(id="gpt-4o-mini", base_url=agno_llm.openai_url, api_key="sk-fake")

    def weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    braintrust.init_logger(project="p")
    quiet: Any = {"print_results": False, "print_summary": False}
    # The plain class is not traced.
    AccuracyEval(agent=Agent(model=model(), telemetry=False), input="Say hi",
                 expected_output="Hello", model=model(), telemetry=False).run(**quiet)
    braintrust.flush()
    assert not store.store.find_project(name="p")

    Accuracy(name="greeting", agent=Agent(model=model(), telemetry=False), input="Say hi",
             expected_output="Hello", model=model(), telemetry=False).run(**quiet)
    Judge(criteria="Is it polite?", model=model(), telemetry=False).run(
        input="Say hi", output="Hello there", **quiet)
    answer = Agent(model=model(), tools=[weather], telemetry=False).run("Weather in Paris?")
    Reliability(agent_response=answer, expected_tool_calls=["weather"],
                telemetry=False).run(print_results=False)
    Performance(func=lambda: Traced(name="timed", model=model(), telemetry=False).run("Hi"),
                num_iterations=2, warmup_runs=0, telemetry=False).run(**quiet)

    rows = store.rows()
    by_id = {r["span_id"]: r for r in rows}
    evals = {r["span_attributes"]["name"]: r for r in rows
             if r["span_attributes"]["type"] == "eval"}
    assert set(evals) == {"greeting", "AgentAsJudgeEval", "ReliabilityEval", "PerformanceEval"}

    accuracy = evals["greeting"]
    assert (accuracy["input"], accuracy["expected"]) == ("Say hi", "Hello")
    assert accuracy["output"] == "Hello from fake server!"
    assert accuracy["scores"] == {"accuracy": 0.8}
    assert accuracy["metadata"]["eval_type"] == "accuracy"
    [judgement] = [r for r in rows if r["span_attributes"]["type"] == "score"
                   and by_id.get((r["span_parents"] or [""])[0]) is accuracy]
    assert judgement["span_attributes"] == {"name": "accuracy", "type": "score",
                                            "purpose": "scorer"}
    assert judgement["scores"] == {"accuracy": 0.8}

    judge = evals["AgentAsJudgeEval"]
    assert judge["input"] == "Say hi" and judge["scores"] == {"judge": 1.0}
    assert judge["output"]["passed"] is True

    reliability = evals["ReliabilityEval"]
    assert reliability["input"]["expected_tool_calls"] == ["weather"]
    assert reliability["scores"] == {"reliability": 1.0}
    assert reliability["output"]["eval_status"] == "PASSED"

    performance = evals["PerformanceEval"]
    assert performance["metrics"]["avg_run_time"] > 0
    # The measured runs' own spans are suppressed: no "timed.run" rows.
    assert not [r for r in rows if r["span_attributes"]["name"] == "timed.run"]


def test_agno_eval_suite_run_is_an_experiment_of_case_rows(tmp_path: Any,
                                                           agno_llm: FakeLLM) -> None:
    # wrap_eval_suite patches Agno's one suite module: in a process of its own.
    proc = run_python(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import braintrust
        import agno.eval.suite as suite
        from agno.agent import Agent
        from agno.models.openai import OpenAIChat
        from agno.eval.agent_as_judge import AgentAsJudgeEval
        from braintrust.integrations.agno import wrap_agent_as_judge_eval, wrap_eval_suite
        assert wrap_eval_suite(wrap_eval_suite(suite)) is suite
        wrap_agent_as_judge_eval(AgentAsJudgeEval)
        braintrust.init_logger(project="p")

        def model():
            return OpenAIChat(id="gpt-4o-mini", base_url={agno_llm.openai_url!r}, api_key="k")

        case = suite.Case(name="greets", input="Say hi", tags=("smoke",),
                          agent=Agent(name="greeter", model=model(), telemetry=False),
                          criteria="Is it polite?", judge_model=model())
        suite.run_cases([case])
        braintrust.flush()
    """), tmp_path, env={"AGNO_TELEMETRY": "false"})
    assert proc.returncode == 0, proc.stderr
    from braintrust_otel.store import Store

    store = Store(tmp_path / "sub.sqlite")
    project = store.find_project(name="p")
    assert project is not None
    [experiment] = store.experiments(project["id"])
    assert experiment["metadata"]["eval_type"] == "suite"
    rows = [r.data for r in store.rows("experiment", experiment["id"])]
    [case] = [r for r in rows if r["span_attributes"]["type"] == "eval"]
    assert case["span_attributes"]["name"] == "greets" and not case["span_parents"]
    assert (case["input"], case["tags"]) == ("Say hi", ["smoke"])
    assert case["output"] == "Hello streamed world"  # the suite streams the run
    assert case["scores"] == {"judge": 1.0}
    # The (wrapped) judge the case ran is its scorer row, not an eval row of its own.
    [judge] = [r for r in rows if r["span_attributes"]["name"] == "judge"]
    assert judge["span_attributes"]["type"] == "score"
    assert judge["span_parents"] == [case["span_id"]]
    assert not list(store.rows("project_logs", project["id"]))


# -- Hugging Face Hub and Bedrock --------------------------------------------------------

def test_wrap_huggingface_hub_traces_only_the_wrapped_client(store: StoreHelper,
                                                             llm: FakeLLM) -> None:
    pytest.importorskip("huggingface_hub")
    from huggingface_hub import InferenceClient

    from braintrust.integrations.huggingface_hub import wrap_huggingface_hub
    from braintrust_otel.instrumentation.huggingface_hub import HuggingFaceHubInstrumentor

    braintrust.init_logger(project="p")
    wrapped = InferenceClient(base_url=llm.hf_url + "/v1", api_key="k")
    assert wrap_huggingface_hub(wrap_huggingface_hub(wrapped)) is wrapped
    wrapped.chat_completion(USER, model="tgi")
    InferenceClient(base_url=llm.hf_url + "/v1", api_key="k").chat_completion(USER, model="tgi")
    HuggingFaceHubInstrumentor().instrument()  # every client traced: still one span each
    try:
        late = wrap_huggingface_hub(InferenceClient(base_url=llm.hf_url + "/v1", api_key="k"))
        late.chat_completion(USER, model="tgi")
    finally:
        HuggingFaceHubInstrumentor().uninstrument()
    assert len(store.rows()) == 2
    assert {r["span_attributes"]["type"] for r in store.rows()} == {"llm"}


def test_wrap_bedrock_traces_only_the_wrapped_client(store: StoreHelper, llm: FakeLLM) -> None:
    boto3 = pytest.importorskip("boto3")

    from braintrust.integrations.bedrock_runtime import wrap_bedrock

    def client() -> Any:
        return boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=llm.base,
                            aws_access_key_id="AKIAFAKE", aws_secret_access_key="fake")

    braintrust.init_logger(project="p")
    messages = [{"role": "user", "content": [{"text": "Say hi"}]}]
    model = "anthropic.claude-3-haiku-20240307-v1:0"
    wrapped = client()
    assert wrap_bedrock(wrap_bedrock(wrapped)) is wrapped
    wrapped.converse(modelId=model, messages=messages)
    client().converse(modelId=model, messages=messages)
    assert _names(store) == ["bedrock.converse"]


def test_wrap_google_discoveryengine_traces_only_the_wrapped_client(store: StoreHelper,
                                                                    llm: FakeLLM) -> None:
    pytest.importorskip("google.cloud.discoveryengine_v1")
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import discoveryengine_v1

    from braintrust.integrations.google_discoveryengine import wrap_google_discoveryengine

    def client() -> Any:
        return discoveryengine_v1.RankServiceClient(
            credentials=AnonymousCredentials(), transport="rest",  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=llm.base))

    braintrust.init_logger(project="p")
    request = {"ranking_config": "projects/p/locations/global/rankingConfigs/default",
               "query": "capital", "records": [{"id": "1", "content": "Paris"}]}
    wrapped = client()
    assert wrap_google_discoveryengine(wrap_google_discoveryengine(wrapped)) is wrapped
    wrapped.rank(request=request)
    client().rank(request=request)
    assert _names(store) == ["google_discoveryengine.rank"]


def test_pydantic_ai_wrap_agent_of_something_else_is_reported_not_raised() -> None:
    pytest.importorskip("pydantic_ai")
    from braintrust.integrations.pydantic_ai import wrap_agent
    from braintrust_otel import diagnostics

    class Slotted:
        __slots__ = ()

    diagnostics.reset()
    thing = Slotted()
    assert wrap_agent(thing) is thing
    assert diagnostics.counts().get("instrumentation") == 1


def test_agno_judge_as_post_hook_scores_the_run_it_judges(store: StoreHelper,
                                                         agno_llm: FakeLLM) -> None:
    from agno.agent import Agent
    from agno.eval.agent_as_judge import AgentAsJudgeEval
    from agno.models.openai import OpenAIChat

    from braintrust.integrations.agno import wrap_agent, wrap_agent_as_judge_eval

    class Judge(AgentAsJudgeEval):
        pass

    class Judged(Agent):
        pass

    wrap_agent_as_judge_eval(Judge)
    wrap_agent(Judged)

    def model() -> OpenAIChat:
        return OpenAIChat(id="gpt-4o-mini", base_url=agno_llm.openai_url, api_key="sk-fake")

    braintrust.init_logger(project="p")
    judge = Judge(criteria="Is it polite?", model=model(), telemetry=False)
    Judged(name="greeter", model=model(), telemetry=False, post_hooks=[judge]).run("Hi")
    rows = {r["span_attributes"]["name"]: r for r in store.rows()}
    run, verdict = rows["greeter.run"], rows["AgentAsJudgeEval"]
    assert verdict["span_parents"] == [run["span_id"]]
    assert verdict["scores"] == run["scores"] == {"judge": 1.0}
