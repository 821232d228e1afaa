"""Moving from LangSmith: its ``@traceable`` and ``evaluate`` run on Braintrust too.

``braintrust.wrappers.langsmith_wrapper`` re-exports these names. After
:func:`setup_langsmith`, a function decorated with ``langsmith.traceable``
is also a Braintrust span (named as LangSmith names it), and
``Client.evaluate`` / ``langsmith.evaluate`` (and their async twins) also run
the same target, data and evaluators as a Braintrust ``Eval``. By default
LangSmith keeps running as before (tandem); ``standalone=True`` runs only the
Braintrust side.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Optional, TypeVar

from ._span import NOOP_SPAN, current_span

__all__ = ["clear_braintrust_results", "get_braintrust_results", "setup_langsmith",
           "wrap_aevaluate", "wrap_client", "wrap_evaluate", "wrap_traceable"]

_log = logging.getLogger("braintrust.langsmith")
F = TypeVar("F", bound=Callable[..., Any])
_MARK = "_braintrust_patched"
_DEFAULT_PROJECT = "langsmith-migration"

# Results of the Braintrust runs made alongside LangSmith's (tandem mode).
_results: list[Any] = []


def get_braintrust_results() -> list[Any]:
    """The results of every Braintrust eval run by a wrapped ``evaluate`` so far (a copy)."""
    return list(_results)


def clear_braintrust_results() -> None:
    """Forgets the results :func:`get_braintrust_results` returns."""
    _results.clear()


def _patched(obj: Any) -> bool:
    return bool(getattr(obj, _MARK, False))


def setup_langsmith(api_key: Optional[str] = None, project_id: Optional[str] = None,
                    project_name: Optional[str] = None, standalone: bool = False) -> bool:
    """Makes LangSmith's ``traceable``, ``evaluate`` and ``aevaluate`` log to Braintrust too.

    Call it before importing names from ``langsmith`` (``from langsmith import
    traceable`` binds whatever is there at that moment). Starts a logger when
    no span is current.

    Args:
        api_key, project_id: For the logger, as in ``init_logger``.
        project_name: The Braintrust project for the logger and the evals;
            defaults to ``LANGCHAIN_PROJECT``.
        standalone: Run only Braintrust: LangSmith's tracing and evaluation
            are not called at all.

    Returns:
        Whether LangSmith is now patched (False when it is not installed).
    """
    if project_name is None:
        from braintrust_otel import settings

        project_name = settings.LANGCHAIN_PROJECT.get()
    if current_span() is NOOP_SPAN:
        from ._logger import init_logger

        init_logger(project=project_name, project_id=project_id, api_key=api_key)
    try:
        import langsmith
    except ImportError:
        _log.warning("langsmith is not installed; setup_langsmith did nothing")
        return False
    options = {"project_name": project_name, "project_id": project_id, "standalone": standalone}
    langsmith.traceable = wrap_traceable(langsmith.traceable, standalone=standalone)
    wrap_client(langsmith.Client, **options)  # type: ignore[arg-type]
    langsmith.evaluate = wrap_evaluate(langsmith.evaluate, **options)  # type: ignore[arg-type]
    langsmith.aevaluate = wrap_aevaluate(langsmith.aevaluate, **options)  # type: ignore[arg-type]
    return True


def wrap_traceable(traceable: F, standalone: bool = False) -> F:
    """``langsmith.traceable`` that also makes each decorated function a Braintrust span.

    Args:
        traceable: LangSmith's decorator.
        standalone: Only the Braintrust span: LangSmith's decorator is not applied.

    Returns:
        The new decorator (``traceable`` itself when it is one already). It
        works bare (``@traceable``) and with options (``@traceable(name=...)``).
    """
    if _patched(traceable):
        return traceable
    from ._traced import traced

    def decorate(fn: Callable[..., Any], options: dict[str, Any]) -> Any:
        name = options.get("name") or getattr(fn, "__name__", "traceable")
        inner = fn if standalone else traceable(fn, **options)
        return traced(name=name)(inner)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if args and callable(args[0]):
            return decorate(args[0], kwargs)
        return lambda fn: decorate(fn, kwargs)

    setattr(wrapper, _MARK, True)
    wrapper.__doc__ = traceable.__doc__
    return wrapper  # type: ignore[return-value]


def wrap_client(Client: Any, project_name: Optional[str] = None,
                project_id: Optional[str] = None, standalone: bool = False) -> Any:
    """Makes ``Client.evaluate`` and ``Client.aevaluate`` also run a Braintrust eval.

    Args:
        Client: ``langsmith.Client`` (the class, changed in place).
        project_name, project_id: The Braintrust project of the evals.
        standalone: Only the Braintrust eval runs, and its result is returned.

    Returns:
        ``Client``.
    """
    import wrapt

    for attr, make in (("evaluate", _sync_runner), ("aevaluate", _async_runner)):
        method = getattr(Client, attr, None)
        if method is None or _patched(method):
            continue
        run = make(project_name, project_id, standalone)
        wrapt.wrap_function_wrapper(Client, attr, lambda wrapped, instance, args, kwargs,
                                    run=run: run(wrapped, args, kwargs))
        setattr(getattr(Client, attr), _MARK, True)
    return Client


def wrap_evaluate(evaluate: F, project_name: Optional[str] = None,
                  project_id: Optional[str] = None, standalone: bool = False) -> F:
    """``langsmith.evaluate`` that also runs the evaluation as a Braintrust ``Eval``.

    Args:
        evaluate: LangSmith's function.
        project_name, project_id: The Braintrust project (default ``langsmith-migration``).
        standalone: Only the Braintrust eval runs, and its result is returned.

    Returns:
        The new function (``evaluate`` itself when it is one already).
    """
    if _patched(evaluate):
        return evaluate
    run = _sync_runner(project_name, project_id, standalone)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run(evaluate, args, kwargs)

    setattr(wrapper, _MARK, True)
    return wrapper  # type: ignore[return-value]


def wrap_aevaluate(aevaluate: F, project_name: Optional[str] = None,
                   project_id: Optional[str] = None, standalone: bool = False) -> F:
    """``langsmith.aevaluate`` that also runs the evaluation as a Braintrust ``EvalAsync``.

    Args:
        aevaluate: LangSmith's coroutine function.
        project_name, project_id: The Braintrust project (default ``langsmith-migration``).
        standalone: Only the Braintrust eval runs, and its result is returned.

    Returns:
        The new coroutine function (``aevaluate`` itself when it is one already).
    """
    if _patched(aevaluate):
        return aevaluate
    run = _async_runner(project_name, project_id, standalone)

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await run(aevaluate, args, kwargs)

    setattr(wrapper, _MARK, True)
    return wrapper  # type: ignore[return-value]


def _sync_runner(project_name: Optional[str], project_id: Optional[str],
                 standalone: bool) -> Callable[[Any, Any, Any], Any]:
    def run(wrapped: Any, args: Any, kwargs: Any) -> Any:
        result = None if standalone else wrapped(*args, **kwargs)
        try:
            from ._eval import Eval

            result = Eval(**_eval_arguments(args, kwargs, project_name, project_id))
            _results.append(result)
        except Exception as exc:
            if standalone:
                raise
            # Tandem: LangSmith's run already happened; ours must not undo it.
            _log.warning("the Braintrust side of a LangSmith evaluate failed: %s", exc)
        return result

    return run


def _async_runner(project_name: Optional[str], project_id: Optional[str],
                  standalone: bool) -> Callable[[Any, Any, Any], Any]:
    async def run(wrapped: Any, args: Any, kwargs: Any) -> Any:
        result = None if standalone else await wrapped(*args, **kwargs)
        try:
            from ._eval import EvalAsync

            result = await EvalAsync(**_eval_arguments(args, kwargs, project_name, project_id))
            _results.append(result)
        except Exception as exc:
            if standalone:
                raise
            _log.warning("the Braintrust side of a LangSmith aevaluate failed: %s", exc)
        return result

    return run


def _eval_arguments(args: Any, kwargs: Any, project_name: Optional[str],
                    project_id: Optional[str]) -> dict[str, Any]:
    """``Eval`` keyword arguments from LangSmith ``evaluate`` arguments."""
    target = args[0] if args else kwargs.get("target")
    data = args[1] if len(args) > 1 else kwargs.get("data")
    options = {"experiment_name": kwargs.get("experiment_prefix"),
               "description": kwargs.get("description"), "metadata": kwargs.get("metadata"),
               "max_concurrency": kwargs.get("max_concurrency"), "project_id": project_id}
    return {"name": project_name or _DEFAULT_PROJECT, "data": _cases(data),
            "task": _task(target),
            "scores": [_scorer(e) for e in kwargs.get("evaluators") or ()],
            "trial_count": kwargs.get("num_repetitions") or 1,
            **{k: v for k, v in options.items() if v is not None}}


def _scorer(evaluator: Callable[..., Any]) -> Callable[..., Any]:
    """A Braintrust scorer calling a LangSmith evaluator ``(inputs, outputs, reference)``."""
    name = getattr(evaluator, "__name__", "score")

    def scorer(input: Any, output: Any, expected: Any = None, **kwargs: Any) -> Any:
        from ._score import Score

        # LangSmith hands evaluators a non-dict output as {"output": value}.
        outputs = output if isinstance(output, dict) else {"output": output}
        if hasattr(expected, "outputs"):
            reference = expected.outputs
        elif isinstance(expected, dict) and "inputs" in expected and "outputs" in expected:
            # A LangSmith-style dict example (the official SDK passes it whole here).
            reference = expected["outputs"]
        else:
            reference = expected
        result = evaluator(input, outputs, reference)
        return Score(name=result.get("key", name), score=result.get("score"),
                     metadata=result.get("metadata", {}))

    scorer.__name__ = name
    return scorer


def _cases(data: Any) -> Callable[[], Iterator[Any]]:
    """LangSmith data (examples, ``{"inputs": ...}`` dicts, a dataset name) as Eval cases.

    The whole example goes in as ``expected``, so evaluators get its ``outputs``.
    """

    def load() -> Iterator[Any]:
        from ._eval import EvalCase

        source: Iterable[Any]
        if callable(data):
            source = data()
        elif isinstance(data, str):
            try:
                from langsmith import Client

                source = Client().list_examples(dataset_name=data)
            except Exception as exc:
                _log.warning("could not load the LangSmith dataset %r: %s", data, exc)
                return
        elif hasattr(data, "__iter__"):
            source = data
        else:
            source = [data]
        for item in source:
            if hasattr(item, "inputs"):
                yield EvalCase(input=item.inputs, expected=item,
                               metadata=getattr(item, "metadata", None))
            elif isinstance(item, dict) and "inputs" in item:
                yield EvalCase(input=item["inputs"], expected=item, metadata=item.get("metadata"))
            elif isinstance(item, dict) and "input" in item:
                yield EvalCase(input=item["input"], expected=item.get("expected"),
                               metadata=item.get("metadata"))
            else:
                yield EvalCase(input=item)

    return load


def _task(target: Callable[..., Any]) -> Callable[..., Any]:
    """A Braintrust task calling a LangSmith target, spreading a dict input when it fits."""

    def task(task_input: Any, hooks: Any) -> Any:
        if not isinstance(task_input, dict):
            return target(task_input)
        try:
            params = list(inspect.signature(inspect.unwrap(target)).parameters)
        except (TypeError, ValueError):
            try:
                return target(**task_input)
            except TypeError:
                return target(task_input)
        if len(params) != 1 and all(p in task_input for p in params):
            return target(**task_input)
        return target(task_input)

    return task
