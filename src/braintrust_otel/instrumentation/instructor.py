"""Tracing for ``instructor``: one ``task`` span per structured-output call.

``Instructor.create`` / ``create_with_completion`` / ``create_partial`` /
``create_iterable`` (and the async client's) become ``instructor.create`` /
``instructor.async.create`` ... spans, as the official SDK names them: the
messages, response model and mode as input, the validated object as output
(the last partial object; the list of objects an iterable yielded), and the
retries instructor made (one per validation error it reported through its
``parse:error`` hook) as metadata.
The provider calls inside are traced by their own instrumentors (openai,
anthropic, ...) and nest under this span.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Mapping
from typing import Any, Callable, Optional

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import Status, StatusCode

from .. import attributes as A
from .. import diagnostics
from .._version import VERSION
from ..masking import mask
from ..serialize import dumps
from ._lazy import LazyInstrumentor
from ._llm import capture_content, dump

__all__ = ["InstructorInstrumentor", "wrap_instructor"]

_instruments = ("instructor >= 1.0",)
_MODULE = "instructor.core.client"
_METHODS = ("create", "create_with_completion")
#: Methods returning an iterator: name -> whether the output is the last item
#: (a partial object being completed) rather than the list of items.
_STREAMING = {"create_partial": True, "create_iterable": False}

#: Set during a traced call, so a client both wrapped and instrumented makes one span.
_IN_CALL: contextvars.ContextVar[bool] = contextvars.ContextVar("braintrust_instructor",
                                                                default=False)


def _enum_name(value: Any) -> Any:
    return getattr(value, "name", None) or (str(value) if value is not None else None)


def _provider(instance: Any) -> Any:
    provider = getattr(instance, "provider", None)
    return getattr(provider, "value", None) or _enum_name(provider)


def _model_name(model: Any) -> Any:
    return getattr(model, "__name__", None) or (repr(model) if model is not None else None)


class _Tracked:
    """One call: its span, and the validation errors instructor reports during it."""

    def __init__(self, tracer: trace.Tracer, name: str, instance: Any,
                 call: Mapping[str, Any]) -> None:
        self.instance = instance
        self.errors: list[str] = []
        self.model = call.get("response_model")
        retries = call.get("max_retries", 3)
        self.metadata = {
            "model": call.get("model") or getattr(instance, "default_model", None),
            "provider": _provider(instance), "response_model": _model_name(self.model),
            "mode": _enum_name(getattr(instance, "mode", None)),
            "max_retries": retries if isinstance(retries, int) else _model_name(type(retries)),
        }
        attrs: dict[str, Any] = {A.SPAN_ATTRIBUTES: '{"type":"task"}'}
        if capture_content():
            attrs[A.INPUT] = dumps(mask("input", {
                "messages": call.get("messages"), "response_model": self.metadata["response_model"],
                "mode": self.metadata["mode"]}))
        self.span = tracer.start_span(name, attributes=attrs)
        self._listening = False
        hooks = getattr(instance, "hooks", None)
        if hooks is not None:
            try:
                hooks.on("parse:error", self._on_parse_error)
                self._listening = True
            except Exception as exc:
                diagnostics.report("instrumentation", "could not follow instructor retries", exc)

    def _on_parse_error(self, error: Any, *args: Any, **kwargs: Any) -> None:
        self.errors.append(str(error))

    def end(self, result: Any = None, exc: Optional[BaseException] = None,
            items: Optional[list[Any]] = None) -> None:
        if self._listening:
            try:
                self.instance.hooks.off("parse:error", self._on_parse_error)
            except Exception:
                pass
        try:
            metadata = {**self.metadata, "retry_count": len(self.errors),
                        "validation_errors": list(self.errors)}
            attrs = {A.METADATA: dumps(mask("metadata", metadata))}
            if exc is None and capture_content():
                if items is not None:
                    value: Any = [dump(i) for i in items]
                else:
                    value = dump(result[0] if isinstance(result, tuple) and result else result)
                attrs[A.OUTPUT] = dumps(mask("output", value))
            self.span.set_attributes(attrs)
        except Exception as err:
            diagnostics.report("instrumentation", "could not record an instructor call", err)
        if exc is not None:
            self.span.record_exception(exc)
            self.span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        self.span.end()


def _bind(wrapped: Callable[..., Any], args: tuple[Any, ...],
          kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    try:
        bound = inspect.signature(wrapped).bind_partial(*args, **kwargs)
        values = dict(bound.arguments)
        values.update(values.pop("kwargs", None) or {})
        return values
    except (TypeError, ValueError):
        return kwargs


def _wrapper(tracer: trace.Tracer, name: str, is_async: bool) -> Callable[..., Any]:
    def start(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> Optional[_Tracked]:
        if _IN_CALL.get():
            return None
        try:
            return _Tracked(tracer, name, instance, _bind(wrapped, args, kwargs))
        except Exception as exc:
            diagnostics.report("instrumentation", f"could not trace {name}", exc)
            return None

    if is_async:
        async def async_wrapper(wrapped: Callable[..., Any], instance: Any,
                                args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            tracked = start(wrapped, instance, args, kwargs)
            if tracked is None:
                return await wrapped(*args, **kwargs)
            token = otel_context.attach(trace.set_span_in_context(tracked.span))
            busy = _IN_CALL.set(True)
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as exc:
                tracked.end(exc=exc)
                raise
            finally:
                _IN_CALL.reset(busy)
                otel_context.detach(token)
            tracked.end(result)
            return result

        return async_wrapper

    def sync_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> Any:
        tracked = start(wrapped, instance, args, kwargs)
        if tracked is None:
            return wrapped(*args, **kwargs)
        token = otel_context.attach(trace.set_span_in_context(tracked.span))
        busy = _IN_CALL.set(True)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            tracked.end(exc=exc)
            raise
        finally:
            _IN_CALL.reset(busy)
            otel_context.detach(token)
        tracked.end(result)
        return result

    return sync_wrapper


def _streaming_wrapper(tracer: trace.Tracer, name: str, last_only: bool,
                       is_async: bool) -> Callable[..., Any]:
    """For ``create_partial`` / ``create_iterable``: the span covers the iteration.

    The span is current only while the next item is being produced (so the
    provider call nests under it), never across a ``yield``.
    """

    def sync_items(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
        tracked = None if _IN_CALL.get() else _start_tracked(tracer, name, wrapped, instance,
                                                             args, kwargs)
        if tracked is None:
            yield from wrapped(*args, **kwargs)
            return
        items: list[Any] = []
        iterator: Any = None
        while True:
            token = otel_context.attach(trace.set_span_in_context(tracked.span))
            busy = _IN_CALL.set(True)
            try:
                if iterator is None:
                    iterator = iter(wrapped(*args, **kwargs))
                item = next(iterator)
            except StopIteration:
                break
            except BaseException as exc:
                tracked.end(exc=exc)
                raise
            finally:
                _IN_CALL.reset(busy)
                otel_context.detach(token)
            items = [item] if last_only else [*items, item]
            yield item
        tracked.end(items=items if not last_only else None,
                    result=items[-1] if last_only and items else None)

    async def async_items(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                          kwargs: dict[str, Any]) -> Any:
        tracked = None if _IN_CALL.get() else _start_tracked(tracer, name, wrapped, instance,
                                                             args, kwargs)
        if tracked is None:
            result = wrapped(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            async for item in result:
                yield item
            return
        items: list[Any] = []
        iterator: Any = None
        while True:
            token = otel_context.attach(trace.set_span_in_context(tracked.span))
            busy = _IN_CALL.set(True)
            try:
                if iterator is None:
                    result = wrapped(*args, **kwargs)
                    if inspect.isawaitable(result):
                        result = await result
                    iterator = result.__aiter__()
                item = await iterator.__anext__()
            except StopAsyncIteration:
                break
            except BaseException as exc:
                tracked.end(exc=exc)
                raise
            finally:
                _IN_CALL.reset(busy)
                otel_context.detach(token)
            items = [item] if last_only else [*items, item]
            yield item
        tracked.end(items=items if not last_only else None,
                    result=items[-1] if last_only and items else None)

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        maker = async_items if is_async else sync_items
        return maker(wrapped, instance, args, kwargs)

    return wrapper


def _start_tracked(tracer: trace.Tracer, name: str, wrapped: Callable[..., Any], instance: Any,
                   args: tuple[Any, ...], kwargs: dict[str, Any]) -> Optional[_Tracked]:
    try:
        return _Tracked(tracer, name, instance, _bind(wrapped, args, kwargs))
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not trace {name}", exc)
        return None


def _wrap_classes(tracer: trace.Tracer, sync_cls: Any, async_cls: Any) -> None:
    for method in _METHODS:
        wrapt.wrap_function_wrapper(sync_cls, method,
                                    _wrapper(tracer, f"instructor.{method}", False))
        wrapt.wrap_function_wrapper(async_cls, method,
                                    _wrapper(tracer, f"instructor.async.{method}", True))
    for method, last_only in _STREAMING.items():
        wrapt.wrap_function_wrapper(
            sync_cls, method, _streaming_wrapper(tracer, f"instructor.{method}", last_only,
                                                 False))
        wrapt.wrap_function_wrapper(
            async_cls, method, _streaming_wrapper(tracer, f"instructor.async.{method}",
                                                  last_only, True))


class InstructorInstrumentor(LazyInstrumentor):
    """Traces ``instructor`` clients' ``create*`` calls (see the module's docstring)."""

    library = "instructor"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        import instructor.core.client as mod

        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        _wrap_classes(tracer, mod.Instructor, mod.AsyncInstructor)

    def _unpatch(self, **kwargs: Any) -> None:
        import instructor.core.client as mod

        for cls in (mod.Instructor, mod.AsyncInstructor):
            for method in (*_METHODS, *_STREAMING):
                if isinstance(cls.__dict__.get(method), wrapt.FunctionWrapper):
                    unwrap(cls, method)


def wrap_instructor(client: Any) -> Any:
    """Traces one ``instructor`` client (``instructor.from_openai(...)`` and the like).

    As with the official SDK, the provider client inside is not traced by this;
    use ``wrap_openai`` (or ``auto_instrument``) on it for the LLM child span.

    Args:
        client: An ``instructor.Instructor`` or ``AsyncInstructor``.

    Returns:
        The same client.
    """
    if getattr(client, "_braintrust_traced", False):
        return client
    tracer = trace.get_tracer(__name__, VERSION)
    is_async = any(c.__name__ == "AsyncInstructor" for c in type(client).__mro__)
    prefix = "instructor.async." if is_async else "instructor."
    for method in _METHODS:
        if hasattr(client, method):
            wrapt.wrap_function_wrapper(client, method,
                                        _wrapper(tracer, prefix + method, is_async))
    for method, last_only in _STREAMING.items():
        if hasattr(client, method):
            wrapt.wrap_function_wrapper(
                client, method, _streaming_wrapper(tracer, prefix + method, last_only, is_async))
    try:
        client._braintrust_traced = True
    except AttributeError:
        pass
    return client
