"""The ``traced`` decorator for functions, coroutines and generators."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import TYPE_CHECKING, Any, Callable, TypeVar, overload

from braintrust_otel.settings import MAX_GENERATOR_ITEMS

from ._span import (
    _EVENT_FIELDS,
    NOOP_SPAN,
    Span,
    _check_mapping,
    _event,
    _start,
    check_name,
    check_type,
    safe_repr,
)

if TYPE_CHECKING:
    from ._span_target import SpanTarget as Logger

__all__ = ["traced"]

F = TypeVar("F", bound=Callable[..., Any])
_WHERE = "traced()"


def _max_items() -> int:
    return MAX_GENERATOR_ITEMS.get()


@overload
def traced(f: F, /) -> F: ...


@overload
def traced(
    *,
    name: str | None = None,
    type: str | None = None,
    span_attributes: Mapping[str, Any] | None = None,
    notrace_io: bool = False,
    set_current: bool | None = None,
    start_time: float | None = None,
    parent: str | None = None,
    **event: Any,
) -> Callable[[F], F]: ...


@overload
def traced(name: str, /, *args: Any, **kwargs: Any) -> Callable[[F], F]: ...


def traced(*args: Any, **kwargs: Any) -> Any:
    """Traces every call of a function as a span.

    Use it bare (``@traced``) or with options (``@traced(name=..., type=...)``).
    It works on functions, ``async`` functions, generators and async
    generators. The call's arguments (by parameter name) become the span's
    input, the return value (or the list of yielded items) its output, and an
    exception is recorded as the span's error and re-raised unchanged.

    Args:
        name: The span name; the function's name by default.
        type: The span type; ``function`` by default.
        span_attributes: More span attributes to record.
        notrace_io: Do not record input and output.
        set_current: Whether the span is current while the function runs.
        start_time, parent: As for :func:`braintrust.start_span`.
        **event: Fields every call's span logs at start (``metadata=``,
            ``tags=``, ...), as for :func:`braintrust.start_span`.

    The options may also be given by position in ``start_span``'s order
    (``@traced("name", "llm")``).

    Returns:
        The wrapped function, or a decorator when called with options.
    """
    return _traced(args, kwargs, logger=None)


#: ``traced``'s options, in ``start_span``'s positional order (as the official SDK
#: forwards them), then its own.
_POSITIONAL = ("name", "type", "span_attributes", "start_time", "set_current", "parent")
_OPTIONS = frozenset(_POSITIONAL) | {"notrace_io"}


def _traced(args: tuple[Any, ...], kwargs: dict[str, Any], logger: Logger | None) -> Any:
    if len(args) == 1 and not kwargs and callable(args[0]):
        return _decorate(args[0], logger=logger)
    if len(args) > len(_POSITIONAL) or any(callable(a) for a in args if a is not None):
        raise TypeError(
            "traced(): pass the function alone (@traced) or options "
            "(@traced(name=...), @traced(\"name\"))"
        )
    options = dict(kwargs)
    for key, value in zip(_POSITIONAL, args):
        if key in options:
            raise TypeError(f"traced(): {key} given twice")
        options[key] = value
    event = {k: v for k, v in options.items() if k not in _OPTIONS}
    unknown = set(event) - _EVENT_FIELDS - {"event"}
    if unknown:
        raise TypeError(f"traced(): unexpected argument(s) {', '.join(sorted(unknown))}")
    merged = _event(event.pop("event", None), event)
    options = {k: v for k, v in options.items() if k in _OPTIONS}
    check_name(options.get("name"), _WHERE)
    check_type(options.get("type"), _WHERE)
    if options.get("span_attributes") is not None:
        _check_mapping(options["span_attributes"], "span_attributes", _WHERE)
    if options.get("parent") is not None and not isinstance(options["parent"], str):
        raise TypeError("traced(): parent must be an export slug (str)")

    def decorator(f: F) -> F:
        wrapped: F = _decorate(f, logger=logger, event=merged, **options)
        return wrapped

    return decorator


def _input_binder(f: Callable[..., Any]) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        sig = None
    names = list(sig.parameters) if sig is not None else []
    skip_first = bool(names) and names[0] in ("self", "cls")
    # Plain positional-or-keyword parameters (the common case) bind with a zip,
    # several times cheaper than Signature.bind.
    simple = sig is not None and all(
        p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in sig.parameters.values()
    )
    start = 1 if skip_first else 0

    def bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if simple and len(args) <= len(names):
            values = dict(zip(names[start:], args[start:]))
            if kwargs:
                values.update(kwargs)
                if skip_first:
                    values.pop(names[0], None)
            return values
        if sig is None:
            return {"args": list(args), "kwargs": kwargs}
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError:
            return {"args": list(args), "kwargs": kwargs}
        values = dict(bound.arguments)
        if skip_first:
            values.pop(names[0], None)
        return values

    return bind


def _decorate(
    f: Callable[..., Any],
    *,
    logger: Logger | None = None,
    name: str | None = None,
    type: str | None = None,
    span_attributes: Mapping[str, Any] | None = None,
    notrace_io: bool = False,
    set_current: bool | None = None,
    start_time: float | None = None,
    parent: str | None = None,
    event: Mapping[str, Any] | None = None,
) -> Any:
    if not callable(f):
        raise TypeError(f"traced(): expected a function, got {safe_repr(f)}")
    span_name = name or getattr(f, "__name__", None) or "anonymous"
    code = getattr(f, "__code__", None)
    caller = (
        (code.co_filename, getattr(f, "__qualname__", span_name), code.co_firstlineno)
        if code is not None
        else ("", span_name, 0)
    )
    bind = _input_binder(f)
    trace_io = not notrace_io

    def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Span:
        span = _start(span_name, type, span_attributes, start_time, set_current, parent, event,
                      logger=logger, where=_WHERE, depth=0, default_type="function",
                      caller=caller)
        if trace_io and span is not NOOP_SPAN:
            span.log(input=bind(args, kwargs))
        return span

    if inspect.isasyncgenfunction(f):
        @functools.wraps(f)
        async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
            span = begin(args, kwargs)
            gen = f(*args, **kwargs)
            outputs: list[Any] = []
            limit = _max_items()
            sent: Any = None
            thrown: BaseException | None = None
            try:
                while True:
                    if span._set_current:
                        span._activate()
                    try:
                        if thrown is not None:
                            item = await gen.athrow(thrown)
                            thrown = None
                        else:
                            item = await gen.asend(sent)
                    except StopAsyncIteration:
                        break
                    finally:
                        span._deactivate()
                    if trace_io and (limit < 0 or len(outputs) < limit):
                        outputs.append(item)
                    try:
                        sent = yield item
                    except GeneratorExit:
                        await gen.aclose()
                        raise
                    except BaseException as exc:
                        thrown = exc
            except GeneratorExit:
                raise
            except BaseException as exc:
                span.record_error(exc)
                raise
            finally:
                if trace_io:
                    span.log(output=outputs)
                span.end()

        return agen_wrapper

    if inspect.isgeneratorfunction(f):
        @functools.wraps(f)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            span = begin(args, kwargs)
            gen = f(*args, **kwargs)
            outputs: list[Any] = []
            limit = _max_items()
            sent: Any = None
            thrown: BaseException | None = None
            result: Any = None
            try:
                while True:
                    if span._set_current:
                        span._activate()
                    try:
                        if thrown is not None:
                            item = gen.throw(thrown)
                            thrown = None
                        else:
                            item = gen.send(sent)
                    except StopIteration as stop:
                        result = stop.value
                        break
                    finally:
                        span._deactivate()
                    if trace_io and (limit < 0 or len(outputs) < limit):
                        outputs.append(item)
                    try:
                        sent = yield item
                    except GeneratorExit:
                        gen.close()
                        raise
                    except BaseException as exc:
                        thrown = exc
            except GeneratorExit:
                raise
            except BaseException as exc:
                span.record_error(exc)
                raise
            finally:
                if trace_io:
                    span.log(output=outputs)
                span.end()
            return result

        return gen_wrapper

    if inspect.iscoroutinefunction(f):
        @functools.wraps(f)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            span = begin(args, kwargs)
            if span is NOOP_SPAN:
                return await f(*args, **kwargs)
            with span:
                result = await f(*args, **kwargs)
                if trace_io:
                    span.log(output=result)
                return result

        return async_wrapper

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = begin(args, kwargs)
        if span is NOOP_SPAN:
            return f(*args, **kwargs)
        with span:
            result = f(*args, **kwargs)
            if trace_io:
                span.log(output=result)
            return result

    return wrapper
