"""Tracing for Temporal: a span per workflow run and per activity run.

``BraintrustInterceptor`` is a Temporal client and worker interceptor.
Starting a workflow writes the caller's trace context (W3C ``traceparent``
plus ``braintrust.parent`` as baggage) into a Temporal header; the worker
opens ``temporal.workflow.<type>`` under it, and passes the workflow span's
context on in the same header to its activities, local activities and child
workflows, which open ``temporal.activity.<type>`` (current while the
activity runs, so model calls made in it nest). Spans are ``task`` spans with
the run's Temporal ids as metadata.

Workflow code is replayed from history when a worker restarts or evicts a run
from its cache; the workflow span is only opened on the first, real execution
(a replay opens none, so nothing is logged twice). Spans are made outside the
workflow sandbox, which must let this package and OpenTelemetry through
(``BraintrustPlugin`` configures that).

``TemporalInstrumentor`` (``auto_instrument(temporal=True)``) adds the plugin
to every ``Client.connect`` and ``Worker`` that does not have it already.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Optional

import wrapt
from opentelemetry import baggage, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .. import attributes as A
from .. import diagnostics
from ..masking import mask, record_exception
from ..processor import parent_in_context
from ..serialize import dumps
from ._lazy import LazyInstrumentor

__all__ = ["HEADER", "TemporalInstrumentor", "interceptor_class", "plugin_class"]

_instruments = ("temporalio >= 1.19",)

#: The Temporal header the trace context travels in.
HEADER = "_braintrust-otel"
_W3C = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
_SCOPE = "braintrust_otel.temporal"
_TASK = dumps({"type": "task"})
_PASSTHROUGH = ("braintrust_otel", "braintrust", "opentelemetry", "wrapt")


def _carrier(ctx: Optional[Context], default_parent: Optional[str]) -> dict[str, str]:
    """The W3C headers of ``ctx``'s current span, with its Braintrust parent as baggage."""
    carrier: dict[str, str] = {}
    if not trace.get_current_span(ctx).get_span_context().is_valid:
        return carrier
    parent = parent_in_context(ctx) or default_parent
    if parent:
        ctx = baggage.set_baggage(A.PARENT, parent, context=ctx)
    _W3C.inject(carrier, context=ctx)
    return carrier


def _span_attributes(kind: str, metadata: dict[str, Any], parent: Optional[str],
                     ctx: Context) -> dict[str, Any]:
    attrs: dict[str, Any] = {A.SPAN_ATTRIBUTES: _TASK, A.METADATA: dumps(metadata)}
    if parent and not parent_in_context(ctx):
        attrs[A.PARENT] = parent
    return attrs


