"""Running one case (one trial): its spans, the task, then the scorers and classifiers.

A case's steps are written once, as a generator that yields each user call
(task, scorers) as ``(fn, args, kwargs)`` and receives its result (or has its
exception thrown in). An async driver awaits each call; when the task and
every scorer are sync, a sync driver runs the whole case in one trip to the
thread pool instead of one trip per call.
"""

from __future__ import annotations

import contextvars
import dataclasses
import inspect
import sys
import threading
import traceback
import uuid
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Callable, Optional

from braintrust_otel import attributes as A

from . import _state
from ._eval_data import origin_of
from ._eval_scoring import Scorers, Step, classify_steps, score_steps
from ._eval_types import EvalCase, EvalHooks, EvalResult, Evaluator
from ._span import NOOP_SPAN, Span, safe_repr, safe_str, start_span
from ._trace import EvalTrace

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from ._experiment import Experiment

__all__ = ["CaseRunner", "hooks_mode", "is_async"]


def hooks_mode(task: Any) -> str:
    """How a task takes hooks: "positional" (a 2nd positional parameter), "keyword"
    (a ``hooks`` keyword or ``**kwargs``), or "none"."""
    try:
        params = list(inspect.signature(task).parameters.values())
    except (TypeError, ValueError):
        return "none"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params):
        return "positional"
    if any(p.name == "hooks" or p.kind is p.VAR_KEYWORD for p in params):
        return "keyword"
    return "none"


def is_async(fn: Any) -> bool:
    """Whether calling ``fn`` gives a coroutine (a callable object with an ``async
    def __call__`` counts)."""
    call = None if inspect.isroutine(fn) else type(fn).__dict__.get("__call__")
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)


