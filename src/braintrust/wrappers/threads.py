"""``braintrust.wrappers.threads``: spans started in threads nest where the thread was started.

Python threads start with an empty ``contextvars`` context, so a span made in
a ``threading.Thread`` or a ``ThreadPoolExecutor`` task is a new root rather
than a child of the span that started the work. These patches carry the
starting context over. ``BRAINTRUST_INSTRUMENT_THREADS=true`` applies them
when ``braintrust`` is imported; :class:`braintrust.TracedThreadPoolExecutor`
and :func:`braintrust.bind_context` do the same for one executor or function.
"""

from __future__ import annotations

import contextvars
import threading
from concurrent import futures
from typing import Any, Callable, TypeVar

import wrapt

from braintrust_otel import diagnostics

__all__ = ["patch_thread", "patch_thread_pool_executor", "setup_threads"]

T = TypeVar("T", bound=type)
_MARK = "_braintrust_context_patched"


def _patched(cls: type) -> bool:
    return bool(cls.__dict__.get(_MARK, False))


def patch_thread(thread_cls: T) -> T:
    """Makes ``thread_cls`` run each thread in a copy of the context it was started in.

    Args:
        thread_cls: ``threading.Thread`` or a subclass.

    Returns:
        The same class (patched once, however often this is called).
    """
    if _patched(thread_cls):
        return thread_cls

    def start(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> Any:
        instance._braintrust_context = contextvars.copy_context()
        return wrapped(*args, **kwargs)

    def run(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
            kwargs: dict[str, Any]) -> Any:
        ctx = getattr(instance, "_braintrust_context", None)
        if ctx is None:
            return wrapped(*args, **kwargs)
        return ctx.run(wrapped, *args, **kwargs)

    wrapt.wrap_function_wrapper(thread_cls, "start", start)
    wrapt.wrap_function_wrapper(thread_cls, "run", run)
    setattr(thread_cls, _MARK, True)
    return thread_cls


def patch_thread_pool_executor(executor_cls: T) -> T:
    """Makes ``executor_cls.submit`` run each task in a copy of the submitting context.

    Args:
        executor_cls: ``concurrent.futures.ThreadPoolExecutor`` or a subclass.

    Returns:
        The same class (patched once).
    """
    if _patched(executor_cls):
        return executor_cls

    def submit(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:
        if not args:
            return wrapped(*args, **kwargs)  # let submit() report the missing function
        fn, rest = args[0], args[1:]
        return wrapped(contextvars.copy_context().run, fn, *rest, **kwargs)

    wrapt.wrap_function_wrapper(executor_cls, "submit", submit)
    setattr(executor_cls, _MARK, True)
    return executor_cls


def setup_threads() -> bool:
    """Patches ``threading.Thread`` and ``ThreadPoolExecutor`` (see the module's docstring).

    Returns:
        Whether both are patched.
    """
    try:
        patch_thread(threading.Thread)
        patch_thread_pool_executor(futures.ThreadPoolExecutor)
        return True
    except Exception as exc:
        diagnostics.report("instrumentation", "could not patch threads", exc)
        return False
