"""The DSPy callback that makes OTel spans with Braintrust fields (imports ``dspy``).

DSPy reports each module, adapter (format and parse), LM, tool and
``Evaluate`` call to its callbacks, before and after the call, with the call's
arguments and result. :class:`DSPyTracer` turns each into a span named and
filled as the official SDK's DSPy rows are: ``dspy.module.<Class>`` (``task``),
``dspy.adapter.format`` / ``dspy.adapter.parse`` (``task``), ``dspy.lm`` (no
type: the provider request under it, LiteLLM's ``Completion``, is the ``llm``
row), the tool by its name (``tool``) and ``dspy.evaluate`` (``task``). Each
span is current while its call runs, so what the call does nests under it.

Every instance shares one table of calls in flight: when two tracers see the
same call (one configured globally, one passed to an LM), only the first
makes a span.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Mapping
from typing import Any, Optional

from dspy.utils.callback import BaseCallback
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from .. import attributes as A
from .. import diagnostics
from .._version import VERSION
from ..attachments import extract_data_urls
from ..masking import mask
from ..serialize import dumps
from ._llm import capture_content

__all__ = ["DSPyTracer"]

_SCOPE = "braintrust_otel.instrumentation.dspy"
#: LM call arguments kept as metadata (as the official SDK keeps them).
_LM_PARAMS = ("temperature", "max_tokens", "top_p", "top_k", "stop")
#: Evaluate results kept as metadata too.
_EVAL_RESULTS = ("accuracy", "score", "total", "correct")
_USAGE = (("prompt_tokens", "prompt_tokens"), ("completion_tokens", "completion_tokens"),
          ("total_tokens", "tokens"))


class _Call:
    __slots__ = ("history_mark", "inputs", "lm", "metadata", "span", "token")

    def __init__(self, span: trace.Span, token: Any, metadata: Mapping[str, Any]) -> None:
        self.span = span
        self.token = token
        self.metadata = metadata
        self.lm: Any = None
        self.inputs: Any = None
        self.history_mark: Any = None


_calls: dict[str, _Call] = {}
_calls_lock = threading.Lock()


def plain(value: Any, _depth: int = 0) -> Any:
    """A DSPy value as the JSON-like data a row shows.

    Examples and Predictions become dicts of their fields, Pydantic models
    their non-None fields, Pydantic model classes (signatures) their JSON
    schema, and large data URLs (images) attachments.
    """
    if _depth > 50:
        return value
    if isinstance(value, type):
        schema = getattr(value, "model_json_schema", None)
        if callable(schema):
            try:
                return plain(schema(), _depth + 1)
            except Exception:
                return value
        return value
    if isinstance(value, str):
        return extract_data_urls(value)
    if isinstance(value, Mapping):
        return {k: plain(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, _depth + 1) for v in value]
    items = getattr(value, "items", None)
    if callable(items) and type(value).__module__.startswith("dspy."):
        try:
            return {k: plain(v, _depth + 1) for k, v in items()}
        except Exception:
            return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return plain(dump(exclude_none=True), _depth + 1)
        except Exception:
            return value
    return value


def _restore(token: Any) -> None:
    # An async call may end in a copy of the context it started in; resetting
    # there raises, and there is nothing to restore anyway.
    try:
        if isinstance(token, contextvars.Token):
            token.var.reset(token)
        else:
            otel_context.detach(token)
    except (ValueError, RuntimeError):
        pass


def _class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__name__}"


def _provider(lm: Any, model: Any) -> Optional[str]:
    provider = getattr(lm, "provider", None)
    if isinstance(provider, str) and provider:
        return provider
    if isinstance(model, str) and "/" in model:
        return model.split("/", 1)[0]
    return None


def _last_entry(lm: Any) -> Any:
    history = getattr(lm, "history", None)
    return history[-1] if isinstance(history, list) and history else None


def lm_usage(lm: Any, inputs: Mapping[str, Any], mark: Any, outputs: Any) -> dict[str, int]:
    """Token metrics of one LM call, from the entry it added to the LM's history.

    Args:
        lm: The DSPy LM.
        inputs: The call's arguments (``prompt``, ``messages``).
        mark: The history's last entry before the call (None: it was empty).
        outputs: What the call returned (DSPy keeps that same object in the entry).

    Returns:
        ``prompt_tokens``, ``completion_tokens`` and ``tokens``, those known;
        nothing when the entry is not found for certain (concurrent calls).
    """
    history = getattr(lm, "history", None)
    if not isinstance(history, list):
        return {}
    start = 0
    if mark is not None:
        found = next((i for i, e in enumerate(history) if e is mark), None)
        if found is None:
            return {}
        start = found + 1
    same_input = [e for e in history[start:] if isinstance(e, dict)
                  and e.get("prompt") == inputs.get("prompt")
                  and e.get("messages") == inputs.get("messages")]
    # Identity first: it tells apart concurrent calls with equal results.
    entries = ([e for e in same_input if e.get("outputs") is outputs]
               or [e for e in same_input if e.get("outputs") == outputs])
    usage = entries[0].get("usage") if len(entries) == 1 else None
    if not isinstance(usage, Mapping):
        return {}
    return {target: value for source, target in _USAGE
            if isinstance(value := usage.get(source), int) and not isinstance(value, bool)
            and value >= 0}


class DSPyTracer(BaseCallback):  # type: ignore[misc]
    """A DSPy callback that traces modules, adapters, LM calls, tools and evaluations.

    Args:
        tracer_provider: Where spans go (the global provider by default).
    """

    def __init__(self, tracer_provider: Any = None) -> None:
        super().__init__()
        self._tracer = trace.get_tracer(_SCOPE, VERSION, tracer_provider)

    # span bookkeeping

    def _start(self, call_id: str, name: str, span_type: Optional[str], inputs: Any,
               metadata: Mapping[str, Any]) -> Optional[_Call]:
        with _calls_lock:
            if call_id in _calls:
                return None  # another tracer has this call
        try:
            # A null type keeps the row untyped (the mapper would say "function").
            attrs: dict[str, Any] = {A.SPAN_ATTRIBUTES: dumps({"type": span_type})}
            if capture_content() and inputs is not None:
                attrs[A.INPUT] = dumps(mask("input", plain(inputs)))
            if metadata:
                attrs[A.METADATA] = dumps(mask("metadata", plain(metadata)))
            span = self._tracer.start_span(name, attributes=attrs)
            call = _Call(span, otel_context.attach(trace.set_span_in_context(span)), metadata)
            with _calls_lock:
                _calls[call_id] = call
            return call
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace a DSPy call", exc)
            return None

    def _end(self, call_id: str, outputs: Any, exception: Optional[BaseException],
             metrics: Optional[Mapping[str, Any]] = None,
             metadata: Optional[Mapping[str, Any]] = None) -> None:
        with _calls_lock:
            call = _calls.pop(call_id, None)
        if call is None:
            return
        try:
            _restore(call.token)
            attrs: dict[str, Any] = {}
            if capture_content() and outputs is not None:
                attrs[A.OUTPUT] = dumps(mask("output", plain(outputs)))
            if metrics:
                attrs[A.METRICS] = dumps(dict(metrics))
            if metadata:
                merged = {**call.metadata, **metadata}
                attrs[A.METADATA] = dumps(mask("metadata", plain(merged)))
            call.span.set_attributes(attrs)
            if exception is not None:
                call.span.record_exception(exception)
                call.span.set_status(Status(StatusCode.ERROR,
                                            f"{type(exception).__name__}: {exception}"))
        except Exception as exc:
            diagnostics.report("instrumentation", "could not record a DSPy call", exc)
        call.span.end()

    # DSPy's callback methods

    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Starts a ``dspy.module.<Class>`` span."""
        self._start(call_id, f"dspy.module.{type(instance).__name__}", "task", inputs,
                    {"module_class": _class_path(instance)})

    def on_module_end(self, call_id: str, outputs: Any,
                      exception: Optional[BaseException] = None) -> None:
        """Ends a module's span."""
        self._end(call_id, outputs, exception)

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Starts a ``dspy.lm`` span (model, provider and sampling parameters as metadata)."""
        metadata: dict[str, Any] = {}
        model = getattr(instance, "model", None)
        if model is not None:
            metadata["model"] = model
        provider = _provider(instance, model)
        if provider is not None:
            metadata["provider"] = provider
        metadata.update((k, inputs[k]) for k in _LM_PARAMS if k in inputs)
        call = self._start(call_id, "dspy.lm", None, inputs, metadata)
        if call is not None:
            call.lm, call.inputs = instance, dict(inputs)
            call.history_mark = _last_entry(instance)

    def on_lm_end(self, call_id: str, outputs: Any,
                  exception: Optional[BaseException] = None) -> None:
        """Ends an LM call's span, with its token counts from the LM's history."""
        with _calls_lock:
            call = _calls.get(call_id)
        metrics: dict[str, int] = {}
        if call is not None and outputs is not None:
            try:
                metrics = lm_usage(call.lm, call.inputs, call.history_mark, outputs)
            except Exception as exc:
                diagnostics.report("instrumentation", "could not read DSPy token usage", exc)
        self._end(call_id, outputs, exception, metrics)

    def on_adapter_format_start(self, call_id: str, instance: Any,
                                inputs: dict[str, Any]) -> None:
        """Starts a ``dspy.adapter.format`` span."""
        self._start(call_id, "dspy.adapter.format", "task", inputs,
                    {"adapter_class": _class_path(instance)})

    def on_adapter_format_end(self, call_id: str, outputs: Any,
                              exception: Optional[BaseException] = None) -> None:
        """Ends an adapter format span."""
        self._end(call_id, outputs, exception)

    def on_adapter_parse_start(self, call_id: str, instance: Any,
                               inputs: dict[str, Any]) -> None:
        """Starts a ``dspy.adapter.parse`` span."""
        self._start(call_id, "dspy.adapter.parse", "task", inputs,
                    {"adapter_class": _class_path(instance)})

    def on_adapter_parse_end(self, call_id: str, outputs: Any,
                             exception: Optional[BaseException] = None) -> None:
        """Ends an adapter parse span."""
        self._end(call_id, outputs, exception)

    def on_tool_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Starts a ``tool`` span named after the tool."""
        name = getattr(instance, "name", None) or getattr(instance, "__name__", None) \
            or getattr(getattr(instance, "func", None), "__name__", None) or "unknown"
        self._start(call_id, str(name), "tool", inputs, {})

    def on_tool_end(self, call_id: str, outputs: Any,
                    exception: Optional[BaseException] = None) -> None:
        """Ends a tool's span."""
        self._end(call_id, outputs, exception)

    def on_evaluate_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Starts a ``dspy.evaluate`` span (metric name and thread count as metadata)."""
        metadata: dict[str, Any] = {}
        metric_name = getattr(getattr(instance, "metric", None), "__name__", None)
        if metric_name:
            metadata["metric"] = metric_name
        if hasattr(instance, "num_threads"):
            metadata["num_threads"] = instance.num_threads
        self._start(call_id, "dspy.evaluate", "task", inputs, metadata)

    def on_evaluate_end(self, call_id: str, outputs: Any,
                        exception: Optional[BaseException] = None) -> None:
        """Ends an evaluation's span; its accuracy, score and counts go in metadata too."""
        extra = ({k: outputs[k] for k in _EVAL_RESULTS if k in outputs}
                 if isinstance(outputs, Mapping) else {})
        self._end(call_id, outputs, exception, metadata=extra)
