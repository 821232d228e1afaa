"""Tracing for DSPy through OpenInference's DSPy instrumentor, plus token counts.

OpenInference's instrumentor (``openinference-instrumentation-dspy``) wraps
modules, predictors, adapters, tools and ``LM`` calls in spans that are
current while they run; the OpenInference mapper makes the rows (modules
``task``, ``LM.__call__`` ``llm`` with the messages, tools ``tool``). It does
not record token usage, and its ``LM`` span hides the provider call from the
provider instrumentors, so this instrumentor wraps ``LM.__call__`` and
``LM.acall`` beneath it and copies the usage DSPy keeps in the LM's history
onto that span.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .. import diagnostics
from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["DSPyInstrumentor"]

_instruments = ("dspy >= 2.6",)
_USAGE = (("prompt_tokens", "llm.token_count.prompt"),
          ("completion_tokens", "llm.token_count.completion"),
          ("total_tokens", "llm.token_count.total"))


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _usage_attributes(entry: Any) -> dict[str, Any]:
    """OpenInference token-count attributes from one DSPy LM history entry."""
    usage = _field(entry, "usage") or {}
    attrs = {attr: _field(usage, key) for key, attr in _USAGE}
    attrs["llm.token_count.prompt_details.cache_read"] = _field(
        _field(usage, "prompt_tokens_details"), "cached_tokens")
    attrs["llm.token_count.completion_details.reasoning"] = _field(
        _field(usage, "completion_tokens_details"), "reasoning_tokens")
    model = _field(entry, "response_model")
    if isinstance(model, str):
        attrs["llm.model_name"] = model
    return {k: v for k, v in attrs.items()
            if isinstance(v, (int, float, str)) and not isinstance(v, bool)}


def _last(instance: Any) -> Any:
    history = getattr(instance, "history", None)
    return history[-1] if isinstance(history, list) and history else None


def _record(instance: Any, before: Any) -> None:
    # The OpenInference LM span is the current span here (this wrapper runs
    # inside it); the history entry the call just added carries the usage.
    try:
        entry = _last(instance)
        span = trace.get_current_span()
        if entry is None or entry is before or not span.is_recording():
            return
        span.set_attributes(_usage_attributes(entry))
    except Exception as exc:
        diagnostics.report("instrumentation", "could not read DSPy token usage", exc)


def _call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    before = _last(instance)
    result = wrapped(*args, **kwargs)
    _record(instance, before)
    return result


async def _acall(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    before = _last(instance)
    result = await wrapped(*args, **kwargs)
    _record(instance, before)
    return result


class DSPyInstrumentor(LazyInstrumentor):
    """Turns on OpenInference's DSPy instrumentation, with token counts on ``LM`` spans.

    Needs ``openinference-instrumentation-dspy`` (the ``dspy`` extra); without
    it, :meth:`instrument` raises ``ImportError`` naming the package.
    """

    library = "dspy"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        try:
            from openinference.instrumentation import TraceConfig
            from openinference.instrumentation.dspy import (
                DSPyInstrumentor as OpenInferenceDSPy,
            )
        except ImportError as exc:
            raise ImportError("tracing DSPy needs openinference-instrumentation-dspy "
                              "(pip install 'braintrust-otel[dspy]')") from exc
        # Ours first, so OpenInference's span wraps it and is current inside.
        wrapt.wrap_function_wrapper("dspy", "LM.__call__", _call)
        wrapt.wrap_function_wrapper("dspy", "LM.acall", _acall)
        hide = None if capture_content() else True
        config = TraceConfig(hide_inputs=hide, hide_outputs=hide, hide_input_messages=hide,
                             hide_output_messages=hide)
        OpenInferenceDSPy().instrument(tracer_provider=kwargs.get("tracer_provider"),
                                       config=config)

    def _unpatch(self, **kwargs: Any) -> None:
        import dspy
        from openinference.instrumentation.dspy import DSPyInstrumentor as OpenInferenceDSPy

        OpenInferenceDSPy().uninstrument()
        unwrap(dspy.LM, "__call__")
        unwrap(dspy.LM, "acall")
