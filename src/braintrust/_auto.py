"""auto_instrument, wrap_openai and wrap_anthropic: turning provider tracing on from code."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Sequence
from typing import Any, Optional

from braintrust_otel import diagnostics, muting
from braintrust_otel.customize import set_span_customizers
from braintrust_otel.instrumentation import INSTRUMENTORS, OFFICIAL_FLAGS, library_present
from braintrust_otel.instrumentation._hooks import when_imported

from . import _state

__all__ = ["auto_instrument", "wrap_anthropic", "wrap_instructor", "wrap_litellm", "wrap_openai",
           "wrap_openrouter"]

#: Result keys that differ from the flag's name (as the official SDK reports them).
_RESULT_KEYS = {"bedrock": "bedrock_runtime"}

#: Libraries with an import hook waiting (so calling auto_instrument again adds none).
_armed: set[str] = set()
_armed_lock = threading.Lock()


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def auto_instrument(
    *,
    openai: bool = True,
    anthropic: bool = True,
    litellm: bool = True,
    ai_sdk: bool = True,
    pydantic_ai: bool = True,
    google_genai: bool = True,
    google_discoveryengine: bool = True,
    instructor: bool = True,
    openrouter: bool = True,
    mistral: bool = True,
    huggingface_hub: bool = True,
    transformers: bool = True,
    agno: bool = True,
    agentscope: bool = True,
    claude_agent_sdk: bool = True,
    cursor_sdk: bool = True,
    dspy: bool = True,
    adk: bool = True,
    langchain: bool = True,
    llamaindex: bool = True,
    openai_agents: bool = True,
    cohere: bool = True,
    autogen: bool = True,
    bedrock: bool = True,
    crewai: bool = True,
    strands: bool = True,
    temporal: bool = True,
    livekit_agents: bool = True,
    pipecat: bool = True,
    typesafe: bool = True,
    span_customizers: Optional[Sequence[Any]] = None,
) -> dict[str, bool]:
    """Traces every supported library that is installed, from the moment it is imported.

    Takes the official SDK's flags (one per library, all on by default).
    Nothing is imported here: each library is patched when the application
    imports it, or at once if it already has, so unused libraries cost
    nothing. Calling it again is harmless.

    Args:
        openai, anthropic, ...: ``False`` skips that library. Every flag name
            the official SDK takes is accepted; a library this package does
            not instrument yet reports False.
        span_customizers: Replaces the process-wide list of span customizers
            (see :func:`set_span_customizers`); None leaves it as it is.

    Returns:
        For each library whose flag is on: whether it is traced (now, or when
        it is imported). Disabled flags are left out. The ``bedrock`` flag
        reports under ``bedrock_runtime``, as the official SDK does.

    Raises:
        TypeError: When a flag is not a bool.
    """
    flags = {name: value for name, value in locals().items() if name in OFFICIAL_FLAGS}
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise TypeError(f"auto_instrument(): {name} must be a bool, "
                            f"not {type(value).__name__}")
    if span_customizers is not None:
        set_span_customizers(span_customizers)
    _state.tracer()
    result: dict[str, bool] = {}
    for name in OFFICIAL_FLAGS:
        if not flags[name]:
            _leave_out(name)
            continue
        result[_RESULT_KEYS.get(name, name)] = _instrument(name)
    return result


def _leave_out(name: str) -> None:
    """A flag that is off: the spans its library makes by itself (Strands, ADK
    and AutoGen make them with no instrumentor) stay out of Braintrust until
    the library is instrumented again (AutoGen's stay out then too)."""
    if name not in muting.OWN_SPAN_SCOPES:
        return
    target = INSTRUMENTORS[name].instrumentor
    if target.partition(":")[0] in sys.modules:  # loaded, so maybe on: turn it off
        instrumentor = _load(target)()
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    muting.mute(name)


def instrument_one(name: str) -> bool:
    """Turns on one library's instrumentation (a registry name); whether it is on."""
    _state.tracer()
    return _instrument(name)


def _instrument(name: str) -> bool:
    supported = INSTRUMENTORS.get(name)
    if supported is None or not library_present(supported.module):
        return False
    if supported.module not in sys.modules:
        # Not imported yet: arm a hook and import nothing now (start-up cost).
        with _armed_lock:
            if name not in _armed:
                _armed.add(name)
                when_imported(supported.module, lambda module: _activate(name))
        return True
    try:
        return _activate(name)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not instrument {name}", exc)
        return False


def _activate(name: str) -> bool:
    instrumentor = _load(INSTRUMENTORS[name].instrumentor)()
    if not instrumentor.is_instrumented_by_opentelemetry:
        # The version check reads package metadata (slow); a library too old
        # to patch is reported when patching fails instead.
        instrumentor.instrument(skip_dep_check=True)
    return bool(instrumentor.is_instrumented_by_opentelemetry)


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


def wrap_litellm(litellm: Any) -> Any:
    """Traces the ``litellm`` module's completion, embedding and responses calls.

    Args:
        litellm: The imported ``litellm`` module.

    Returns:
        The same module.
    """
    from braintrust_otel.instrumentation.litellm import wrap_litellm as wrap

    _state.tracer()
    return wrap(litellm)


def wrap_instructor(client: Any) -> Any:
    """Traces one ``instructor`` client: a ``task`` span per ``create`` call.

    The provider client inside is traced only if it is wrapped or instrumented too.

    Args:
        client: An ``instructor.Instructor`` or ``AsyncInstructor``.

    Returns:
        The same client.
    """
    from braintrust_otel.instrumentation.instructor import wrap_instructor as wrap

    _state.tracer()
    return wrap(client)


def wrap_openrouter(client: Any) -> Any:
    """Traces one ``openrouter.OpenRouter`` client's chat and embedding calls.

    Args:
        client: The client.

    Returns:
        The same client.
    """
    from braintrust_otel.instrumentation.openrouter import wrap_openrouter as wrap

    _state.tracer()
    return wrap(client)
