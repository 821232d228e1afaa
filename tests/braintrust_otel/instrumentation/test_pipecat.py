"""Pipecat: a real pipeline (user aggregator, OpenAI LLM service, assistant aggregator)
with a function call, against the fake provider, in a virtualenv of its own
(Pipecat pulls in numpy, loguru, aiohttp and its own pins).

Pipecat's own OTel tracing (``PipelineWorker(enable_tracing=True)``) is off, as
it is by default: the rows come from our observer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FINAL_ANSWER, FakeLLM
from tests.framework_venv import framework_python, run_script

PACKAGES = ["pipecat-ai[openai]==1.14.0"]

SCRIPT = """
import asyncio, json, os
import braintrust

braintrust.init_logger(project="p")
turned_on = braintrust.auto_instrument()
from pipecat.adapters.schemas.function_schema import FunctionSchema
from pipecat.adapters.schemas.tools_schema import ToolsSchema
from pipecat.frames.frames import EndFrame, LLMRunFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.services.openai.llm import OpenAILLMService

llm = OpenAILLMService(api_key="sk-fake", base_url=os.environ["FAKE_OPENAI_URL"],
                       settings=OpenAILLMService.Settings(model="gpt-4o-mini"))

async def get_weather(params):
    with braintrust.start_span(name="weather lookup"):
        await params.result_callback({"forecast": "sunny"})

llm.register_function("get_weather", get_weather)
weather = FunctionSchema(name="get_weather", description="The weather in a city.",
                         properties={"city": {"type": "string"}}, required=["city"])
context = LLMContext(messages=[{"role": "user", "content": "Weather in Paris?"}],
                     tools=ToolsSchema(standard_tools=[weather]))
pair = LLMContextAggregatorPair(context)
pipeline = Pipeline([pair.user(), llm, pair.assistant()])

async def main():
    worker = PipelineWorker(pipeline, cancel_on_idle_timeout=False,
                            params=PipelineParams(enable_metrics=True, enable_usage_metrics=True))
    done = asyncio.Event()

    @pair.assistant().event_handler("on_assistant_turn_stopped")
    async def stopped(aggregator, message):
        if "sunny" in str(message).lower() or "Paris" in str(message):
            done.set()

    async def drive():
        await worker.queue_frame(LLMRunFrame())
        await asyncio.wait_for(done.wait(), 30)
        await worker.queue_frame(EndFrame())

    await asyncio.gather(PipelineRunner(handle_sigint=False).run(worker), drive())

with braintrust.start_span(name="request") as root:
    asyncio.run(main())
braintrust.flush()
print(json.dumps({"turned_on": {k: v for k, v in turned_on.items() if v}, "root": root.span_id}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("pipecat", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"Pipecat cannot be installed here: {exc}")


def _named(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return sorted((r for r in rows if r["span_attributes"]["name"] == name),
                  key=lambda r: r["metrics"]["start"])


def test_a_pipeline_with_a_function_call(python: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(python, SCRIPT, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
        assert len(llm.requests) == 2
    assert out["turned_on"] == {"openai": True, "pipecat": True}
    rows = stored_rows(tmp_path / "store.sqlite", "p")

    [pipeline] = _named(rows, "pipecat_pipeline")
    assert pipeline["span_attributes"]["type"] == "task"
    assert pipeline["span_parents"] == [out["root"]]  # what was current when it was built
    assert pipeline["metadata"]["framework"] == "pipecat"
    assert pipeline["metadata"]["terminal_frame"] == "EndFrame"
    assert pipeline["input"]["audio_in_sample_rate"] == 16000

    first, second = _named(rows, "pipecat_llm_response")
    weather = {"type": "function", "function": {
        "name": "get_weather", "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}}
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    for row in (first, second):
        assert row["span_attributes"]["type"] == "task"
        assert row["span_parents"] == [pipeline["span_id"]]
        assert row["metadata"] == {"tools": [weather], "model": "gpt-4o-mini",
                                   "provider": "openai"}
        m = row["metrics"]
        assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (12, 3, 15)
        assert m["time_to_first_token"] >= 0
    assert first["input"] == [{"role": "user", "content": "Weather in Paris?"}]
    # One tool call, though Pipecat sends its function-call frames both ways.
    assert first["output"] == [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None, "tool_calls": [call]}}]
    assert second["input"][-1] == {"role": "tool", "content": '{"forecast": "sunny"}',
                                   "tool_call_id": "call_1"}
    assert second["output"] == [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": FINAL_ANSWER}}]

    [tool] = _named(rows, "get_weather")
    assert tool["span_attributes"]["type"] == "tool"
    assert tool["span_parents"] == [first["span_id"]]
    assert tool["input"] == {"city": "Paris"}
    assert tool["output"] == {"forecast": "sunny"}
    assert tool["metadata"] == {"tool_call_id": "call_1"}

    # The provider requests are the openai instrumentor's llm rows, one per call. Pipecat
    # makes them in its own tasks, so they nest under what was current then, not under
    # the observer's spans (the official SDK's rows are the same).
    chats = _named(rows, "Chat Completion")
    assert [r["span_attributes"]["type"] for r in chats] == ["llm", "llm"]
    assert [r["output"][0]["finish_reason"] for r in chats] == ["tool_calls", "stop"]
    assert all(r["span_parents"] == [out["root"]] for r in chats)


def test_wrap_pipeline_worker_observes_that_worker_class_once(python: Path,
                                                              tmp_path: Path) -> None:
    script = SCRIPT.replace("turned_on = braintrust.auto_instrument()",
                            "turned_on = braintrust.auto_instrument(pipecat=False)").replace(
        "llm = OpenAILLMService(",
        "import wrapt\n"
        "from braintrust.integrations.pipecat import wrap_pipeline_worker\n"
        "class TracedWorker(PipelineWorker):\n"
        "    pass\n"
        "assert wrap_pipeline_worker(wrap_pipeline_worker(TracedWorker)) is TracedWorker\n"
        "assert not isinstance(PipelineWorker.__dict__['__init__'], wrapt.FunctionWrapper)\n"
        "llm = OpenAILLMService(").replace("worker = PipelineWorker(", "worker = TracedWorker(")
    assert script.count("TracedWorker") == 4
    with FakeLLM() as llm:
        out = run_script(python, script, tmp_path / "store.sqlite",
                         {"FAKE_OPENAI_URL": llm.openai_url})
    assert out["turned_on"] == {"openai": True}
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    [pipeline] = _named(rows, "pipecat_pipeline")  # one observer, though wrapped twice
    assert pipeline["span_parents"] == [out["root"]]
    assert len(_named(rows, "pipecat_llm_response")) == 2
