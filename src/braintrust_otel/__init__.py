"""The OpenTelemetry layer of braintrust-otel.

Use it directly to send spans from any OTel instrumentation to Braintrust
(the embedded store, or the Braintrust service)::

    from opentelemetry.sdk.trace import TracerProvider
    from braintrust_otel import add_braintrust_span_processor

    provider = TracerProvider()
    add_braintrust_span_processor(provider)

It never imports the ``braintrust`` facade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import VERSION
from .exporter import BraintrustSpanExporter
from .mapping import span_to_row
from .processor import BraintrustSpanProcessor, is_ai_span
from .provider import add_braintrust_span_processor, ensure_installed
from .settings import Settings, get_settings

if TYPE_CHECKING:
    from .store import Store, default_store_path

__all__ = [
    "BraintrustSpanExporter",
    "BraintrustSpanProcessor",
    "Settings",
    "Store",
    "add_braintrust_span_processor",
    "default_store_path",
    "ensure_installed",
    "get_settings",
    "is_ai_span",
    "span_to_row",
]

__version__ = VERSION


def __getattr__(name: str) -> Any:
    # The store (and sqlite3) loads on first use: a process that sends to the
    # Braintrust API never opens it.
    if name in ("Store", "default_store_path"):
        from . import store

        return getattr(store, name)
    raise AttributeError(f"module 'braintrust_otel' has no attribute {name!r}")
