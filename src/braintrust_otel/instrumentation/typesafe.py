"""Tracing for the TypeSafe SDK: a ``decision`` span per System One call.

``TypeSafeClient.system_one`` and its async twin answer named questions about
a state. Each call is one ``typesafe.systemOne`` span of type ``decision``:
the state and the questions (a list, each with its name as ``id``) as input,
the answers (likewise) as output, provider and model as metadata and the
token counts as metrics, as the official SDK logs them. Images in the state
or the questions are logged as ``<omitted>`` (the official SDK's default; it
can upload them as attachments, which this package does not do yet).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Optional

import wrapt
from opentelemetry import trace

from .. import attributes as A
from .. import diagnostics
from ..masking import mask, record_exception
from ..serialize import dumps
from ._lazy import LazyInstrumentor
from ._wrap import is_traced, mark_traced

__all__ = ["TypeSafeInstrumentor", "span_input", "span_output", "token_metrics", "wrap_typesafe"]

_instruments = ("typesafe-sdk >= 0.6",)
_SCOPE = "braintrust_otel.typesafe"
_NAME = "typesafe.systemOne"
_QUESTION_FIELDS = ("type", "instructions", "criteria")
_ANSWER_FIELDS = ("type", "noul", "probability", "choice", "score", "confidence", "legend",
                  "probabilities", "box", "image_path")
_OMITTED = "<omitted>"
_TARGETS = (("typesafe_sdk._core.client.sync.client", "TypeSafeClient", False),
            ("typesafe_sdk._core.client.aio.client", "AsyncTypeSafeClient", True))


def _as_dict(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump()
        except Exception:
            return value
    return value


def _is_image(value: Any, image_type: Optional[type]) -> bool:
    if image_type is not None and isinstance(value, image_type):
        return True
    if isinstance(value, str):
        return value.startswith("data:image/")
    return (isinstance(value, Mapping) and isinstance(value.get("data_base64"), str)
            and value.get("format") in ("png", "jpg", "jpeg"))


def _media(value: Any, image_type: Optional[type]) -> Any:
    """``value`` with every image in it replaced by ``<omitted>``."""
    if _is_image(value, image_type):
        return _OMITTED
    if isinstance(value, Mapping):
        return {k: _media(v, image_type) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_media(v, image_type) for v in value]
    return value


_MISSING = object()


def _tagged(value: Any, fields: tuple[str, ...], suffix: str) -> Any:
    """A question or answer as a dict of ``fields``: a mapping as it is, an SDK object
    by its attributes (even those left None), its type from its class name."""
    if isinstance(value, Mapping):
        return {key: value[key] for key in fields if key in value}
    out: dict[str, Any] = {"type": type(value).__name__.removesuffix(suffix).lower()}
    for key in fields:
        found = getattr(value, key, _MISSING) if key != "type" else _MISSING
        if found is not _MISSING:
            out[key] = _as_dict(found)
    return out


def _items(values: Any, fields: tuple[str, ...], suffix: str = "") -> Any:
    """A name -> question (or answer) map as a list of dicts carrying the name as ``id``."""
    if not isinstance(values, Mapping):
        return values
    return [{**_tagged(value, fields, suffix), "id": name} for name, value in values.items()]


def span_input(state: Any, questions: Any, image_type: Optional[type] = None) -> dict[str, Any]:
    """The row input of a System One call: the state and the questions as a list.

    Args:
        state: The call's ``state``.
        questions: The call's ``questions`` (name -> question object or dict).
        image_type: TypeSafe's ``Image`` class, whose instances are omitted.
    """
    items = _items(questions, _QUESTION_FIELDS)
    if isinstance(items, list):
        items = [{k: _media(v, image_type) if k in ("instructions", "criteria") else v
                  for k, v in item.items()} for item in items]
    return {"state": _media(state, image_type), "questions": items}


def span_output(response: Any) -> dict[str, Any]:
    """The row output of a System One response: its answers as a list."""
    return {"answers": _items(getattr(response, "answers", None), _ANSWER_FIELDS, "Answer")}


def token_metrics(response: Any) -> dict[str, int]:
    """``prompt_tokens``, ``completion_tokens`` and their sum, from the response's usage."""
    usage = getattr(response, "usage", None)
    metrics: dict[str, int] = {}
    for key, attr in (("prompt_tokens", "input_tokens"), ("completion_tokens", "output_tokens")):
        value = getattr(usage, attr, None)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            metrics[key] = value
    if len(metrics) == 2:
        metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
    return metrics


def _argument(args: tuple[Any, ...], kwargs: Mapping[str, Any], name: str, index: int) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else None