def _build() -> type[Any]:
    """Builds the interceptor classes (temporalio is imported by now) and returns the root one."""
    import temporalio.activity
    import temporalio.client
    import temporalio.converter
    import temporalio.worker
    import temporalio.workflow

    converter = temporalio.converter.PayloadConverter.default

    def to_headers(carrier: dict[str, str], headers: Mapping[str, Any]) -> Mapping[str, Any]:
        if not carrier:
            return headers
        try:
            return {**headers, HEADER: converter.to_payloads([carrier])[0]}
        except Exception as exc:
            diagnostics.report("instrumentation", "could not write the Temporal trace header", exc)
            return headers

    def from_headers(headers: Mapping[str, Any]) -> Optional[Context]:
        payload = headers.get(HEADER)
        if payload is None:
            return None
        try:
            carrier = converter.from_payloads([payload])[0]
            return _W3C.extract(carrier) if isinstance(carrier, dict) else None
        except Exception as exc:
            diagnostics.report("instrumentation", "could not read the Temporal trace header", exc)
            return None

    class BraintrustInterceptor(temporalio.client.Interceptor, temporalio.worker.Interceptor):
        """Traces Temporal workflows and activities as OTel spans.

        Use it on the client (so workflow runs nest under the caller's span)
        and on the worker (which opens the workflow and activity spans).

        Args:
            parent: The ``braintrust.parent`` (``project_name:<name>``, ...)
                of runs started without a traced caller; by default the
                processor's default parent.
        """

        def __init__(self, parent: Optional[str] = None) -> None:
            self.parent = parent
            self.tracer = trace.get_tracer(_SCOPE)

        def intercept_client(self, next: Any) -> Any:
            return _ClientOutbound(next, self)

        def intercept_activity(self, next: Any) -> Any:
            return _ActivityInbound(next, self)

        def workflow_interceptor_class(self, input: Any) -> Any:
            root = self

            class _Bound(_WorkflowInbound):
                interceptor = root

            return _Bound

    class _ClientOutbound(temporalio.client.OutboundInterceptor):
        def __init__(self, next: Any, root: BraintrustInterceptor) -> None:
            super().__init__(next)
            self.root = root

        async def start_workflow(self, input: Any) -> Any:
            try:
                input.headers = to_headers(_carrier(None, self.root.parent), input.headers)
            except Exception as exc:
                diagnostics.report("instrumentation", "could not propagate to a workflow", exc)
            return await super().start_workflow(input)

    class _ActivityInbound(temporalio.worker.ActivityInboundInterceptor):
        def __init__(self, next: Any, root: BraintrustInterceptor) -> None:
            super().__init__(next)
            self.root = root

        async def execute_activity(self, input: Any) -> Any:
            try:
                info = temporalio.activity.info()
                ctx = from_headers(input.headers) or Context()
                attrs = _span_attributes("activity", {
                    "temporal.activity_type": info.activity_type,
                    "temporal.activity_id": info.activity_id,
                    "temporal.workflow_id": info.workflow_id,
                    "temporal.workflow_run_id": info.workflow_run_id,
                }, self.root.parent, ctx)
                span = self.root.tracer.start_span(
                    f"temporal.activity.{info.activity_type}", context=ctx, attributes=attrs)
            except Exception as exc:
                diagnostics.report("instrumentation", "could not trace a Temporal activity", exc)
                return await super().execute_activity(input)
            with trace.use_span(span, end_on_exit=False, record_exception=False,
                                set_status_on_exception=False):
                try:
                    return await super().execute_activity(input)
                except BaseException as exc:
                    _fail(span, exc)
                    raise
                finally:
                    span.end()

    class _WorkflowInbound(temporalio.worker.WorkflowInboundInterceptor):
        interceptor: BraintrustInterceptor

        def __init__(self, next: Any) -> None:
            super().__init__(next)
            self.carrier: dict[str, str] = {}

        def init(self, outbound: Any) -> None:
            super().init(_WorkflowOutbound(outbound, self))

        async def execute_workflow(self, input: Any) -> Any:
            span = None
            # The sandbox forbids clocks and randomness: spans are made outside it.
            with temporalio.workflow.unsafe.sandbox_unrestricted():
                try:
                    ctx = from_headers(input.headers) or Context()
                    # What activities parent to on a replay: the workflow's own parent.
                    self.carrier = _carrier(ctx, self.interceptor.parent)
                    if not temporalio.workflow.unsafe.is_replaying():
                        info = temporalio.workflow.info()
                        attrs = _span_attributes("workflow", {
                            "temporal.workflow_type": info.workflow_type,
                            "temporal.workflow_id": info.workflow_id,
                            "temporal.run_id": info.run_id,
                        }, self.interceptor.parent, ctx)
                        span = self.interceptor.tracer.start_span(
                            f"temporal.workflow.{info.workflow_type}", context=ctx,
                            attributes=attrs)
                        self.carrier = _carrier(trace.set_span_in_context(span, ctx),
                                                self.interceptor.parent)
                except Exception as exc:
                    diagnostics.report("instrumentation", "could not trace a Temporal workflow",
                                       exc)
            try:
                return await super().execute_workflow(input)
            except BaseException as exc:
                if span is not None:
                    with temporalio.workflow.unsafe.sandbox_unrestricted():
                        _fail(span, exc)
                raise
            finally:
                if span is not None:
                    with temporalio.workflow.unsafe.sandbox_unrestricted():
                        span.end()

    class _WorkflowOutbound(temporalio.worker.WorkflowOutboundInterceptor):
        def __init__(self, next: Any, root: _WorkflowInbound) -> None:
            super().__init__(next)
            self.root = root

        def _headers(self, headers: Mapping[str, Any]) -> Mapping[str, Any]:
            # Also during a replay, so activities that really run then find their parent.
            return to_headers(self.root.carrier, headers)

        def start_activity(self, input: Any) -> Any:
            input.headers = self._headers(input.headers)
            return super().start_activity(input)

        def start_local_activity(self, input: Any) -> Any:
            input.headers = self._headers(input.headers)
            return super().start_local_activity(input)

        def start_child_workflow(self, input: Any) -> Any:
            input.headers = self._headers(input.headers)
            return super().start_child_workflow(input)

    return BraintrustInterceptor


