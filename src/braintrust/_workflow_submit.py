"""Workflow evals: submissions of provider-run steps (batching, leases,
retries, webhook external ids) and collecting their results."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import AsyncIterable, Mapping
from typing import Any, Optional

from ._span import safe_str
from ._workflow_run import _RunState
from ._workflow_types import (
    WorkflowBatchItem,
    WorkflowBatchItemResult,
    WorkflowBatchScorer,
    WorkflowBatchTask,
    WorkflowScorerResult,
    WorkflowSubmissionCompletionWebhook,
    WorkflowSubmissionContext,
    WorkflowTaskResult,
)
from ._workflow_util import (
    LEASE_TTL_MS,
    _as,
    _decode,
    _digest,
    _encode,
    _json_value,
    _Processor,
    _raise_all,
    _scores_of,
)


class _Submissions(_RunState):
    """Submits the stages' items to their providers and collects what finished."""

    async def schedule(self, run: Mapping[str, Any], stage: str, proc: _Processor) -> None:
        """Submits the stage's items that are ready and not yet submitted."""
        run_id = run["run_id"]
        is_task = stage == "task"
        batching = getattr(proc, "batching", None)
        size = batching.max_size if batching is not None else 1

        async def candidates() -> list[str]:
            ready = []
            for item_id in run["case_ids"]:
                if await self.store.read(self.link_key(run_id, stage, item_id)) is not None:
                    continue
                task = await self.task_result(run_id, item_id)
                if is_task:
                    if task is None:
                        ready.append(item_id)
                elif task is not None and task.get("error") is None and \
                        await self.store.read(self.result_key(run_id, stage, item_id)) is None:
                    ready.append(item_id)
            return ready

        for _ in range(len(run["case_ids"]) + 1):  # retried only when another process raced us
            ready = await candidates()
            if not ready:
                return
            partial = is_task or batching is None
            if not partial:
                finished = [await self.task_result(run_id, i) is not None for i in run["case_ids"]]
                partial = all(finished)
                rest = ready[len(ready) // size * size:]
                if not partial and rest and batching is not None and \
                        batching.max_wait_ms is not None:
                    first = await self.store.get_or_set(
                        self.key(run_id, "wait", stage, rest[0]), str(time.time()).encode())
                    partial = time.time() - float(first.value.decode()) >= \
                        batching.max_wait_ms / 1000
            batches = [ready[i:i + size] for i in range(0, len(ready), size)]
            if batches and len(batches[-1]) < size and not partial:
                batches.pop()
            if not batches:
                return
            outcomes = await asyncio.gather(*(self.submit_new(run, stage, proc, b)
                                              for b in batches), return_exceptions=True)
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            if errors:
                _raise_all(errors)
            if all(o is True for o in outcomes):
                return

    async def submit_new(self, run: Mapping[str, Any], stage: str, proc: _Processor,
                         item_ids: list[str]) -> bool:
        run_id = run["run_id"]
        sid = "submission-" + _digest(run_id, stage, *item_ids)[:32]
        record: dict[str, Any] = {"id": sid, "stage": stage, "item_ids": item_ids,
                  "batch": isinstance(proc, (WorkflowBatchTask, WorkflowBatchScorer)),
                  "mode": proc.completion.mode, "status": "failed", "attempts": 0,
                  "submission_data": None, "external_id": None}
        lease_key, lease = self.key(run_id, "lease", sid), uuid.uuid4().hex.encode()
        # One atomic step links the items, stores the record (as failed, so a crash
        # mid-submit is retried once the lease expires) and takes the lease.
        if not await self.store.reserve_batch(
                [self.link_key(run_id, stage, i) for i in item_ids], _encode(sid),
                self.submission_key(run_id, sid), _encode(record), lease_key, lease,
                LEASE_TTL_MS):
            return False
        await self.store.add_to_set(self.key(run_id, "progress", record["mode"], "out"), sid)
        try:
            await self.submit(run, record, proc)
        finally:
            await self.store.release_lease(lease_key, lease)
        return True

    async def submit(self, run: Mapping[str, Any], record: dict[str, Any],
                     proc: _Processor) -> None:
        run_id = run["run_id"]
        kind = "task" if record["stage"] == "task" else "score"
        items = [await self.item(run, kind, i) for i in record["item_ids"]]
        arg: Any = ([WorkflowBatchItem(f"item-{n}", it) for n, it in enumerate(items)]
                    if record["batch"] else items[0])
        context = WorkflowSubmissionContext(run_id, record["id"])
        try:
            data = _json_value(await self.call(proc.submit, arg, context))
        except Exception:
            record.update(status="failed", attempts=record.get("attempts", 0) + 1)
            await self.write(self.submission_key(run_id, record["id"]), record)
            raise
        webhook = isinstance(proc.completion, WorkflowSubmissionCompletionWebhook)
        record.update(submission_data=data, external_id=None,
                      status="external_id_pending" if webhook else "submitted")
        await self.write(self.submission_key(run_id, record["id"]), record)
        if webhook:
            await self.name_external(run, record, proc)

    async def name_external(self, run: Mapping[str, Any], record: dict[str, Any],
                            proc: _Processor) -> None:
        completion = proc.completion
        assert isinstance(completion, WorkflowSubmissionCompletionWebhook)
        run_id = run["run_id"]
        context = WorkflowSubmissionContext(run_id, record["id"])
        external = await self.call(completion.get_external_id, record["submission_data"],
                                   context)
        if not isinstance(external, str) or not external.strip():
            raise ValueError("Submission webhook get_external_id must return a non-empty string")
        record.update(external_id=external, status="submitted")
        await self.write(self.submission_key(run_id, record["id"]), record)
        await self.write(self.key(run_id, "external", _digest(external)[:32]), record["id"])
        locator = {"run_id": run_id, "submission_id": record["id"]}
        entry = await self.store.get_or_set(self.external_key(external), _encode(locator))
        if not entry.created and _decode(entry.value) not in (None, locator):
            # The same provider id in two runs: only (run_id, external_id) finds it now.
            await self.write(self.external_key(external), None)

    async def records(self, run: Mapping[str, Any]) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for stage, _ in self.stages():
            for item_id in run["case_ids"]:
                sid = await self.read(self.link_key(run["run_id"], stage, item_id))
                if isinstance(sid, str) and sid not in seen:
                    record = await self.read(self.submission_key(run["run_id"], sid))
                    if isinstance(record, dict):
                        seen[sid] = record
        return list(seen.values())

    async def retry(self, run: Mapping[str, Any], record: dict[str, Any],
                    proc: _Processor) -> None:
        run_id = run["run_id"]
        lease_key, lease = self.key(run_id, "lease", record["id"]), uuid.uuid4().hex.encode()
        if not await self.store.acquire_lease(lease_key, lease, LEASE_TTL_MS):
            return  # being submitted right now, by us or another process
        try:
            current = await self.read(self.submission_key(run_id, record["id"]))
            if isinstance(current, dict) and current["status"] == "failed":
                await self.submit(run, current, proc)
        finally:
            await self.store.release_lease(lease_key, lease)

    async def collect(self, run: Mapping[str, Any], record: dict[str, Any],
                      proc: _Processor) -> None:
        run_id = run["run_id"]
        stage = record["stage"]
        if record["status"] != "complete":
            context = WorkflowSubmissionContext(run_id, record["id"])
            data = record["submission_data"]
            is_task = stage == "task"
            outcomes: dict[str, tuple[Any, Optional[str]]] = {}
            if record["batch"]:
                async with self.sem:
                    got: Any = proc.collect(data, context)
                    if inspect.isawaitable(got):
                        got = await got
                    entries = ([e async for e in got] if isinstance(got, AsyncIterable)
                               else list(got))
                expected = {f"item-{n}": i for n, i in enumerate(record["item_ids"])}
                for entry in entries:
                    entry = _as(WorkflowBatchItemResult, entry, "Batch collect")
                    if entry.custom_id not in expected:
                        raise ValueError(f"Batch collect returned unknown custom_id "
                                         f"{entry.custom_id!r}")
                    if expected[entry.custom_id] in outcomes:
                        raise ValueError(f"Batch collect returned custom_id "
                                         f"{entry.custom_id!r} more than once")
                    error = None if entry.error is None else safe_str(entry.error)
                    outcomes[expected[entry.custom_id]] = (entry.result, error)
                for custom_id, item_id in expected.items():
                    outcomes.setdefault(item_id, (None, f"Batch submission {record['id']} "
                                                        f"returned no result for {custom_id}"))
            else:
                outcomes[record["item_ids"][0]] = (await self.call(proc.collect, data, context),
                                                   None)
            for item_id, (result, error) in outcomes.items():
                if is_task:
                    await self.write(self.key(run_id, "task", item_id),
                                     await self.task_value(run_id, item_id, result, error))
                else:
                    name = stage.split(":", 1)[1]
                    if error is None:
                        scored = _as(WorkflowScorerResult, result, "Scorer collect")
                        value: dict[str, Any] = {"scores": _json_value(_scores_of(name,
                                                                                  scored.score))}
                    else:
                        value = {"error": error}
                    await self.write(self.result_key(run_id, stage, item_id), value)
            record["status"] = "complete"
            await self.write(self.submission_key(run_id, record["id"]), record)
        await self.store.add_to_set(self.key(run_id, "progress", record["mode"], "done"),
                                    record["id"])

    async def task_value(self, run_id: str, item_id: str, result: Any,
                         error: Optional[str]) -> dict[str, Any]:
        if error is not None:
            return {"output": None, "metadata": {}, "tags": None, "error": error}
        result = _as(WorkflowTaskResult, result, "Task collect")
        datum = (await self.case(run_id, item_id))["datum"]
        return {"output": _json_value(result.output),
                "metadata": _json_value({**(datum.get("metadata") or {}),
                                         **(result.metadata or {})}),
                "tags": list(result.tags) if result.tags is not None else datum.get("tags")}