def _start(tracer: trace.Tracer, instance: Any, args: tuple[Any, ...],
           kwargs: Mapping[str, Any]) -> Optional[trace.Span]:
    try:
        state = _argument(args, kwargs, "state", 0)
        questions = _argument(args, kwargs, "questions", 1)
        model = kwargs.get("model")
        extra = kwargs.get("extra_body")
        if isinstance(extra, Mapping):  # sent last, so it wins on the wire too
            state = extra.get("state", state)
            questions = extra.get("questions", questions)
            model = extra.get("model", model)
        if not isinstance(model, str):
            model = getattr(getattr(instance, "_config", None), "default_model", None)
        metadata: dict[str, Any] = {"provider": "typesafe"}
        if isinstance(model, str):
            metadata["model"] = model
        import typesafe_sdk

        image_type = getattr(typesafe_sdk, "Image", None)
        attrs = {
            A.SPAN_ATTRIBUTES: dumps({"type": "decision"}),
            A.INPUT: dumps(mask("input", span_input(state, questions, image_type))),
            A.METADATA: dumps(mask("metadata", metadata)),
        }
        return tracer.start_span(_NAME, attributes=attrs)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not trace {_NAME}", exc)
        return None


def _finish(span: trace.Span, instance: Any, response: Any) -> None:
    try:
        span.set_attribute(A.OUTPUT, dumps(mask("output", span_output(response))))
        metrics = token_metrics(response)
        if metrics:
            span.set_attribute(A.METRICS, dumps(metrics))
        model = getattr(response, "model", None)
        if isinstance(model, str):
            span.set_attribute(A.METADATA, dumps(mask("metadata", {
                "provider": "typesafe", "model": model})))
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not record {_NAME}", exc)
    span.end()


def _fail(span: trace.Span, exc: BaseException) -> None:
    record_exception(span, exc)
    span.set_attribute(A.ERROR, dumps(mask("error", str(exc) or type(exc).__name__)))
    span.end()


def wrap_typesafe(client: Any) -> Any:
    """Traces one TypeSafe client's ``system_one`` (sync or async) and returns it.

    Other clients are untouched; wrapping again changes nothing, and a client
    wrapped while the instrumentor is on keeps one span per call.
    """
    if is_traced(client) or not hasattr(client, "system_one"):
        return client
    tracer = trace.get_tracer(_SCOPE)
    is_async = type(client).__name__.startswith("Async")
    traced = _async_wrapper(tracer) if is_async else _sync_wrapper(tracer)

    def unless_instrumented(wrapped: Any, instance: Any, args: tuple[Any, ...],
                            kwargs: dict[str, Any]) -> Any:
        # Wrapped after the instrumentor: the method found is already its wrapper.
        if isinstance(wrapped, (wrapt.FunctionWrapper, wrapt.BoundFunctionWrapper)):
            return wrapped(*args, **kwargs)
        return traced(wrapped, client, args, kwargs)

    wrapt.wrap_function_wrapper(client, "system_one", unless_instrumented)
    mark_traced(client)
    return client


class TypeSafeInstrumentor(LazyInstrumentor):
    """Traces ``system_one`` on TypeSafe's sync and async clients."""

    library = "typesafe_sdk"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        import importlib

        tracer = trace.get_tracer(_SCOPE)
        for module_name, class_name, is_async in _TARGETS:
            owner = getattr(importlib.import_module(module_name), class_name)
            wrapper = _async_wrapper(tracer) if is_async else _sync_wrapper(tracer)
            wrapt.wrap_function_wrapper(owner, "system_one", wrapper)

    def _unpatch(self, **kwargs: Any) -> None:
        import importlib

        for module_name, class_name, _ in _TARGETS:
            owner = getattr(importlib.import_module(module_name), class_name)
            attr = owner.__dict__.get("system_one")
            if isinstance(attr, wrapt.FunctionWrapper):
                owner.system_one = attr.__wrapped__


def _sync_wrapper(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        span = _start(tracer, instance, args, kwargs)
        if span is None:
            return wrapped(*args, **kwargs)
        with trace.use_span(span, end_on_exit=False, record_exception=False,
                            set_status_on_exception=False):
            try:
                response = wrapped(*args, **kwargs)
            except BaseException as exc:
                _fail(span, exc)
                raise
        _finish(span, instance, response)
        return response

    return wrapper


def _async_wrapper(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        @functools.wraps(wrapped)
        async def run() -> Any:
            span = _start(tracer, instance, args, kwargs)
            if span is None:
                return await wrapped(*args, **kwargs)
            with trace.use_span(span, end_on_exit=False, record_exception=False,
                                set_status_on_exception=False):
                try:
                    response = await wrapped(*args, **kwargs)
                except BaseException as exc:
                    _fail(span, exc)
                    raise
            _finish(span, instance, response)
            return response

        return run()

    return wrapper
