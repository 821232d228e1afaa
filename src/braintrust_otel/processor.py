"""BraintrustSpanProcessor: parent stamping, an optional AI-span filter, and batching.

The stock ``BatchSpanProcessor`` drops every span past its queue size (2,048
by default). This one never drops while the exporter keeps up: its queue is
bounded by a high water mark at which the producing thread waits for the
worker (backpressure) for a bounded time, and only a span that still finds
no room after that is dropped, counted and reported.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable
from itertools import repeat, starmap
from typing import Optional

from opentelemetry import baggage, context, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.trace import SpanContext

from . import attributes as A
from . import diagnostics, muting, settings
from .exporter import BraintrustSpanExporter
from .mapping.facade import FacadeRecord, facade_record
from .parent import default_parent
from .serialize import dumps
from .settings import get_settings

__all__ = ["AI_PREFIXES", "BraintrustSpanProcessor", "is_ai_span", "parent_in_context"]

AI_PREFIXES = ("gen_ai.", "braintrust.", "llm.", "ai.", "traceloop.")

SpanFilter = Callable[[ReadableSpan], Optional[bool]]


def inherit_chosen_ids(span: Span, ctx: Context | None = None) -> None:
    """Continues a trace whose row ids were chosen (``braintrust.root_span_id`` /
    ``braintrust.span_id`` on the parent span, from the facade's
    ``start_span(span_id=, root_span_id=)``): the span gets the chosen root, and
    names the parent's chosen span id as its parent. It then carries the root
    itself, so the whole subtree follows, whatever instrumentation made it.
    """
    try:
        if getattr(span, "parent", True) is None:
            # A trace's first span (the SDK found no valid span in ``ctx``): there
            # is no parent row to continue, and no lookup is needed to know it.
            return
        parent_span = trace.get_current_span(ctx)
        # The SDK's attribute dict, read directly (see on_start): a child span
        # otherwise pays the proxy and a KeyError raised and caught per lookup.
        inner = getattr(getattr(parent_span, "_attributes", None), "_dict", None)
        parent_attrs = inner if type(inner) is dict else getattr(parent_span, "attributes", None)
        if not parent_attrs:
            return
        root = parent_attrs.get(A.ROOT_SPAN_ID)
        if not isinstance(root, str):
            return
        chosen: dict[str, str] = {A.ROOT_SPAN_ID: root}
        parent_id = parent_attrs.get(A.SPAN_ID)
        if isinstance(parent_id, str):
            chosen[A.SPAN_PARENTS] = dumps([parent_id])
        span.set_attributes(chosen)
    except Exception as exc:
        diagnostics.report("parent", "could not carry the chosen span ids", exc)


def parent_in_context(ctx: Context | None = None) -> str | None:
    """The ``braintrust.parent`` a context names, or None.

    Looked up in the context value ``braintrust.parent``, then W3C baggage,
    then the attributes of the context's current span.

    Args:
        ctx: The context; the current one by default.
    """
    value = context.get_value(A.PARENT_CONTEXT_KEY, ctx)
    if isinstance(value, str):
        return value
    value = baggage.get_baggage(A.PARENT, ctx)
    if isinstance(value, str):
        return value
    parent_attrs = getattr(trace.get_current_span(ctx), "attributes", None)
    if parent_attrs:
        value = parent_attrs.get(A.PARENT)
        if isinstance(value, str):
            return value
    return None


def _own(span: ReadableSpan | Span) -> bool:
    """Whether the facade or one of this package's instrumentors made the span."""
    scope = span.instrumentation_scope
    return scope is not None and (scope.name == A.FACADE_SCOPE
                                  or scope.name.startswith(A.OWN_SCOPE_PREFIX))


def is_ai_span(span: ReadableSpan, ignore: frozenset[str] = frozenset()) -> bool:
    """True when the span's name or any attribute key has an AI prefix (``gen_ai.``, ...).

    Args:
        span: The finished span.
        ignore: Attribute keys that do not count.
    """
    if span.name.startswith(AI_PREFIXES):
        return True
    return any(key.startswith(AI_PREFIXES) and key not in ignore
               for key in (span.attributes or {}))


_PARENT_ONLY = frozenset((A.PARENT,))

#: The nearest kept ancestor of a muted span (None: the trace root), and the
#: ``braintrust.span_parents`` naming it when its row's span id was chosen.
_Kept = tuple[Optional[SpanContext], Optional[str]]

#: How many ended muted spans are remembered for children that start late.
_ENDED_MUTED_KEPT = 4096


