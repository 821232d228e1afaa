"""auto_instrument, wrap_openai and wrap_anthropic: turning provider tracing on from code."""

from __future__ import annotations

import importlib
from typing import Any

from braintrust_otel import diagnostics
from braintrust_otel.instrumentation import INSTRUMENTORS, library_present

from . import _state

__all__ = ["auto_instrument", "wrap_anthropic", "wrap_openai"]

def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def auto_instrument(**flags: bool) -> dict[str, bool]:
    """Traces every supported LLM library that is installed.

    Calling it again is harmless: what is instrumented stays instrumented once.

    Args:
        **flags: ``openai=False`` (and so on) skips a library.

    Returns:
        Library name to whether it is now instrumented.

    Raises:
        TypeError: For a flag naming no supported library.
    """
    unknown = set(flags) - set(INSTRUMENTORS)
    if unknown:
        raise TypeError(f"auto_instrument(): unknown librar{'y' if len(unknown) == 1 else 'ies'} "
                        f"{', '.join(sorted(unknown))} (supported: "
                        f"{', '.join(sorted(INSTRUMENTORS))})")
    _state.tracer()
    result: dict[str, bool] = {}
    for name, supported in INSTRUMENTORS.items():
        if flags.get(name, True) is False or not library_present(supported.module):
            result[name] = False
            continue
        try:
            instrumentor = _load(supported.instrumentor)()
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument()
            result[name] = bool(instrumentor.is_instrumented_by_opentelemetry)
        except Exception as exc:
            diagnostics.report("instrumentation", f"could not instrument {name}", exc)
            result[name] = False
    return result


def wrap_openai(client: Any) -> Any:
    """Traces one ``openai.OpenAI`` or ``AsyncOpenAI`` client and returns it.

    Use it instead of :func:`auto_instrument` to trace a single client.
    """
    from braintrust_otel.instrumentation.openai import wrap_openai as wrap

    _state.tracer()
    return wrap(client)


def wrap_anthropic(client: Any) -> Any:
    """Traces one ``anthropic.Anthropic`` or ``AsyncAnthropic`` client and returns it."""
    from braintrust_otel.instrumentation.anthropic import wrap_anthropic as wrap

    _state.tracer()
    return wrap(client)
