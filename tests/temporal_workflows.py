"""Workflows and activities for the Temporal tests (a module of their own: the
workflow sandbox re-imports the module a workflow is defined in)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

_ONCE = RetryPolicy(maximum_attempts=1)


@activity.defn
async def greet(name: str) -> str:
    """Says hello; the test's hook (a traced model call) runs inside it when set."""
    if HOOK is not None:
        await HOOK(name)
    return f"hello {name}"


@activity.defn
async def fail(name: str) -> str:
    """Always raises."""
    raise RuntimeError(f"no greeting for {name}")


@activity.defn
def greet_sync(name: str) -> str:
    """A plain function activity: temporalio runs it on the worker's thread pool."""
    if SYNC_HOOK is not None:
        SYNC_HOOK(name)
    return f"hi {name}"


HOOK: Any = None
SYNC_HOOK: Any = None


@workflow.defn
class GreetSync:
    """One thread-pool activity."""

    @workflow.run
    async def run(self, name: str) -> str:
        result: str = await workflow.execute_activity(
            greet_sync, name, start_to_close_timeout=timedelta(seconds=30), retry_policy=_ONCE)
        return result


@workflow.defn
class Greet:
    """One activity and one local activity."""

    @workflow.run
    async def run(self, name: str) -> str:
        first = await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=30), retry_policy=_ONCE)
        second = await workflow.execute_local_activity(
            greet, name + "!", start_to_close_timeout=timedelta(seconds=30), retry_policy=_ONCE)
        return f"{first} / {second}"


@workflow.defn
class Parent:
    """Runs Greet as a child workflow."""

    @workflow.run
    async def run(self, name: str) -> str:
        result: str = await workflow.execute_child_workflow(Greet.run, name, id=f"child-{name}")
        return result


@workflow.defn
class Failing:
    """Its activity fails, and so does the workflow."""

    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            fail, name, start_to_close_timeout=timedelta(seconds=30), retry_policy=_ONCE)
