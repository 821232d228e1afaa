"""What every provider instrumentor shares: the LLM span and traced streams."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Mapping
from typing import Any, Optional

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from .. import attributes as A
from .. import diagnostics, muting
from ..attachments import extract_data_urls
from ..masking import mask, record_exception
from ..serialize import dumps
from ..settings import CAPTURE_CONTENT
from ._llm_streams import (
    traced_async_iterable as traced_async_iterable,
)
from ._llm_streams import (
    traced_async_stream,
    traced_stream,
)
from ._llm_streams import (
    traced_iterable as traced_iterable,
)

__all__ = ["LLMCall", "capture_content", "traced_async_stream", "traced_stream"]

#: Set while an instrumented call runs, so a client wrapped twice (by the
#: instrumentor and by wrap_openai, say) makes one span, not two.
_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("braintrust_llm_active",
                                                               default=False)

_GENAI_PARAMS = {"temperature": "temperature", "top_p": "top_p", "top_k": "top_k",
                 "max_tokens": "max_tokens", "max_completion_tokens": "max_tokens",
                 "max_output_tokens": "max_tokens", "frequency_penalty": "frequency_penalty",
                 "presence_penalty": "presence_penalty", "seed": "seed"}


def capture_content() -> bool:
    """Whether prompts and completions are recorded (``BRAINTRUST_CAPTURE_CONTENT``, true)."""
    return CAPTURE_CONTENT.get()


#: Operations whose span already stands for one model call.
_MODEL_CALL_OPS = frozenset(("chat", "text_completion", "generate_content", "embeddings"))


def _in_framework_model_call() -> bool:
    # A framework that traces its own model calls (Pydantic AI's ``chat`` span,
    # an OpenInference ``LLM`` span) makes that span current around the provider
    # request: a second llm row for the same call would double every token count.
    span = trace.get_current_span()
    attrs = getattr(span, "attributes", None)
    if not attrs:
        return False
    if muting.muted_scopes():
        # A muted library's span makes no row, so the provider's row must stand.
        scope = getattr(span, "instrumentation_scope", None)
        if muting.is_muted(getattr(scope, "name", None)):
            return False
    return (attrs.get("gen_ai.operation.name") in _MODEL_CALL_OPS
            or attrs.get("openinference.span.kind") == "LLM")


def active() -> bool:
    """True inside an instrumented call, or inside a framework's own model-call span
    (nested wrappers then pass through)."""
    return _ACTIVE.get() or _in_framework_model_call()


def mark_model_call() -> contextvars.Token[bool]:
    """Marks the current context as inside a traced model call, so the provider
    instrumentors add no row of their own; undo with :func:`unmark_model_call`."""
    return _ACTIVE.set(True)


def unmark_model_call(token: contextvars.Token[bool]) -> None:
    """Undoes :func:`mark_model_call` (quietly, if called from another context)."""
    try:
        _ACTIVE.reset(token)
    except ValueError:
        pass


class LLMCall:
    """One LLM request as a span: Braintrust fields and GenAI attributes.

    Args:
        tracer: The instrumentor's tracer.
        name: The span name (``Chat Completion``, ``anthropic.messages.create``...).
        provider: ``openai``, ``anthropic``, ``gcp.gen_ai``...
        operation: The GenAI operation (``chat``, ``embeddings``, ...).
        model: The requested model.
        input: The request's messages (or input), recorded unless content
            capture is off.
        params: Other request parameters, recorded as metadata.
        span_type: The Braintrust span type (``llm``; ``task`` for ranking and the like).
    """

    def __init__(self, tracer: trace.Tracer, name: str, provider: str, operation: str,
                 model: Any, input: Any, params: Mapping[str, Any],
                 span_type: str = "llm") -> None:
        self._done = False
        self._first_token: Optional[float] = None
        self._start = time.perf_counter()
        self._capture = capture_content()
        attrs: dict[str, Any] = {
            A.SPAN_ATTRIBUTES: dumps({"type": span_type}),
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": provider,
        }
        if isinstance(model, str):
            attrs["gen_ai.request.model"] = model
        extra = dict(params)
        span_info = extra.pop("span_info", None)
        for key, genai in _GENAI_PARAMS.items():
            value = extra.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attrs[f"gen_ai.request.{genai}"] = value
        metadata = {"provider": provider, **({"model": model} if model is not None else {}),
                    **extra}
        if isinstance(span_info, Mapping) and isinstance(span_info.get("metadata"), Mapping):
            metadata.update(span_info["metadata"])  # the prompt a build() call came from
        self._metadata = metadata
        self._tracer = tracer
        try:
            attrs[A.METADATA] = dumps(mask("metadata", metadata))
            if self._capture:
                # Images and files sent inline become attachments, not huge strings.
                attrs[A.INPUT] = dumps(mask("input", extract_data_urls(input)))
        except Exception as exc:
            diagnostics.report("instrumentation", "could not record an LLM request", exc)
        self.span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attrs)


    @property
    def request_metadata(self) -> Mapping[str, Any]:
        """The metadata the request gave the span (provider, model, parameters)."""
        return self._metadata
    def activate(self) -> tuple[object, contextvars.Token[bool]]:
        """Makes the span current for the request itself (HTTP spans nest under it)."""
        token = otel_context.attach(trace.set_span_in_context(self.span))
        return token, _ACTIVE.set(True)

    @staticmethod
    def deactivate(tokens: tuple[object, contextvars.Token[bool]]) -> None:
        otel_context.detach(tokens[0])  # type: ignore[arg-type]
        _ACTIVE.reset(tokens[1])

    def elapsed(self) -> float:
        """Seconds since the call started."""
        return time.perf_counter() - self._start

    def first_token(self) -> None:
        """Notes the time of the first streamed token."""
        if self._first_token is None:
            self._first_token = time.perf_counter() - self._start

    def tool_call(self, name: str, input: Any, metadata: Optional[Mapping[str, Any]],
                  output: Any = None) -> None:
        """Records a tool call (asked for by the model, or run by the provider and
        then with its ``output``) as a finished ``tool: name`` child span."""
        try:
            attrs: dict[str, Any] = {A.SPAN_ATTRIBUTES: '{"type":"tool"}'}
            if metadata:
                attrs[A.METADATA] = dumps(mask("metadata", dict(metadata)))
            if self._capture:
                attrs[A.INPUT] = dumps(mask("input", input))
                if output is not None:
                    attrs[A.OUTPUT] = dumps(mask("output", output))
            context = trace.set_span_in_context(self.span)
            self._tracer.start_span(f"tool: {name}", context=context, attributes=attrs).end()
        except Exception as exc:
            diagnostics.report("instrumentation", "could not record a tool call", exc)

    def finish(self, output: Any = None, usage: Optional[Mapping[str, Any]] = None,
               response_model: Any = None, response_id: Any = None,
               finish_reasons: Optional[list[Any]] = None,
               metadata: Optional[Mapping[str, Any]] = None) -> None:
        """Records the response and ends the span (once).

        ``metadata`` adds to (or replaces keys of) the request's metadata.
        """
        if self._done:
            return
        self._done = True
        try:
            attrs: dict[str, Any] = {}
            metrics = {k: v for k, v in (usage or {}).items() if isinstance(v, (int, float))}
            if self._first_token is not None:
                metrics["time_to_first_token"] = self._first_token
            if metrics:
                attrs[A.METRICS] = dumps(metrics)
            if self._capture and output is not None:
                attrs[A.OUTPUT] = dumps(mask("output", output))
            if metadata:
                self._metadata.update(metadata)
                attrs[A.METADATA] = dumps(mask("metadata", self._metadata))
            if isinstance(response_model, str):
                attrs["gen_ai.response.model"] = response_model
            if isinstance(response_id, str):
                attrs["gen_ai.response.id"] = response_id
            if finish_reasons:
                attrs["gen_ai.response.finish_reasons"] = [str(f) for f in finish_reasons
                                                           if f is not None]
            for key, genai in (("prompt_tokens", "input_tokens"),
                               ("completion_tokens", "output_tokens")):
                if isinstance(metrics.get(key), int):
                    attrs[f"gen_ai.usage.{genai}"] = metrics[key]
            self.span.set_attributes(attrs)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not record an LLM response", exc)
        self.span.end()

    def fail(self, exc: BaseException) -> None:
        """Records an exception and ends the span (once)."""
        if self._done:
            return
        self._done = True
        try:
            record_exception(self.span, exc)  # masked: the error text may quote content
            self.span.set_attribute("error.type", type(exc).__qualname__)
        except Exception as err:
            diagnostics.report("instrumentation", "could not record an LLM error", err)
        self.span.end()


def dump(obj: Any, nones: bool = False) -> Any:
    """A pydantic response object (or anything) as plain data, without Nones unless asked."""
    fn = getattr(obj, "model_dump", None)
    if callable(fn):
        try:
            return fn(exclude_none=not nones, mode="json", warnings=False)
        except Exception:
            return fn()
    return obj


def get(obj: Any, *path: str) -> Any:
    """``obj.a.b`` (attributes or dict keys), or None when any step is missing."""
    for key in path:
        if obj is None:
            return None
        obj = obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)
    return obj


def shape_of(value: Any) -> Optional[list[int]]:
    """The dimensions of an array, tensor or nested list, without reading its values."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        try:
            return [int(n) for n in shape]
        except (TypeError, ValueError, OverflowError):
            return None
    out: list[int] = []
    while isinstance(value, list):
        out.append(len(value))
        if not value:
            break
        value = value[0]
    return out or None
