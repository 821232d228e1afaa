"""Building method wrappers from a small description of each API call."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Callable, Optional

from opentelemetry import trace

from .. import diagnostics
from ._llm import LLMCall, active, traced_async_stream, traced_stream

_TRANSPORT_ARGS = ("extra_headers", "extra_query", "extra_body", "timeout")


@dataclasses.dataclass
class Call:
    """How to trace one API method.

    Attributes:
        name: The span name.
        provider, operation: GenAI provider and operation names.
        request: ``kwargs -> (model, input, params)``.
        finish: ``(call, response) -> None``: records a whole response.
        stream_done: ``(call, items) -> None``: records a consumed stream.
        is_token: Whether a stream item carries generated content.
        is_stream: Whether a return value is a stream to wrap.
        name_for: The span name from the request, when it depends on it.
        before: Runs with the resource object before each traced call.
        span_type: The Braintrust span type (``llm``, or ``task`` for a call that
            may run several model calls and tools).
        request_with: ``(resource, kwargs) -> (model, input, params)``, used
            instead of ``request`` when reading the request needs the resource
            object (its client's settings).
    """

    name: str
    provider: str
    operation: str
    request: Callable[[Mapping[str, Any]], tuple[Any, Any, dict[str, Any]]]
    finish: Callable[[LLMCall, Any], None]
    stream_done: Optional[Callable[[LLMCall, list[Any]], None]] = None
    is_token: Callable[[Any], bool] = lambda item: True
    is_stream: Callable[[Any], bool] = lambda value: False
    #: ``kwargs -> span name``, when it depends on the request.
    name_for: Optional[Callable[[Mapping[str, Any]], str]] = None
    #: ``resource -> None``: run before each traced call (on the client resource).
    before: Optional[Callable[[Any], None]] = None
    span_type: str = "llm"
    request_with: Optional[Callable[[Any, Mapping[str, Any]],
                                    tuple[Any, Any, dict[str, Any]]]] = None


def plain_params(kwargs: Mapping[str, Any], skip: tuple[str, ...]) -> dict[str, Any]:
    """Request parameters worth recording: not the content, not transport options,
    not the SDK's "not given" sentinels."""
    out = {}
    for key, value in kwargs.items():
        if key in skip or key in _TRANSPORT_ARGS:
            continue
        if type(value).__name__ in ("NotGiven", "Omit", "Unset", "NoneType"):
            continue
        out[key] = value
    return out


def start_call(tracer: trace.Tracer, spec: Call, kwargs: dict[str, Any],
               instance: Any = None) -> Optional[LLMCall]:
    """Starts the span of one call (None, reported, when the request cannot be read)."""
    try:
        if spec.before is not None:
            spec.before(instance)
        if spec.request_with is not None:
            model, input, params = spec.request_with(instance, kwargs)
        else:
            model, input, params = spec.request(kwargs)
        name = spec.name_for(kwargs) if spec.name_for is not None else spec.name
        return LLMCall(tracer, name, spec.provider, spec.operation, model, input, params,
                       span_type=spec.span_type)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not trace {spec.name}", exc)
        return None


def _result(spec: Call, call: LLMCall, result: Any, is_async: bool) -> Any:
    try:
        value = result
        parse = getattr(result, "parse", None)
        if callable(parse) and hasattr(result, "http_response"):
            value = parse()  # with_raw_response: the parsed body is cached
        if spec.is_stream(value):
            if value is not result or spec.stream_done is None:
                call.finish()  # a raw streaming response: the caller reads it
                return result
            wrap = traced_async_stream if is_async else traced_stream
            return wrap(result, call, spec.stream_done, spec.is_token)
        spec.finish(call, value)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not record {spec.name}", exc)
        call.finish()
    return result


#: ``(instance, args, kwargs) -> call``: starts a traced call's span, or None to call
#: the method untraced. ``kwargs`` is the wrapper's own copy, which the method is then
#: called with, so a start may take out arguments that are not for the provider.
Start = Callable[[Any, tuple[Any, ...], dict[str, Any]], Optional[LLMCall]]
#: ``(call, result) -> result``: records a result (or wraps a stream that will),
#: returning what the caller gets.
End = Callable[[LLMCall, Any], Any]


def traced_sync(start: Start, end: End) -> Callable[..., Any]:
    """A wrapt wrapper tracing a sync method: ``start`` opens the call's span, the
    span is current while the method runs, ``end`` records its result."""

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        if active():
            return wrapped(*args, **kwargs)
        kwargs = dict(kwargs)
        call = start(instance, args, kwargs)
        if call is None:
            return wrapped(*args, **kwargs)
        tokens = call.activate()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        finally:
            call.deactivate(tokens)
        return end(call, result)

    return wrapper


def traced_async(start: Start, end: End) -> Callable[..., Any]:
    """:func:`traced_sync` for an async method."""

    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        if active():
            return await wrapped(*args, **kwargs)
        kwargs = dict(kwargs)
        call = start(instance, args, kwargs)
        if call is None:
            return await wrapped(*args, **kwargs)
        tokens = call.activate()
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        finally:
            call.deactivate(tokens)
        return end(call, result)

    return wrapper


def _spec_start(tracer: trace.Tracer, spec: Call) -> Start:
    def start(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Optional[LLMCall]:
        call = start_call(tracer, spec, kwargs, instance)
        kwargs.pop("span_info", None)  # set by Prompt.build(); not for the provider
        return call

    return start


def sync_wrapper(tracer: trace.Tracer, spec: Call,
                 async_stream: bool = False) -> Callable[..., Any]:
    """A wrapt wrapper tracing a sync method.

    ``async_stream``: the method is a plain call returning an async iterator
    (an ``async def`` generator), so the stream it returns is traced as async.
    """
    return traced_sync(_spec_start(tracer, spec),
                       lambda call, result: _result(spec, call, result, async_stream))


def async_wrapper(tracer: trace.Tracer, spec: Call) -> Callable[..., Any]:
    """A wrapt wrapper tracing an async method."""
    return traced_async(_spec_start(tracer, spec),
                        lambda call, result: _result(spec, call, result, True))


#: ``(module, class, method, spec, is_async)``: one method an instrumentor wraps.
Target = tuple[str, str, str, Call, bool]


def wrap_targets(tracer: trace.Tracer, targets: list[Target]) -> None:
    """Wraps each target method; modules a library version lacks are skipped."""
    import importlib

    import wrapt

    for module, cls, method, spec, is_async in targets:
        try:
            owner = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError):
            continue  # another version of the library: this API is elsewhere or absent
        if not hasattr(owner, method):
            continue
        wrap = async_wrapper if is_async else sync_wrapper
        wrapt.wrap_function_wrapper(owner, method, wrap(tracer, spec))


def unwrap_targets(targets: list[Target]) -> None:
    """Undoes :func:`wrap_targets`."""
    import importlib

    from opentelemetry.instrumentation.utils import unwrap

    for module, cls, method, _, _ in targets:
        try:
            owner = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError):
            continue
        unwrap(owner, method)