_classes: dict[str, type[Any]] = {}


def _fail(span: trace.Span, exc: BaseException) -> None:
    """Records ``exc``: the OTel exception event, and as the row's error its message
    alone (what the official SDK logs for Temporal; ``ActivityError`` says
    "Activity task failed" and the cause is on the activity's own row)."""
    record_exception(span, exc)
    span.set_attribute(A.ERROR, dumps(mask("error", str(exc) or type(exc).__name__)))


def interceptor_class() -> type[Any]:
    """The ``BraintrustInterceptor`` class (imports temporalio)."""
    if "interceptor" not in _classes:
        _classes["interceptor"] = _build()
    return _classes["interceptor"]


def plugin_class() -> type[Any]:
    """The ``BraintrustPlugin`` class: adds the interceptor and the sandbox passthrough."""
    if "plugin" in _classes:
        return _classes["plugin"]
    from temporalio.plugin import SimplePlugin
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    interceptor = interceptor_class()

    def runner(existing: Any) -> Any:
        if isinstance(existing, SandboxedWorkflowRunner):
            restrictions = existing.restrictions.with_passthrough_modules(*_PASSTHROUGH)
            return dataclasses.replace(existing, restrictions=restrictions)
        return existing

    class BraintrustPlugin(SimplePlugin):
        """A Temporal plugin for clients and workers: adds ``BraintrustInterceptor``
        and lets this package through the workflow sandbox.

        Args:
            parent: As for ``BraintrustInterceptor``.
        """

        def __init__(self, parent: Optional[str] = None) -> None:
            self.interceptor = interceptor(parent=parent)
            super().__init__("braintrust", interceptors=[self.interceptor],
                             workflow_runner=runner)

    _classes["plugin"] = BraintrustPlugin
    return BraintrustPlugin


def _has_plugin(plugins: Any) -> bool:
    interceptor, plugin = interceptor_class(), plugin_class()
    for item in plugins or ():
        if isinstance(item, plugin):
            return True
        for attr in ("interceptors", "client_interceptors", "worker_interceptors"):
            if any(isinstance(i, interceptor) for i in getattr(item, attr, None) or ()):
                return True
    return False


def _add_plugin(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
    try:
        plugins = list(kwargs.get("plugins") or ())
        interceptors = list(kwargs.get("interceptors") or ())
        client = kwargs.get("client", args[0] if args else None)
        if client is not None and hasattr(client, "config"):
            # A worker runs its client's plugins and interceptors too: adding
            # ours again would make temporalio warn that it runs twice.
            config = client.config()
            plugins_seen = [*plugins, *config.get("plugins", ())]
            interceptors = [*interceptors, *config.get("interceptors", ())]
        else:
            plugins_seen = plugins
        if not _has_plugin(plugins_seen) and not any(isinstance(i, interceptor_class())
                                                     for i in interceptors):
            kwargs["plugins"] = [*plugins, plugin_class()()]
    except Exception as exc:
        diagnostics.report("instrumentation", "could not add the Temporal plugin", exc)
    return wrapped(*args, **kwargs)


class TemporalInstrumentor(LazyInstrumentor):
    """Adds ``BraintrustPlugin`` to every Temporal client connection and worker."""

    library = "temporalio"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        import temporalio.client
        import temporalio.worker

        wrapt.wrap_function_wrapper(temporalio.client.Client, "connect", _add_plugin)
        wrapt.wrap_function_wrapper(temporalio.worker.Worker, "__init__", _add_plugin)

    def _unpatch(self, **kwargs: Any) -> None:
        import temporalio.client
        import temporalio.worker

        for owner, name in ((temporalio.client.Client, "connect"),
                            (temporalio.worker.Worker, "__init__")):
            attr = owner.__dict__.get(name)
            if isinstance(attr, wrapt.FunctionWrapper):
                setattr(owner, name, attr.__wrapped__)
