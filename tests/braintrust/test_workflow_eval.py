"""Workflow evaluations (braintrust.workflow_eval): runs that wait for provider
operations between calls, on the embedded store and on the fake service."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import braintrust
from braintrust import (
    WorkflowBatchingOptions,
    WorkflowBatchItemResult,
    WorkflowBatchScorer,
    WorkflowBatchTask,
    WorkflowEvalCompletedResult,
    WorkflowEvalMemoryStore,
    WorkflowEvalPending,
    WorkflowEvalRedisStore,
    WorkflowEvalWaitingResult,
    WorkflowScorer,
    WorkflowScorerResult,
    WorkflowSubmissionCompletionPoll,
    WorkflowSubmissionCompletionWebhook,
    WorkflowSubmissionPoll,
    WorkflowTask,
    WorkflowTaskResult,
    define_workflow_eval,
)
from braintrust._experiment import rows_of
from tests.fake_braintrust import FakeBraintrust
from tests.twin import both, spans

CASES = [{"id": "a", "input": 1, "expected": 2, "metadata": {"k": "a"}},
         {"id": "b", "input": 2, "expected": 5, "tags": ["t"]}]


class Provider:
    """A pretend batch API: jobs finish when ``finish()`` is called."""

    def __init__(self) -> None:
        self.jobs: dict[str, Any] = {}
        self.done = False
        self.submits = 0

    def submit(self, item: Any, ctx: Any) -> dict[str, Any]:
        self.submits += 1
        self.jobs[ctx.submission_id] = item.input * 2
        return {"job": ctx.submission_id}

    def poll(self, data: Any, ctx: Any) -> WorkflowSubmissionPoll:
        return WorkflowSubmissionPoll(status="complete" if self.done else "pending")

    def collect(self, data: Any, ctx: Any) -> WorkflowTaskResult[Any]:
        return WorkflowTaskResult(output=self.jobs[data["job"]], metadata={"provider": "p"})


def judge_submit(items: Any, ctx: Any) -> dict[str, Any]:
    return {"items": [[i.custom_id, i.output, i.expected] for i in items]}


async def judge_collect(data: Any, ctx: Any) -> Any:
    for custom_id, output, expected in data["items"]:
        yield WorkflowBatchItemResult(custom_id=custom_id, result=WorkflowScorerResult(
            score=1.0 if output == expected else 0.0))


def exact(output: Any, expected: Any) -> bool:
    return bool(output == expected)


def _definition(provider: Provider, store: Any, project: str, **extra: Any) -> Any:
    return define_workflow_eval(
        project, store=store, data=CASES,
        task=WorkflowTask(submit=provider.submit,
                          completion=WorkflowSubmissionCompletionPoll(poll=provider.poll),
                          collect=provider.collect),
        scores=[exact, WorkflowBatchScorer(
            name="judge", batching=WorkflowBatchingOptions(max_size=10), submit=judge_submit,
            completion=WorkflowSubmissionCompletionPoll(poll=lambda d, c: {"status": "complete"}),
            collect=judge_collect)],
        **extra)


def _rows(experiment_id: str | None) -> dict[tuple[str, Any], dict[str, Any]]:
    assert experiment_id is not None
    braintrust.flush()
    rows = rows_of(experiment_id)
    by_key = {}
    for row in rows:
        by_key[(row["span_attributes"]["name"], row["input"] if row["span_attributes"]["name"]
                in ("eval", "task") else row["input"]["id"])] = row
    assert len(by_key) == len(rows), "one row per span"
    return by_key


def test_poll_run_waits_then_logs_the_same_trees_as_an_eval(where: FakeBraintrust | None) -> None:
    provider, store = Provider(), WorkflowEvalMemoryStore()
    ev = _definition(provider, store, "wf-poll")

    async def scenario() -> list[Any]:
        states = [await ev.start()]
        run_id = states[0].run_id
        states.append(await ev.poll(run_id))
        provider.done = True
        # A second definition over the same store stands for another process.
        other = _definition(provider, store, "wf-poll")
        states.append(await other.poll(run_id))  # tasks collected, judge batch submitted
        states.append(await other.poll(run_id))  # judge collected: done
        states.append(await ev.status(run_id))
        states.append(await ev.poll(run_id))  # moving a finished run changes nothing
        return states

    states = asyncio.run(scenario())
    assert [type(s) for s in states[:3]] == [WorkflowEvalWaitingResult] * 3
    assert states[0].pending == WorkflowEvalPending(poll=2, webhook=0)
    assert states[2].pending == WorkflowEvalPending(poll=1, webhook=0)  # the judge's batch
    done = states[3]
    assert isinstance(done, WorkflowEvalCompletedResult) and done.status == "completed"
    assert provider.submits == 2
    assert {k: v.score for k, v in done.summary.scores.items()} == {"exact": 0.5, "judge": 0.5}
    assert states[4].summary.scores["judge"].score == 0.5
    assert states[4].summary.experiment_id == done.summary.experiment_id
    assert done.summary.experiment_name == f"wf-poll-{done.run_id}"

    rows = _rows(done.summary.experiment_id)
    assert set(rows) == {("eval", 1), ("eval", 2), ("task", 1), ("task", 2), ("exact", "a"),
                         ("exact", "b"), ("judge", "a"), ("judge", "b")}
    root = rows[("eval", 1)]
    assert root["span_attributes"] == {"name": "eval", "type": "eval"}
    assert not root.get("span_parents")
    assert root["expected"] == 2 and root["output"] == 2
    assert root["scores"] == {"exact": 1.0, "judge": 1.0}
    assert root["metadata"] == {"k": "a", "provider": "p", "workflow_eval": {
        "run_id": done.run_id, "case_id": "a", "trial_index": 0}}
    assert rows[("eval", 2)]["tags"] == ["t"]
    task = rows[("task", 1)]
    assert task["span_attributes"] == {"name": "task", "type": "task"}
    assert task["span_parents"] == [root["span_id"]] and task["output"] == 2
    assert task["root_span_id"] == root["root_span_id"]
    judge = rows[("judge", "b")]
    assert judge["span_attributes"] == {"name": "judge", "type": "score", "purpose": "scorer"}
    assert judge["scores"] == {"judge": 0.0} and judge["output"] == {"score": 0.0}
    assert judge["input"] == {"input": 2, "output": 4, "expected": 5, "id": "b", "tags": ["t"],
                              "metadata": {"provider": "p"}}
    assert rows[("exact", "a")]["scores"] == {"exact": 1.0}


def test_webhook_results_complete_a_run_found_by_external_id(
        where: FakeBraintrust | None) -> None:
    jobs: dict[str, int] = {}

    def submit(item: Any, ctx: Any) -> dict[str, Any]:
        jobs[f"ext-{item.id}"] = item.input + 1
        return {"external": f"ext-{item.id}"}

    def score_submit(item: Any, ctx: Any) -> dict[str, Any]:
        return {"external": f"score-{item.id}", "ok": item.output == item.expected}

    ev = define_workflow_eval(
        "wf-hook", store=WorkflowEvalMemoryStore(), data=CASES[:1],
        task=WorkflowTask(submit=submit, completion=WorkflowSubmissionCompletionWebhook(
            get_external_id=lambda data, ctx: data["external"]),
            collect=lambda data, ctx: {"output": jobs[data["external"]]}),
        scores=[WorkflowScorer(name="human", submit=score_submit,
                               completion=WorkflowSubmissionCompletionWebhook(
                                   get_external_id=lambda data, ctx: data["external"]),
                               collect=lambda data, ctx: WorkflowScorerResult(
                                   score={"name": "human", "score": 1.0 if data["ok"] else 0.2,
                                          "metadata": {"why": "looked"}}))])

    async def scenario() -> list[Any]:
        first = await ev.start()
        # The webhook handler knows only the provider's id.
        second = await ev.process_submission_result(external_id="ext-a:trial:0")
        third = await ev.process_submission_result(first.run_id,
                                                   external_id="score-a:trial:0")
        return [first, second, third]

    first, second, third = asyncio.run(scenario())
    assert first.pending == WorkflowEvalPending(poll=0, webhook=1)
    assert second.pending == WorkflowEvalPending(poll=0, webhook=1)  # the scorer's, now
    assert isinstance(third, WorkflowEvalCompletedResult)
    assert third.summary.scores["human"].score == 1.0
    rows = _rows(third.summary.experiment_id)
    assert rows[("human", "a")]["metadata"] == {"why": "looked"}
    assert rows[("eval", 1)]["output"] == 2

    with pytest.raises(ValueError, match="No submission matches"):
        asyncio.run(ev.process_submission_result(external_id="nothing"))
    with pytest.raises(ValueError, match="submission_id or external_id"):
        asyncio.run(ev.process_submission_result(first.run_id))


def test_plain_task_runs_once_with_its_spans_under_the_task_row(store: Any) -> None:
    @braintrust.traced
    def helper(x: int) -> int:
        return x * 10

    def task(value: int, hooks: Any) -> int:
        hooks.metadata["seen"] = True
        braintrust.current_span().log(metadata={"inside": 1})
        return helper(value)

    hook_jobs: list[str] = []

    def later(item: Any, ctx: Any) -> dict[str, Any]:
        hook_jobs.append(item.id)
        return {"x": 1}

    ev = define_workflow_eval(
        "wf-plain", store=WorkflowEvalMemoryStore(), data=CASES[:1], task=task,
        scores=[WorkflowScorer(name="later", submit=later,
                               completion=WorkflowSubmissionCompletionPoll(
                                   poll=lambda d, c: WorkflowSubmissionPoll("complete")),
                               collect=lambda d, c: WorkflowScorerResult(0.5))])
    first = asyncio.run(ev.start())
    assert isinstance(first, WorkflowEvalWaitingResult) and hook_jobs == ["a:trial:0"]
    done = asyncio.run(ev.poll(first.run_id))
    assert isinstance(done, WorkflowEvalCompletedResult)
    rows = rows_of(str(done.summary.experiment_id))
    by_name = {r["span_attributes"]["name"]: r for r in rows}
    assert set(by_name) == {"eval", "task", "helper", "later"}
    assert by_name["helper"]["span_parents"] == [by_name["task"]["span_id"]]
    assert by_name["helper"]["root_span_id"] == by_name["eval"]["root_span_id"]
    assert by_name["task"]["metadata"] == {"inside": 1}
    assert by_name["eval"]["metadata"]["seen"] is True
    assert by_name["eval"]["output"] == 10 and by_name["eval"]["scores"] == {"later": 0.5}


def test_a_run_with_only_plain_steps_is_an_ordinary_eval(store: Any) -> None:
    ev = define_workflow_eval("wf-direct", store=WorkflowEvalMemoryStore(), data=CASES,
                              task=lambda x: x * 2, scores=[exact], experiment_name="direct")
    done = asyncio.run(ev.start())
    assert isinstance(done, WorkflowEvalCompletedResult)
    assert done.summary.scores["exact"].score == 0.5
    assert done.summary.experiment_name == "direct"
    again = asyncio.run(ev.status(done.run_id))
    assert isinstance(again, WorkflowEvalCompletedResult)
    assert again.summary.scores["exact"].score == 0.5


def test_a_failed_submission_raises_and_is_retried_by_poll(store: Any) -> None:
    calls: list[int] = []

    def flaky(items: Any, ctx: Any) -> dict[str, Any]:
        calls.append(len(items))
        if len(calls) == 1:
            raise ConnectionError("provider down")
        return {"outputs": [[i.custom_id, i.input * 2] for i in items]}

    store = WorkflowEvalMemoryStore()
    ev = define_workflow_eval(
        "wf-retry", store=store, data=CASES,
        task=WorkflowBatchTask(batching=WorkflowBatchingOptions(max_size=5), submit=flaky,
                               completion=WorkflowSubmissionCompletionPoll(
                                   poll=lambda d, c: WorkflowSubmissionPoll("complete")),
                               collect=lambda d, c: [WorkflowBatchItemResult(
                                   cid, WorkflowTaskResult(out)) if out != 4 else
                                   WorkflowBatchItemResult(cid, error="too big")
                                   for cid, out in d["outputs"]]),
        scores=[exact])


    async def scenario() -> Any:
        with pytest.raises(ConnectionError, match="provider down"):
            await ev.start()
        # start() raised before returning the run id: the store has it.
        run_id = next(k for k in store._values if k.endswith("/run")).split("{")[1].split("}")[0]
        waiting = await ev.status(run_id)
        assert waiting.pending == WorkflowEvalPending(poll=1, webhook=0)
        await ev.poll(run_id)  # submits again
        return await ev.poll(run_id)  # collects

    done = asyncio.run(scenario())
    assert calls == [2, 2]
    assert isinstance(done, WorkflowEvalCompletedResult)
    assert done.summary.errors == 1
    rows = {(r["span_attributes"]["name"], r["input"] if not isinstance(r["input"], dict)
             else r["input"]["id"]): r for r in rows_of(str(done.summary.experiment_id))}
    assert rows[("eval", 2)]["error"] == "too big" and rows[("task", 2)]["error"] == "too big"
    assert ("exact", "b") not in rows and rows[("exact", "a")]["scores"] == {"exact": 1.0}


def test_no_send_logs_logs_nothing_and_summarizes_from_the_store(store: Any) -> None:
    provider = Provider()
    provider.done = True
    ev = _definition(provider, WorkflowEvalMemoryStore(), "wf-quiet")

    async def scenario() -> Any:
        first = await ev.start(no_send_logs=True)
        await ev.poll(first.run_id)
        return await ev.poll(first.run_id)

    done = asyncio.run(scenario())
    assert isinstance(done, WorkflowEvalCompletedResult)
    assert {k: v.score for k, v in done.summary.scores.items()} == {"exact": 0.5, "judge": 0.5}
    assert done.summary.experiment_id is None
    braintrust.flush()
    assert store.store.find_project(name="wf-quiet") is None


def test_definition_errors_name_the_argument() -> None:
    store = WorkflowEvalMemoryStore()
    with pytest.raises(ValueError, match="trial_count"):
        define_workflow_eval("p", store=store, data=[], task=lambda x: x, trial_count=0)
    with pytest.raises(ValueError, match="max_concurrency"):
        define_workflow_eval("p", store=store, data=[], task=lambda x: x, max_concurrency=0)
    with pytest.raises(TypeError, match="store"):
        define_workflow_eval("p", store=object(), data=[], task=lambda x: x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_size"):
        WorkflowBatchingOptions(max_size=0)
    with pytest.raises(ValueError, match="name"):
        WorkflowScorer(name="", submit=print, completion=WorkflowSubmissionCompletionPoll(
            poll=print), collect=print)
    with pytest.raises(ValueError, match="ttl_ms"):
        WorkflowEvalRedisStore(object(), ttl_ms=0)


def test_cases_need_unique_ids(store: Any) -> None:
    ev = define_workflow_eval("wf-ids", store=WorkflowEvalMemoryStore(),
                              data=[{"input": 1}, {"input": 2}], task=WorkflowTask(
                                  submit=print, collect=print,
                                  completion=WorkflowSubmissionCompletionPoll(poll=print)))
    with pytest.raises(ValueError, match="non-empty id"):
        asyncio.run(ev.start())
    named = define_workflow_eval("wf-ids", store=WorkflowEvalMemoryStore(),
                                 data=[{"input": 1}, {"input": 1}], case_id=lambda c: "same",
                                 task=WorkflowTask(submit=print, collect=print,
                                                   completion=WorkflowSubmissionCompletionPoll(
                                                       poll=print)))
    with pytest.raises(ValueError, match="duplicate 'same'"):
        asyncio.run(named.start())


# -- the stores ------------------------------------------------------------------------------

async def _store_contract(store: Any) -> None:
    assert await store.read("k") is None
    await store.write("k", b"v")
    assert await store.read("k") == b"v"
    first = await store.get_or_set("g", b"1")
    second = await store.get_or_set("g", b"2")
    assert (first.created, first.value, second.created, second.value) == (True, b"1", False, b"1")
    assert await store.reserve_batch(["{r}/a", "{r}/b"], b"s", "{r}/sub", b"rec", "{r}/lease",
                                     b"me", 60_000)
    assert not await store.reserve_batch(["{r}/b", "{r}/c"], b"s2", "{r}/sub2", b"r",
                                         "{r}/lease2", b"x", 60_000)
    assert await store.read("{r}/c") is None and await store.read("{r}/a") == b"s"
    assert not await store.acquire_lease("{r}/lease", b"other", 60_000)
    await store.release_lease("{r}/lease", b"other")  # not ours: stays
    assert not await store.acquire_lease("{r}/lease", b"other", 60_000)
    await store.release_lease("{r}/lease", b"me")
    assert await store.acquire_lease("{r}/lease", b"other", 50)
    await asyncio.sleep(0.2)
    assert await store.acquire_lease("{r}/lease", b"third", 60_000)  # the old one expired
    await store.add_to_set("s", "x")
    await store.add_to_set("s", "x")
    await store.add_to_set("s", "y")
    assert await store.get_set_size("s") == 2 and await store.get_set_size("none") == 0


def test_memory_store_contract() -> None:
    asyncio.run(_store_contract(WorkflowEvalMemoryStore()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_client(tmp_path: Path) -> Iterator[Any]:
    """A real redis-server (Debian's package) on 127.0.0.1, and a redis-py client."""
    redis = pytest.importorskip("redis")
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(server):
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


def test_redis_store_contract_on_a_real_server(redis_client: Any) -> None:
    asyncio.run(_store_contract(WorkflowEvalRedisStore(redis_client, key_prefix="t:")))
    assert redis_client.pttl("t:k") > 0  # every key expires


def test_a_run_moves_across_definitions_through_redis(redis_client: Any, store: Any) -> None:
    provider = Provider()

    async def scenario() -> Any:
        first = await _definition(provider, WorkflowEvalRedisStore(redis_client),
                                  "wf-redis").start()
        provider.done = True
        # A new client and definition: nothing is shared but the Redis server.
        import redis.asyncio

        client = redis.asyncio.Redis(
            host="127.0.0.1", port=redis_client.connection_pool.connection_kwargs["port"])
        try:
            later = _definition(provider, WorkflowEvalRedisStore(client), "wf-redis")
            await later.poll(first.run_id)
            return await later.poll(first.run_id)
        finally:
            await client.aclose()

    done = asyncio.run(scenario())
    assert isinstance(done, WorkflowEvalCompletedResult)
    assert {k: v.score for k, v in done.summary.scores.items()} == {"exact": 0.5, "judge": 0.5}


# -- the same rows as the official SDK -------------------------------------------------------

PROVIDER_SCRIPT = """
import asyncio, braintrust
from braintrust import *
jobs = {}
complete = WorkflowSubmissionCompletionPoll(poll=lambda d, c: WorkflowSubmissionPoll("complete"))
def submit(item, ctx):
    jobs[ctx.submission_id] = item.input * 2
    return {"job": ctx.submission_id}
def collect(data, ctx):
    return WorkflowTaskResult(output=jobs[data["job"]], metadata={"provider": "p"}, tags=["x"])
def bsubmit(items, ctx):
    return {"items": [[i.custom_id, i.output, i.expected] for i in items]}
def bcollect(data, ctx):
    return [WorkflowBatchItemResult(custom_id=c, result=WorkflowScorerResult(score={
        "name": "judge", "score": 1.0 if o == e else 0.0, "metadata": {"m": o}}))
        for c, o, e in data["items"]]
def exact(output, expected):
    return output == expected
def kind(output):
    return {"id": "even" if output % 2 == 0 else "odd", "label": "Even"}
ev = define_workflow_eval(
    "wf-twin", store=WorkflowEvalMemoryStore(),
    data=[{"id": "a", "input": 1, "expected": 2, "metadata": {"k": 1}},
          {"id": "b", "input": 2, "expected": 5, "tags": ["t"]}],
    task=WorkflowTask(submit=submit, completion=complete, collect=collect),
    scores=[exact, WorkflowBatchScorer(
        name="judge", batching=WorkflowBatchingOptions(max_size=10), submit=bsubmit,
        completion=WorkflowSubmissionCompletionPoll(poll=lambda d, c: {"status": "complete"}),
        collect=bcollect)],
    classifiers=[kind])
async def main():
    r = await ev.start()
    for _ in range(4):
        if r.status == "completed":
            break
        r = await ev.poll(r.run_id)
    print(r.status, {k: v.score for k, v in r.summary.scores.items()})
asyncio.run(main())
braintrust.flush()
"""

PLAIN_TASK_SCRIPT = """
import asyncio, braintrust
from braintrust import *
complete = WorkflowSubmissionCompletionPoll(poll=lambda d, c: WorkflowSubmissionPoll("complete"))
@braintrust.traced
def helper(x):
    return x * 10
def task(value, hooks):
    hooks.metadata["seen"] = True
    return helper(value)
ev = define_workflow_eval(
    "wf-twin2", store=WorkflowEvalMemoryStore(),
    data=[{"id": "a", "input": 1, "expected": 10}],
    task=task,
    scores=[lambda output, expected: output == expected,
            WorkflowScorer(name="later", submit=lambda item, ctx: {"o": item.output},
                           completion=complete,
                           collect=lambda d, c: WorkflowScorerResult(score=0.5))])
async def main():
    r = await ev.start()
    for _ in range(4):
        if r.status == "completed":
            break
        r = await ev.poll(r.run_id)
    print(r.status, {k: v.score for k, v in r.summary.scores.items()})
asyncio.run(main())
braintrust.flush()
"""


@pytest.mark.parametrize("script", [PROVIDER_SCRIPT, PLAIN_TASK_SCRIPT],
                         ids=["provider-steps", "plain-task"])
def test_rows_match_the_official_sdk(script: str, tmp_path: Path) -> None:
    # The same workflow script under the official SDK 0.48.1 and here, each against
    # its own fake service: every span (by its path of names) has the same fields.
    official, ours = both(script, tmp_path)

    def shaped(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        for row in rows:
            meta = row.get("metadata") or {}
            if "workflow_eval" in meta:
                meta["workflow_eval"]["run_id"] = "<run>"  # a fresh uuid per run
        return spans(rows)

    assert shaped(ours) == shaped(official)
    assert set(shaped(ours)) >= {"eval", "eval/task"}


def test_batch_scorers_wait_for_a_full_batch_unless_max_wait_passed(store: Any) -> None:
    ready: set[str] = set()
    batches: dict[str, list[list[str]]] = {"patient": [], "eager": []}

    def task_submit(item: Any, ctx: Any) -> dict[str, Any]:
        return {"id": item.id, "value": item.input}

    def task_poll(data: Any, ctx: Any) -> WorkflowSubmissionPoll:
        return WorkflowSubmissionPoll("complete" if data["id"] in ready else "pending")

    def scorer(name: str, wait: float | None) -> WorkflowBatchScorer[Any, Any, Any, Any]:
        def submit(items: Any, ctx: Any) -> dict[str, Any]:
            batches[name].append([i.id for i in items])
            return {"ids": [i.custom_id for i in items]}

        return WorkflowBatchScorer(
            name=name, batching=WorkflowBatchingOptions(max_size=4, max_wait_ms=wait),
            submit=submit, completion=WorkflowSubmissionCompletionPoll(
                poll=lambda d, c: WorkflowSubmissionPoll("complete")),
            collect=lambda d, c: [WorkflowBatchItemResult(i, WorkflowScorerResult(1.0))
                                  for i in d["ids"]])

    ev = define_workflow_eval(
        "wf-batching", store=WorkflowEvalMemoryStore(), data=CASES, trial_count=2,
        task=WorkflowTask(submit=task_submit, completion=WorkflowSubmissionCompletionPoll(
            poll=task_poll), collect=lambda d, c: WorkflowTaskResult(d["value"])),
        scores=[scorer("patient", None), scorer("eager", 0)])

    async def scenario() -> Any:
        run = await ev.start()
        ready.update({"a:trial:0", "a:trial:1"})
        await ev.poll(run.run_id)
        assert batches == {"patient": [], "eager": [["a:trial:0", "a:trial:1"]]}
        ready.update({"b:trial:0", "b:trial:1"})
        await ev.poll(run.run_id)  # every task done: the partial batch goes too
        return await ev.poll(run.run_id)

    done = asyncio.run(scenario())
    assert batches["patient"] == [["a:trial:0", "a:trial:1", "b:trial:0", "b:trial:1"]]
    assert batches["eager"] == [["a:trial:0", "a:trial:1"], ["b:trial:0", "b:trial:1"]]
    assert isinstance(done, WorkflowEvalCompletedResult)
    trials = [r for r in rows_of(str(done.summary.experiment_id))
              if r["span_attributes"]["name"] == "eval"]
    assert sorted((r["metadata"]["workflow_eval"]["case_id"],
                   r["metadata"]["workflow_eval"]["trial_index"]) for r in trials) == [
        ("a", 0), ("a", 1), ("b", 0), ("b", 1)]


def test_unknown_runs_and_ambiguous_provider_ids_are_errors(store: Any) -> None:
    ev = define_workflow_eval(
        "wf-ambiguous", store=WorkflowEvalMemoryStore(), data=CASES[:1],
        task=WorkflowTask(submit=lambda item, ctx: {}, collect=lambda d, c: {"output": 1},
                          completion=WorkflowSubmissionCompletionWebhook(
                              get_external_id=lambda d, c: "same-provider-id")))

    async def scenario() -> tuple[Any, Any]:
        first, second = await ev.start(), await ev.start()
        with pytest.raises(ValueError, match="No submission matches"):
            await ev.process_submission_result(external_id="same-provider-id")
        # With the run named, the same provider id is found.
        return (await ev.process_submission_result(first.run_id,
                                                   external_id="same-provider-id"), second)

    done, second = asyncio.run(scenario())
    assert isinstance(done, WorkflowEvalCompletedResult)
    assert isinstance(asyncio.run(ev.status(second.run_id)), WorkflowEvalWaitingResult)
    with pytest.raises(ValueError, match="Unknown workflow evaluation run"):
        asyncio.run(ev.status("no-such-run"))


def test_dataset_records_are_cases_with_their_origin(store: Any) -> None:
    dataset = braintrust.init_dataset(project="wf-data", name="qs")
    rid = dataset.insert(input=3, expected=6, id="rec-1")
    dataset.flush()
    ev = define_workflow_eval(
        "wf-data", store=WorkflowEvalMemoryStore(), data=dataset,
        task=WorkflowTask(submit=lambda item, ctx: {"v": item.input * 2},
                          completion=WorkflowSubmissionCompletionPoll(
                              poll=lambda d, c: WorkflowSubmissionPoll("complete")),
                          collect=lambda d, c: WorkflowTaskResult(d["v"])),
        scores=[exact])

    async def scenario() -> Any:
        run = await ev.start()
        return await ev.poll(run.run_id)

    done = asyncio.run(scenario())
    assert isinstance(done, WorkflowEvalCompletedResult)
    root = next(r for r in rows_of(str(done.summary.experiment_id))
                if r["span_attributes"]["name"] == "eval")
    assert root["metadata"]["workflow_eval"]["case_id"] == rid
    assert root["scores"] == {"exact": 1.0}
    origin = root["origin"]
    assert (origin["object_type"], origin["object_id"], origin["id"]) == (
        "dataset", dataset.id, rid)
    assert origin["_xact_id"]