#: ``(attribute path on the client, method, spec, how)``: one method of one client
#: object; ``how`` is ``"sync"``, ``"async"`` or ``"async_stream"`` (see :func:`sync_wrapper`).
ClientTarget = tuple[tuple[str, ...], str, Call, str]


def wrap_client(tracer: trace.Tracer, client: Any, targets: list[ClientTarget]) -> Any:
    """Wraps the targets on one client object (its resources), so only it is traced.

    A resource or method this client lacks is skipped. The client is marked:
    wrapping it again returns it as it is. Inside a call another wrapper
    traces (the class's, when the instrumentor is on too), these pass through.

    Returns:
        ``client``.
    """
    import wrapt

    if is_traced(client):
        return client
    for path, method, spec, how in targets:
        resource = client
        for part in path:
            resource = getattr(resource, part, None)
        if resource is None or not hasattr(resource, method):
            continue
        wrapper = (async_wrapper(tracer, spec) if how == "async" else
                   sync_wrapper(tracer, spec, async_stream=how == "async_stream"))
        wrapt.wrap_function_wrapper(resource, method, wrapper)
    mark_traced(client)
    return client


def is_traced(client: Any) -> bool:
    """Whether :func:`mark_traced` marked ``client`` (so wrapping it again is skipped)."""
    return bool(getattr(client, "_braintrust_traced", False))


def mark_traced(client: Any) -> None:
    """Marks a client whose methods were wrapped one by one."""
    try:
        client._braintrust_traced = True
    except AttributeError:
        pass  # a client with __slots__: wrapped again next time, one span all the same


def once_among(ours: set[Callable[..., Any]]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator for wrapt wrappers: each passes through when what it wraps is one of ``ours``.

    A per-class helper and its instrumentor (or two helpers, on a class and on
    its base) can wrap the same method twice; the inner wrapper makes the one row.
    Each decorated wrapper joins ``ours``.
    """
    def once(wrapper: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            if getattr(wrapped, "_self_wrapper", None) in ours:
                return wrapped(*args, **kwargs)
            return wrapper(wrapped, instance, args, kwargs)

        ours.add(guarded)
        return guarded

    return once


def wrap_methods(target: Any, wrappers: tuple[tuple[str, Callable[..., Any]], ...]) -> Any:
    """Puts each ``(method, wrapper)`` of ``wrappers`` on ``target`` alone; returns it.

    A method already wrapped there by the same wrapper is left as it is.

    Raises:
        TypeError: When ``target`` has none of the methods, or cannot be patched.
    """
    import wrapt

    if not any(hasattr(target, attr) for attr, _ in wrappers):
        raise TypeError(f"target has no {' or '.join(a for a, _ in wrappers)} method "
                        f"to trace: {target!r}")
    for attr, wrapper in wrappers:
        own = getattr(target, "__dict__", {}).get(attr)
        if not hasattr(target, attr) or getattr(own, "_self_wrapper", None) is wrapper:
            continue
        try:
            wrapt.wrap_function_wrapper(target, attr, wrapper)
        except (AttributeError, TypeError, ValueError) as exc:
            raise TypeError(f"target cannot be patched ({exc}): {target!r}") from exc
    return target