async def _in_pool(pool: Executor, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on the pool, in a copy of this context (so spans it starts are
    children of the current one). Cancelled while it runs, it waits for the call to
    return first, as the official SDK does: a thread cannot be interrupted, and
    its spans must end before the run reports."""
    import asyncio

    ctx = contextvars.copy_context()
    submitted = pool.submit(ctx.run, fn, *args)
    future = asyncio.wrap_future(submitted)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if not submitted.cancel():
            while not future.done():  # however often the run cancels us meanwhile
                try:
                    await asyncio.wait((future,))
                except asyncio.CancelledError:
                    pass
        raise


async def _call(fn: Callable[..., Any], pool: Executor, *args: Any, **kwargs: Any) -> Any:
    if is_async(fn):
        return await fn(*args, **kwargs)
    result = await _in_pool(pool, lambda: fn(*args, **kwargs))
    if inspect.isawaitable(result):
        return await result
    return result


def _stop(steps: Generator[Step, Any, None], error: BaseException) -> None:
    # Ends a cancelled case in its own context: each pending step fails with
    # ``error``, so spans close normally and no later step runs.
    for _ in range(10_000):
        try:
            steps.throw(error)
        except StopIteration:
            return
        except BaseException:
            return


async def _await(awaitable: Any) -> Any:
    return await awaitable


@dataclasses.dataclass
class CaseRunner:
    """What every case of one run shares; :meth:`run` runs one case.

    Attributes:
        cancel: Set when the run is cancelled or timed out; cases check it
            between steps.
        dataset_id: The evaluated Dataset's id: its records' origin points there.
        stop_error: Makes the exception a case stopped by ``cancel`` records.
    """

    ev: Evaluator
    experiment: Optional[Experiment]
    pool: Executor
    scorers: Scorers
    classifiers: Scorers
    wants_hooks: str
    all_sync: bool
    parameters: dict[str, Any]
    dataset_id: Optional[str]
    cancel: threading.Event
    stop_error: Callable[[], BaseException]

    async def run(self, case: EvalCase, trial: int) -> EvalResult:
        """Runs ``case`` (trial ``trial``) and returns its result; a task's error is in
        the result. Raises ``asyncio.CancelledError`` when the run is cancelled."""
        import asyncio

        result = EvalResult(input=case.input, output=None, expected=case.expected,
                            metadata=dict(case.metadata or {}), tags=case.tags,
                            trial_index=trial, origin=origin_of(case, self.dataset_id))
        steps = self._steps(case, trial, result)
        try:
            if self.all_sync:
                await _in_pool(self.pool, self._drive_sync, steps)
            else:
                try:
                    await self._drive_async(steps)
                except asyncio.CancelledError:
                    _stop(steps, self.stop_error())  # here, in this task's context
                    raise
        except Exception as exc:
            # Not the task's error (the steps catch those) but ours, or a case
            # the span API refused (tags that are not strings): this case fails,
            # the others run.
            print(f"Eval: case {safe_repr(case.input, 80)} failed: {type(exc).__name__}: "
                  f"{safe_str(exc)}", file=sys.stderr)
            result.error = exc
            result.exc_info = "".join(traceback.format_exception(type(exc), exc,
                                                                 exc.__traceback__))
        if self.cancel.is_set():
            raise asyncio.CancelledError()
        return result

    def _drive_sync(self, steps: Generator[Step, Any, None]) -> None:
        value: Any = None
        error: Optional[BaseException] = None
        while True:
            if self.cancel.is_set():  # a thread cannot be interrupted; stop at the next step
                _stop(steps, self.stop_error())
                return
            try:
                fn, args, kwargs = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration:
                return
            value, error = None, None
            try:
                value = fn(*args, **kwargs)
                if inspect.isawaitable(value):  # a sync function that returned a coroutine
                    import asyncio

                    value = asyncio.run(_await(value))
            except Exception as exc:
                error = exc

    async def _drive_async(self, steps: Generator[Step, Any, None]) -> None:
        value: Any = None
        error: Optional[BaseException] = None
        while True:
            if self.cancel.is_set():
                _stop(steps, self.stop_error())
                return
            try:
                fn, args, kwargs = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration:
                return
            value, error = None, None
            try:
                value = await _call(fn, self.pool, *args, **kwargs)
            except Exception as exc:
                error = exc

    def _root(self, case: EvalCase, trial: int, origin: Optional[dict[str, Any]]) -> Span:
        ev = self.ev
        if self.experiment is None and ev.parent is None:
            return NOOP_SPAN
        # As the official SDK: the case's metadata is logged with the output,
        # once the task succeeded (a failed case's root has none).
        event: dict[str, Any] = {"input": case.input, "expected": case.expected}
        if case.tags:
            event["tags"] = case.tags
        if case.upsert_id:
            # Trials after the first get stable ids of their own.
            event["id"] = case.upsert_id if trial == 0 else str(uuid.uuid5(
                uuid.NAMESPACE_URL, f"braintrust:eval:{case.upsert_id}:trial:{trial}"))
        if self.experiment is not None:
            root = self.experiment.start_span(name="eval", type="eval", event=event)
        else:
            root = start_span(name="eval", type="eval", parent=ev.parent, event=event)
        if origin is not None:
            root._log_field(A.ORIGIN, origin)
        return root

    def _trace(self, root: Span) -> Any:
        if root is NOOP_SPAN:
            return None
        experiment = self.experiment
        if experiment is None:
            _, _, object_id = (root.parent or "").partition(":")
            return EvalTrace("project_logs", object_id, root.root_span_id)
        from ._experiment import rows_of

        def read_rows() -> list[dict[str, Any]]:
            _state.deliver()
            return rows_of(experiment.id)

        return EvalTrace("experiment", experiment.id, root.root_span_id, read_rows)

    def _hooks(self, case: EvalCase, trial: int, root: Span, task_span: Span,
               origin: Optional[dict[str, Any]]) -> EvalHooks:
        stream, name = self.ev.stream, self.ev.eval_name
        report = None if stream is None else (lambda event: stream(
            {"id": root.id, "name": name, "object_type": "task", **event,
             **({"origin": origin} if origin is not None else {})}))
        return EvalHooks(case, task_span, self.parameters, trial, self.cancel, report)

    def _steps(self, case: EvalCase, trial: int, result: EvalResult
               ) -> Generator[Step, Any, None]:
        # The root span starts with the first step: a case cancelled before it
        # starts leaves no span behind.
        ev = self.ev
        root = self._root(case, trial, result.origin)
        result.id = None if root is NOOP_SPAN else root.id
        unhandled = [name for _, name, _ in self.scorers]
        with root:
            task_span = root.start_span(name="task", type="task")
            hooks = self._hooks(case, trial, root, task_span, result.origin)
            try:
                with task_span:
                    args = (case.input, hooks) if self.wants_hooks == "positional" \
                        else (case.input,)
                    kwargs = {"hooks": hooks} if self.wants_hooks == "keyword" else {}
                    try:
                        output = yield (ev.task, args, kwargs)
                    except Exception as exc:
                        task_span.record_error(exc)
                        root.record_error(exc)
                        # Tags the task set before failing are kept, as the official SDK.
                        result.tags = list(hooks.tags) or None
                        root.log(tags=result.tags)
                        result.error = exc
                        result.exc_info = "".join(traceback.format_exception(
                            type(exc), exc, exc.__traceback__))
                        return
                    # As the official SDK: the task span's input is logged with its
                    # output, once the task succeeded.
                    task_span.log(input=case.input, output=output)
                result.output = output
                result.metadata = hooks.metadata
                result.tags = list(hooks.tags) or None  # the task may have changed them
                root.log(output=output, metadata=hooks.metadata, tags=result.tags)
                unhandled = yield from self._score(case, hooks, output, root, result, trial)
            finally:
                # Inside the root span, so the scores a handler logs land on it.
                if ev.error_score_handler is not None and unhandled:
                    try:
                        extra = ev.error_score_handler(root, case, list(unhandled)) or {}
                        result.scores = {**dict(extra), **result.scores}
                    except Exception as exc:
                        print(f"Eval: error_score_handler failed for {', '.join(unhandled)}: "
                              f"{type(exc).__name__}: {safe_str(exc)}", file=sys.stderr)

    def _score(self, case: EvalCase, hooks: EvalHooks, output: Any, root: Span,
               result: EvalResult, trial: int) -> Generator[Step, Any, list[str]]:
        """The scorers' then the classifiers' steps; returns the scorers that failed."""
        offered = {"input": case.input, "expected": case.expected,
                   "metadata": hooks.metadata, "output": output, "trace": self._trace(root),
                   "id": case.id, "tags": hooks.tags or None}
        failed: dict[str, str] = {}
        for scorer, name, params in self.scorers:
            error = yield from score_steps(scorer, name, params, offered, trial, root, result)
            if error is not None:
                failed[name] = error
        found: dict[str, list[dict[str, Any]]] = {}
        classifier_failed = False
        for classifier, name, params in self.classifiers:
            classifier_failed |= yield from classify_steps(classifier, name, params, offered,
                                                           root, result, found)
        if found:
            result.classifications = found
            root._log_field(A.CLASSIFICATIONS, found)
        if failed:
            # As in the official SDK: the case itself did not fail; the
            # scorers' tracebacks go into its metadata (after the classifiers,
            # which, running beside the scorers there, do not see them).
            hooks.metadata["scorer_errors"] = failed
        if failed or classifier_failed:
            root.log(metadata=hooks.metadata)
        return list(failed)
