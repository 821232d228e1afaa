"""Finding or creating the TracerProvider, and attaching our processor to it once."""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from .processor import BraintrustSpanProcessor

__all__ = ["add_braintrust_span_processor", "ensure_installed"]

_lock = threading.RLock()
_attached: weakref.WeakKeyDictionary[Any, BraintrustSpanProcessor] = weakref.WeakKeyDictionary()
_private: TracerProvider | None = None


def _find_processor(provider: Any) -> BraintrustSpanProcessor | None:
    found = _attached.get(provider)
    if found is not None:
        return found
    # A processor the user added by hand, without our helper.
    multi = getattr(provider, "_active_span_processor", None)
    for proc in getattr(multi, "_span_processors", ()):
        if isinstance(proc, BraintrustSpanProcessor):
            return proc
    return None


def add_braintrust_span_processor(
    provider: Any, processor: BraintrustSpanProcessor | None = None, **kwargs: Any
) -> BraintrustSpanProcessor:
    """Adds a Braintrust processor to ``provider`` unless one is there already.

    Args:
        provider: An SDK ``TracerProvider`` (anything with ``add_span_processor``).
        processor: The processor to add; by default one built from ``kwargs``.
        **kwargs: Passed to :class:`~braintrust_otel.processor.BraintrustSpanProcessor`.

    Returns:
        The processor attached to ``provider``.
    """
    with _lock:
        existing = _find_processor(provider)
        if existing is not None:
            return existing
        proc = processor if processor is not None else BraintrustSpanProcessor(**kwargs)
        provider.add_span_processor(proc)
        _attached[provider] = proc
        return proc


def ensure_installed(**kwargs: Any) -> tuple[Any, BraintrustSpanProcessor]:
    """Makes sure Braintrust spans reach a Braintrust processor.

    If the application (or ``opentelemetry-instrument``) already set an SDK
    ``TracerProvider``, the processor is added to it and the provider is left
    as it is; the user's own processors and exporters see every Braintrust
    span. Otherwise a provider is created and set globally. A third-party
    provider that cannot take processors gets a private SDK provider beside it.

    Args:
        **kwargs: Passed to the processor when one is created.

    Returns:
        ``(provider, processor)``.
    """
    global _private
    with _lock:
        provider: Any = trace.get_tracer_provider()
        if isinstance(provider, trace.ProxyTracerProvider):
            trace.set_tracer_provider(TracerProvider())
            # Another thread may have won the race; use whatever is global now.
            provider = trace.get_tracer_provider()
        if not hasattr(provider, "add_span_processor"):
            if _private is None:
                logging.getLogger("braintrust").warning(
                    "braintrust: the global TracerProvider (%s) cannot take span processors; "
                    "Braintrust spans use a private SDK provider",
                    type(provider).__name__,
                )
                _private = TracerProvider()
            provider = _private
        return provider, add_braintrust_span_processor(provider, **kwargs)
