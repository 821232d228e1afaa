"""Process-wide facade state: the tracer, the processor, the current logger."""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any, Optional

from opentelemetry import trace

from braintrust_otel import BraintrustSpanProcessor, ensure_installed
from braintrust_otel.exporter import BraintrustSpanExporter
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.store import Store

if TYPE_CHECKING:
    from ._logger import Logger

VERSION = "0.1.0"
TRACER_NAME = "braintrust"

_lock = threading.Lock()
_tracer: Optional[trace.Tracer] = None
_processor: Optional[BraintrustSpanProcessor] = None
current_logger: Optional[Logger] = None

#: Parents of loggers made with ``async_flush=False``: their spans flush on end.
sync_parents: set[str | None] = set()

#: Process-wide span counter, recorded in ``span_attributes.exec_counter``.
exec_counter = itertools.count(1)


def _default_parent() -> str | None:
    logger = current_logger
    return logger.parent if logger is not None else None


def tracer() -> trace.Tracer:
    """The tracer every facade span comes from; installs the pipeline on first use."""
    global _tracer, _processor
    found = _tracer
    if found is not None:
        return found
    with _lock:
        if _tracer is None:
            provider, _processor = ensure_installed(default_parent=_default_parent)
            _tracer = provider.get_tracer(TRACER_NAME, VERSION)
        return _tracer


def processor() -> BraintrustSpanProcessor:
    """The Braintrust processor on the active provider."""
    tracer()
    assert _processor is not None
    return _processor


def exporter() -> BraintrustSpanExporter:
    """The Braintrust exporter behind the processor."""
    exp: Any = processor().exporter
    if not isinstance(exp, BraintrustSpanExporter):
        raise RuntimeError("the Braintrust processor is not using a BraintrustSpanExporter")
    return exp


def flush(timeout: float = 30.0) -> bool:
    """Delivers every finished span; returns False if that did not finish in time."""
    if _processor is None:
        return True
    return _processor.force_flush(int(timeout * 1000))


def write_rows(rows: list[dict[str, Any]]) -> None:
    """Writes rows that are not spans (late merges) straight to the sink, after the spans."""
    from braintrust_otel import diagnostics

    try:
        flush()
        exporter().sink.write(rows)
    except Exception as exc:
        diagnostics.report("dropped", f"could not write {len(rows)} rows", exc, n=len(rows))


def local_store() -> Store | None:
    """The embedded store rows go to, or None when they go elsewhere."""
    sink = exporter().sink
    return sink.store if isinstance(sink, LocalSink) else None


def resolve_project_id(name: str) -> str | None:
    """The id of a project by name, when it can be known without a network call."""
    try:
        store = local_store()
        return store.ensure_project(name=name)["id"] if store is not None else None
    except Exception:
        return None
