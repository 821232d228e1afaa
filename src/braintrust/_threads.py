"""Carrying the current span into worker threads."""

from __future__ import annotations

import contextvars
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, TypeVar

__all__ = ["TracedThreadPoolExecutor", "bind_context"]

T = TypeVar("T")


class TracedThreadPoolExecutor(ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` whose tasks run in the submitter's context.

    Spans started inside a task are children of the span that was current
    when the task was submitted (plain thread pools start new traces).
    """

    def submit(  # type: ignore[override]  # a kwarg named fn no longer reaches fn
        self, fn: Callable[..., T], *args: Any, **kwargs: Any
    ) -> Future[T]:
        """Schedules ``fn(*args, **kwargs)`` with a copy of the current context.

        ``fn`` may be given by keyword too, as the official SDK's executor allows
        (the standard library's takes it positionally only).
        """
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


def bind_context(fn: Callable[..., T]) -> Callable[..., T]:
    """Returns ``fn`` bound to a copy of the current context.

    Use it for ``threading.Thread(target=bind_context(work))`` or
    ``loop.run_in_executor(None, bind_context(work))``, so spans started by
    ``work`` join the current trace.

    Args:
        fn: Any callable.

    Returns:
        A callable that runs ``fn`` in the captured context.
    """
    ctx = contextvars.copy_context()

    def run(*args: Any, **kwargs: Any) -> T:
        return ctx.copy().run(fn, *args, **kwargs)

    return run