def _takes_records(exporter: SpanExporter) -> bool:
    # Whether export() takes facade records in place of facade spans: a
    # subclass of BraintrustSpanExporter that overrides export() (and may
    # read the spans) gets spans unless it, or a class below it, opts in.
    for cls in type(exporter).__mro__:
        found = vars(cls)
        if "maps_facade_records" in found:
            return found["maps_facade_records"] is True
        if "export" in found:
            return False
    return False


class BraintrustSpanProcessor(SpanProcessor):
    """Sends finished spans to Braintrust through a background worker.

    Args:
        exporter: The exporter batches go to; by default a
            :class:`~braintrust_otel.exporter.BraintrustSpanExporter`. That
            exporter is handed the facade's spans as records (tuples of what
            their rows need: see ``mapping.facade.facade_record``), so a
            queued span does not stay alive for the garbage collector to walk;
            any other exporter gets the spans themselves.
        default_parent: The ``braintrust.parent`` for spans whose context
            names none: a string or a callable returning one. Falls back to
            ``BRAINTRUST_PARENT``, then ``project_name:default-otel-project``.
            When a callable returns None (the facade with no logger) and
            ``BRAINTRUST_PARENT`` is unset, spans of the facade and of this
            package's instrumentors are not recorded, as in the official SDK.
        filter_ai_spans: Keep only AI spans (see :func:`is_ai_span`).
        custom_filter: Called with each finished span; True keeps it, False
            drops it, None leaves the decision to ``filter_ai_spans``.
        max_batch_size: Spans per export call (``OTEL_BSP_MAX_EXPORT_BATCH_SIZE``, 512),
            and how many queued spans wake the worker; a sink with a larger
            ``rows_per_write`` (the embedded store) takes up to that many.
        schedule_delay: Seconds the worker waits for a full batch
            (``OTEL_BSP_SCHEDULE_DELAY`` in milliseconds, 500).
        max_queue_size: Spans held before producers wait
            (``BRAINTRUST_QUEUE_SIZE``, 20,000: a queued span takes about 3 KB).
        block_timeout: Seconds a producer waits for room before the span is
            dropped and counted (``BRAINTRUST_QUEUE_BLOCK_SECONDS``, 10).
    """

    def __init__(
        self,
        exporter: SpanExporter | None = None,
        *,
        default_parent: str | Callable[[], str | None] | None = None,
        filter_ai_spans: bool = False,
        custom_filter: SpanFilter | None = None,
        max_batch_size: int | None = None,
        schedule_delay: float | None = None,
        max_queue_size: int | None = None,
        block_timeout: float | None = None,
    ) -> None:
        self.exporter = exporter if exporter is not None else BraintrustSpanExporter()
        self._records = _takes_records(self.exporter)
        self._default_parent = default_parent
        self._filter_ai = filter_ai_spans
        self._custom_filter = custom_filter
        env = get_settings()
        self._batch = int(max_batch_size or env.otel_bsp_max_export_batch_size)
        self._delay = (
            schedule_delay
            if schedule_delay is not None
            else env.otel_bsp_schedule_delay / 1000
        )
        self._max_queue = int(max_queue_size or env.queue_size)
        self._block = block_timeout if block_timeout is not None else env.queue_block_seconds
        self._shutdown = False
        # Span ids whose braintrust.parent this processor gave by default: that
        # attribute alone does not make a span an AI span for the filter.
        self._defaulted: set[int] = set()
        # Open spans of muted scopes -> the nearest kept ancestor (None: the trace root),
        # and spans under one -> the parent their row names instead. Muted spans that
        # ended stay known for a while: a task the library spawned may start its span
        # under one after it ended.
        self._muted_spans: dict[int, _Kept] = {}
        self._ended_muted: OrderedDict[int, _Kept] = OrderedDict()
        self._ended_lock = threading.Lock()
        self._reparent: dict[int, SpanContext | None] = {}
        self._init_runtime()
        ref = weakref.WeakMethod(self._after_fork)
        os.register_at_fork(after_in_child=lambda: (m := ref()) and m())
        # Providers the user made may not shut down at exit; flush regardless.
        flush_ref = weakref.WeakMethod(self.force_flush)
        atexit.register(lambda: (m := flush_ref()) and m())

    def _init_runtime(self) -> None:
        self._queue: deque[ReadableSpan | FacadeRecord] = deque()
        self._wake = threading.Event()
        self._room = threading.Condition()
        self._export_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()

    def _after_fork(self) -> None:
        # The parent process exports what was queued before the fork.
        self._init_runtime()

    # -- parent stamping ----------------------------------------------------

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Stamps ``braintrust.parent`` on spans that do not carry one, and the row ids
        a parent span was given in place of its OTel ids (see :func:`inherit_chosen_ids`)."""
        inherit_chosen_ids(span, parent_context)
        # (muting's frozenset read directly: a call per span is the larger part of this test.)
        if self._muted_spans or self._ended_muted or muting._muted:
            self._note_muted(span)
        # The SDK's dict inside BoundedAttributes, read directly (what
        # span_attributes.attributes_of returns, inline here and below as this
        # runs on the app's thread for every span): span.attributes wraps it in
        # a proxy whose len() and `in` cost a Python call each. Any other
        # holder of attributes is read through the property (one lookup: no copy).
        inner = getattr(getattr(span, "_attributes", None), "_dict", None)
        attrs = inner if type(inner) is dict else span.attributes
        if attrs and A.PARENT in attrs:
            return
        try:
            parent = parent_in_context(parent_context)
            if parent is None:
                parent = self._default(span)
                if self._filter_ai and parent:
                    self._defaulted.add(span.get_span_context().span_id)
            if parent:
                span.set_attribute(A.PARENT, parent)
        except Exception as exc:
            diagnostics.report("parent", "could not stamp braintrust.parent", exc)

    def _note_muted(self, span: Span) -> None:
        """Remembers a span of a muted scope (see :mod:`braintrust_otel.muting`), or that
        a span's parent is one: its row then names the nearest kept ancestor."""
        ctx, parent = span.get_span_context(), span.parent
        kept = None
        if parent is not None:
            kept = self._muted_spans.get(parent.span_id) or self._ended_muted.get(parent.span_id)
        scope = span.instrumentation_scope
        if muting.is_muted(scope.name if scope is not None else None):
            if kept is None:
                # Its parent is kept: inherit_chosen_ids has just copied the span id
                # that parent's row shows (when chosen) onto this span.
                chosen = (span.attributes or {}).get(A.SPAN_PARENTS)
                kept = (parent, chosen if isinstance(chosen, str) else None)
            self._muted_spans[ctx.span_id] = kept
        elif kept is not None:
            self._reparent[ctx.span_id] = kept[0]
            attrs = span.attributes
            if kept[1] is not None and not (attrs and A.SPAN_PARENTS in attrs):
                # The kept ancestor's row has a chosen span id, not its OTel one.
                span.set_attribute(A.SPAN_PARENTS, kept[1])

    def _default(self, span: Span | None = None) -> str | None:
        default = self._default_parent
        if callable(default):
            default = default()
            # The facade's processor with no logger: as in the official SDK, a
            # wrapped client or facade span with nowhere to log is not recorded
            # (left unstamped, so on_end discards it). Other instrumentation's
            # spans, and every span when a parent is configured, still land.
            if default is None and span is not None and _own(span) \
                    and not settings.PARENT.get():
                return None
        return default or default_parent()

    # -- queueing -----------------------------------------------------------

    def on_end(self, span: ReadableSpan) -> None:
        """Queues a finished span for export (after the filter, if any)."""
        if self._muted_spans or self._reparent:
            found = self._unmuted(span)
            if found is None:
                return
            span = found
        if (self._filter_ai or self._custom_filter is not None) and not self._keep(span):
            return
        # (The SDK's attribute dict, read directly: see on_start.)
        inner = getattr(getattr(span, "_attributes", None), "_dict", None)
        attrs = inner if type(inner) is dict else span.attributes
        if (not attrs or A.PARENT not in attrs) and callable(self._default_parent) \
                and _own(span):
            return  # unparented in on_start: nowhere to log (see _default)
        if self._shutdown:
            diagnostics.report("dropped", f"span {span.name!r} ended after shutdown")
            return
        queued: ReadableSpan | FacadeRecord = span
        if self._records:
            # A facade span waits as a record: the span is freed now instead
            # of being walked by every garbage collection while it waits.
            # (This runs inside the application's span.end(), which the SDK
            # does not guard: anything unexpected queues the span itself.)
            try:
                record = facade_record(span, attrs if attrs is not None else {})
            except Exception as exc:
                diagnostics.report("mapping", "could not make a span's record; queued "
                                   "the span instead", exc)
                record = None
            if record is not None:
                queued = record
        queue = self._queue
        queue.append(queued)
        size = len(queue)
        if size >= self._batch and not self._wake.is_set():
            self._wake.set()
        if self._worker is None:
            self._start_worker()
        if size >= self._max_queue:
            self._wait_for_room(queued)

    def _unmuted(self, span: ReadableSpan) -> ReadableSpan | None:
        """None for a span of a muted scope; a span whose parent was muted, re-parented."""
        ctx = span.context
        if ctx is None:
            return span
        kept = self._muted_spans.get(ctx.span_id)
        if kept is not None:
            # Known as ended before it is forgotten as open: a child starting on
            # another thread meanwhile finds it in one or the other.
            with self._ended_lock:
                ended = self._ended_muted
                ended[ctx.span_id] = kept
                if len(ended) > _ENDED_MUTED_KEPT:
                    ended.popitem(last=False)
            self._muted_spans.pop(ctx.span_id, None)
            self._defaulted.discard(ctx.span_id)
            return None
        if ctx.span_id not in self._reparent:
            return span
        parent = self._reparent.pop(ctx.span_id)
        return ReadableSpan(
            name=span.name, context=ctx, parent=parent, resource=span.resource,
            attributes=span.attributes, events=span.events, links=span.links, kind=span.kind,
            status=span.status, start_time=span.start_time, end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope)

    def _keep(self, span: ReadableSpan) -> bool:
        defaulted = False
        span_ctx = span.context
        if self._defaulted and span_ctx is not None:
            span_id = span_ctx.span_id
            defaulted = span_id in self._defaulted
            self._defaulted.discard(span_id)
        if self._custom_filter is not None:
            try:
                verdict = self._custom_filter(span)
            except Exception as exc:
                diagnostics.report("filter", "custom span filter raised; span kept", exc)
                return True
            if verdict is not None:
                return bool(verdict)
        return not self._filter_ai or is_ai_span(span, _PARENT_ONLY if defaulted else frozenset())

    def _wait_for_room(self, span: ReadableSpan | FacadeRecord) -> None:
        if threading.current_thread() is self._worker:
            return  # the worker cannot wait for itself
        self._wake.set()
        deadline = time.monotonic() + self._block
        with self._room:
            while len(self._queue) >= self._max_queue:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._room.wait(min(left, 0.1))
        if len(self._queue) >= self._max_queue:
            try:
                self._queue.remove(span)
            except ValueError:
                return  # already taken by the worker
            diagnostics.report(
                "dropped",
                f"span queue full ({self._max_queue} spans) for {self._block:.0f}s; span dropped",
            )

    def _start_worker(self) -> None:
        with self._worker_lock:
            if self._worker is None and not self._shutdown:
                worker = threading.Thread(
                    target=self._run, name="braintrust-span-export", daemon=True
                )
                self._worker = worker
                worker.start()

    def _run(self) -> None:
        while not self._shutdown:
            self._wake.wait(self._delay)
            self._wake.clear()
            self._drain()

    def _drain(self, timeout: float | None = None) -> bool:
        if not self._export_lock.acquire(timeout=-1 if timeout is None else timeout):
            return False
        try:
            queue, size = self._queue, self._batch
            # A sink that does better with larger batches (the embedded
            # store: one transaction each) takes more of a backlog per call.
            wanted = getattr(self.exporter, "rows_per_write", None)
            if isinstance(wanted, int) and wanted > size:
                size = wanted
            popleft = queue.popleft
            while queue:
                batch: list[ReadableSpan | FacadeRecord] = []
                try:
                    # Taken in C (itertools), not a Python loop per span. The
                    # app's thread may remove a span meanwhile (_wait_for_room):
                    # the queue then ends early, and extend keeps what it took.
                    batch.extend(starmap(popleft, repeat((), min(size, len(queue)))))
                except IndexError:
                    pass
                self._export(batch)
                with self._room:
                    self._room.notify_all()
        finally:
            self._export_lock.release()
        return True

    def _export(self, batch: list[ReadableSpan | FacadeRecord]) -> None:
        # Suppress instrumentation so HTTP clients used by sinks make no spans.
        token = context.attach(context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            # (Records are queued only for an exporter that maps them.)
            self.exporter.export(batch)  # type: ignore[arg-type]
        except Exception as exc:
            diagnostics.report("dropped", f"exporter failed on {len(batch)} spans", exc,
                               n=len(batch))
        finally:
            context.detach(token)

    # -- lifecycle ----------------------------------------------------------

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Exports every queued span now, then flushes the exporter.

        Args:
            timeout_millis: How long to wait for a running export to finish.

        Returns:
            True when everything queued before the call was handed on.
        """
        deadline = time.monotonic() + timeout_millis / 1000
        done = self._drain(timeout_millis / 1000)
        # The exporter gets what is left of the one timeout, not a second one.
        left = max(0, int((deadline - time.monotonic()) * 1000))
        return self.exporter.force_flush(left) and done

    def shutdown(self) -> None:
        """Stops the worker after exporting everything, then shuts the exporter down."""
        if self._shutdown:
            return
        self._shutdown = True
        self._wake.set()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=30)
        self._drain(30)
        self.exporter.shutdown()

    @property
    def queued(self) -> int:
        """How many spans wait for export."""
        return len(self._queue)
