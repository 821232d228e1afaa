"""Tracing for Pipecat: an observer on every ``PipelineWorker``.

Pipecat lets observers see every frame a pipeline passes. The instrumentor
adds one of ours to each ``PipelineWorker`` built after it is on (unless the
application passed one), and the observer turns frames into the official
SDK's rows: a ``pipecat_pipeline`` task from the ``StartFrame`` to the end of
the pipeline; under it a ``pipecat_llm_response`` task per LLM reply (the
context's messages in, the streamed text and tool calls out as an OpenAI
choice, model, provider and tools as metadata, token counts and time to
first byte from Pipecat's metrics frames), a tool span per function call
(arguments in, result out), ``tts_response`` tasks (the spoken text in) and
``stt_transcription`` tasks (the transcript out). The provider request itself
is the provider instrumentor's ``llm`` row. Audio is not attached.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

import wrapt
from opentelemetry import trace

from .. import diagnostics
from ..attachments import extract_data_urls
from . import _pipecat as p
from ._lazy import LazyInstrumentor
from ._rows import Row

__all__ = ["PipecatInstrumentor", "observer", "observer_class", "wrap_worker_class"]

_instruments = ("pipecat-ai >= 1.3.0",)
_SCOPE = "braintrust_otel.pipecat"
_TERMINAL = frozenset({"EndFrame", "StopFrame", "CancelFrame"})
_observer_class: Optional[type] = None


class _Tracker:
    """The frames of one pipeline run, as spans."""

    def __init__(self) -> None:
        self._tracer = trace.get_tracer(_SCOPE)
        current = trace.get_current_span()
        # Observers run in Pipecat's own tasks: the parent is what was current
        # when the worker was built (or none: a trace of its own).
        self._parent = current if current.get_span_context().is_valid else trace.INVALID_SPAN
        self._seen: set[int] = set()
        self._pipeline: Optional[Row] = None
        self._llm: Optional[Row] = None
        self._llm_input: Any = None
        self._context_metadata: dict[str, Any] = {}
        self._llm_metadata: dict[str, Any] = {}
        self._llm_metrics: dict[str, float] = {}
        self._text: list[str] = []
        self._calls: list[dict[str, Any]] = []
        self._tool_parents: dict[str, Row] = {}
        self._tools: dict[str, Row] = {}
        # Pipecat sends function-call frames both ways (two frames, two ids).
        self._calls_seen: set[str] = set()
        self._tools_done: set[str] = set()
        self._tts: dict[str, Row] = {}

    def handle(self, frame: Any, processor: Any) -> None:
        if frame is None:
            return
        try:
            self._handle(frame, processor)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace a Pipecat frame", exc)

    def _handle(self, frame: Any, processor: Any) -> None:
        kind = type(frame).__name__
        name = p.processor_name(processor) or ""
        if kind in _TERMINAL and not name.endswith("::Sink"):
            return  # only the end of the whole pipeline ends its span
        frame_id = getattr(frame, "id", None)
        if isinstance(frame_id, int) and kind not in _TERMINAL:
            if frame_id in self._seen:
                return
            self._seen.add(frame_id)
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(frame, processor)
        elif kind in _TERMINAL:
            self._end_pipeline(frame)

    def _ensure_pipeline(self, frame: Any = None, processor: Any = None) -> Row:
        if self._pipeline is None:
            fields = ("audio_in_sample_rate", "audio_out_sample_rate", "enable_metrics",
                      "enable_usage_metrics")
            with warnings.catch_warnings():
                # Pipecat 1.8+ deprecates these fields; the official rows still show them.
                warnings.simplefilter("ignore", DeprecationWarning)
                given = {f: v for f in fields if (v := getattr(frame, f, None)) is not None} \
                    if frame is not None else {}
            metadata: dict[str, Any] = {"framework": "pipecat"}
            if frame is not None and isinstance(getattr(frame, "metadata", None), dict):
                metadata.update(frame.metadata)
            name = p.processor_name(processor)
            if name:
                metadata["processor"] = name
            self._pipeline = Row(self._tracer, "pipecat_pipeline", "task", self._parent,
                                 input=given or None, metadata=metadata)
        return self._pipeline

    def _on_StartFrame(self, frame: Any, processor: Any) -> None:
        self._ensure_pipeline(frame, processor)

    def _on_LLMContextFrame(self, frame: Any, processor: Any) -> None:
        self._ensure_pipeline(processor=processor)
        context = getattr(frame, "context", None)
        self._llm_input = extract_data_urls(p.messages(context))
        self._context_metadata = p.llm_metadata({**p.tools(context),
                                                 **p.processor_metadata(processor)})

    def _on_LLMFullResponseStartFrame(self, frame: Any, processor: Any) -> None:
        pipeline = self._ensure_pipeline(processor=processor)
        if self._llm is not None:
            return
        self._llm_metadata = p.llm_metadata({**self._context_metadata,
                                             **p.processor_metadata(processor)})
        self._text, self._calls, self._llm_metrics = [], [], {}
        self._llm = Row(self._tracer, "pipecat_llm_response", "task", pipeline.span,
                        input=self._llm_input, metadata=self._llm_metadata)

    def _on_LLMTextFrame(self, frame: Any, processor: Any) -> None:
        if self._llm is not None and isinstance(getattr(frame, "text", None), str):
            self._text.append(frame.text)

    def _on_FunctionCallsStartedFrame(self, frame: Any, processor: Any) -> None:
        for call in getattr(frame, "function_calls", None) or ():
            found = p.tool_call(call)
            if found is None or found["id"] in self._calls_seen:
                continue
            if isinstance(found["id"], str):
                self._calls_seen.add(found["id"])
            self._calls.append(found)
            if isinstance(found["id"], str) and self._llm is not None:
                self._tool_parents[found["id"]] = self._llm

    def _on_LLMFullResponseEndFrame(self, frame: Any, processor: Any) -> None:
        self._end_llm()

    def _end_llm(self) -> None:
        if self._llm is None:
            return
        self._llm.log(output=p.llm_output("".join(self._text), self._calls),
                      metrics=self._llm_metrics, metadata=p.llm_metadata(self._llm_metadata))
        self._llm.end()
        self._llm = None

    def _on_FunctionCallInProgressFrame(self, frame: Any, processor: Any) -> None:
        self._start_tool(frame)

    def _start_tool(self, frame: Any) -> Optional[Row]:
        pipeline = self._ensure_pipeline()
        call_id = getattr(frame, "tool_call_id", None)
        if call_id in self._tools or call_id in self._tools_done:
            return None
        parent = self._tool_parents.get(call_id) if isinstance(call_id, str) else None
        parent = parent or self._llm or pipeline
        row = Row(self._tracer, getattr(frame, "function_name", None) or "pipecat_tool", "tool",
                  parent.span, input=p.parse_jsonish(getattr(frame, "arguments", None)))
        if isinstance(call_id, str):
            self._tools[call_id] = row
        return row

    def _on_FunctionCallResultFrame(self, frame: Any, processor: Any) -> None:
        call_id = getattr(frame, "tool_call_id", None)
        row = self._tools.pop(call_id, None) if isinstance(call_id, str) else None
        if row is None:
            row = self._start_tool(frame)  # a result whose start was not seen
            if isinstance(call_id, str):
                self._tools.pop(call_id, None)
        if row is None:
            return
        if isinstance(call_id, str):
            self._tools_done.add(call_id)
        error = getattr(frame, "error", None)
        row.log(output=getattr(frame, "result", None), metadata={"tool_call_id": call_id},
                error=str(error) if error else None)
        row.end()

    def _on_FunctionCallCancelFrame(self, frame: Any, processor: Any) -> None:
        call_id = getattr(frame, "tool_call_id", None)
        row = self._tools.pop(call_id, None) if isinstance(call_id, str) else None
        if row is not None:
            row.log(error=f"Tool call {call_id} was cancelled")
            row.end()

    def _on_TranscriptionFrame(self, frame: Any, processor: Any) -> None:
        pipeline = self._ensure_pipeline()
        language = getattr(frame, "language", None)
        metadata = {"user_id": getattr(frame, "user_id", None),
                    "timestamp": getattr(frame, "timestamp", None),
                    "language": getattr(language, "value", language),
                    "finalized": getattr(frame, "finalized", None)}
        row = Row(self._tracer, "stt_transcription", "task", pipeline.span,
                  metadata={k: v for k, v in metadata.items() if v is not None})
        row.log(output={"text": getattr(frame, "text", None),
                        "result": getattr(frame, "result", None)})
        row.end()

    def _on_TTSStartedFrame(self, frame: Any, processor: Any) -> None:
        pipeline = self._ensure_pipeline()
        context_id = getattr(frame, "context_id", None)
        metadata = {"context_id": context_id,
                    "append_to_context": getattr(frame, "append_to_context", None)}
        self._tts[context_id or ""] = Row(
            self._tracer, "tts_response", "task", pipeline.span,
            metadata={k: v for k, v in metadata.items() if v is not None})

    def _on_TTSTextFrame(self, frame: Any, processor: Any) -> None:
        row = self._tts.get(getattr(frame, "context_id", None) or "")
        if row is not None:
            row.log(input={"text": getattr(frame, "text", None)})

    def _on_TTSAudioRawFrame(self, frame: Any, processor: Any) -> None:
        row = self._tts.get(getattr(frame, "context_id", None) or "")
        audio = getattr(frame, "audio", None)
        if row is None or not audio:
            return
        facts = {"sample_rate": getattr(frame, "sample_rate", None),
                 "num_channels": getattr(frame, "num_channels", None),
                 "audio_size_bytes": len(audio)}
        row.log(metadata={k: v for k, v in facts.items() if v is not None})

    def _on_TTSStoppedFrame(self, frame: Any, processor: Any) -> None:
        row = self._tts.pop(getattr(frame, "context_id", None) or "", None)
        if row is not None:
            row.end()

    def _on_MetricsFrame(self, frame: Any, processor: Any) -> None:
        name = p.processor_name(processor)
        for metric in getattr(frame, "data", None) or ():
            kind = type(metric).__name__
            if kind == "LLMUsageMetricsData":
                source = getattr(metric, "processor", None)
                if name is not None and source is not None and source != name:
                    continue
                self._llm_metrics.update(p.usage_metrics(getattr(metric, "value", None)))
                self._llm_metadata.update(p.metric_metadata(metric))
            elif kind == "TTFBMetricsData" and self._llm is not None:
                value = getattr(metric, "value", None)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self._llm_metrics["time_to_first_token"] = value
                self._llm_metadata.update(p.metric_metadata(metric))
        self._llm_metadata = p.llm_metadata({**self._llm_metadata,
                                             **p.processor_metadata(processor)})

    def _on_ErrorFrame(self, frame: Any, processor: Any) -> None:
        pipeline = self._ensure_pipeline(processor=getattr(frame, "processor", None))
        error = getattr(frame, "exception", None) or getattr(frame, "error", None)
        text = str(error) if error is not None else "error"
        if self._llm is not None:
            self._llm.log(error=text)
            self._llm.end()
            self._llm = None
        pipeline.log(error=text, metadata={"fatal": getattr(frame, "fatal", None)})

    def _end_pipeline(self, frame: Any) -> None:
        if self._pipeline is None:
            return
        metadata = {"terminal_frame": type(frame).__name__}
        reason = getattr(frame, "reason", None)
        if reason is not None:
            metadata["reason"] = reason
        self.close_children()
        self._pipeline.log(metadata=metadata)
        self._pipeline.end()
        self._pipeline = None

    def close_children(self) -> None:
        self._end_llm()
        for row in [*self._tools.values(), *self._tts.values()]:
            row.end()
        self._tools.clear()
        self._tts.clear()

    def close(self) -> None:
        self.close_children()
        if self._pipeline is not None:
            self._pipeline.end()
            self._pipeline = None


def observer() -> Any:
    """A new Braintrust observer for a Pipecat ``PipelineWorker`` (Pipecat must be installed).

    ``PipelineWorker(pipeline, observers=[observer()])`` traces one worker
    without the instrumentor.
    """
    return _class()()


def observer_class() -> type:
    """The Braintrust observer class (``BraintrustPipecatObserver``; Pipecat must be installed)."""
    return _class()


def _class() -> type:
    global _observer_class
    if _observer_class is None:
        from pipecat.observers.base_observer import BaseObserver

        class BraintrustPipecatObserver(BaseObserver):  # type: ignore[misc]
            """Turns a pipeline's frames into Braintrust spans."""

            def __init__(self, **kwargs: Any) -> None:
                try:
                    # Pipecat 1.12+: each frame once, not once per processor it passes.
                    super().__init__(observe_every_push=False, **kwargs)
                except TypeError:
                    super().__init__(**kwargs)
                self._braintrust = _Tracker()

            async def on_push_frame(self, data: Any) -> None:
                self._braintrust.handle(getattr(data, "frame", None),
                                        getattr(data, "source", None))

            async def on_process_frame(self, data: Any) -> None:
                frame = getattr(data, "frame", None)
                # The end frame at the sink is the one push-once observers never see.
                if type(frame).__name__ in _TERMINAL:
                    self._braintrust.handle(frame, getattr(data, "processor", None))

            async def cleanup(self) -> None:
                self._braintrust.close()
                await super().cleanup()

        _observer_class = BraintrustPipecatObserver
    return _observer_class


def _with_observer(observers: Any) -> list[Any]:
    found = list(observers or [])
    if not any(isinstance(o, _class()) for o in found):
        found.append(observer())
    return found


def _worker_init(wrapped: Any, instance: Any, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
    try:
        kwargs = {**kwargs, "observers": _with_observer(kwargs.get("observers"))}
    except Exception as exc:
        diagnostics.report("instrumentation", "could not add the Pipecat observer", exc)
    return wrapped(*args, **kwargs)


def wrap_worker_class(cls: Any) -> Any:
    """Adds a Braintrust observer to each worker of class ``cls`` (a Pipecat
    ``PipelineWorker`` or a subclass) made from now on; returns ``cls``.

    Wrapping the class again, or a worker class while the instrumentor is on,
    adds no second observer (one is added only where none is).
    """
    if not isinstance(cls, type):
        raise TypeError(f"expected a PipelineWorker class, got {type(cls).__name__}")
    if not isinstance(cls.__dict__.get("__init__"), wrapt.FunctionWrapper):
        wrapt.wrap_function_wrapper(cls, "__init__", _worker_init)
    return cls


class PipecatInstrumentor(LazyInstrumentor):
    """Adds a Braintrust observer to every Pipecat ``PipelineWorker``."""

    # Importing ``pipecat`` alone does not import the worker module.
    library = "pipecat.pipeline.worker"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        from pipecat.pipeline import worker

        wrapt.wrap_function_wrapper(worker.PipelineWorker, "__init__", _worker_init)

    def _unpatch(self, **kwargs: Any) -> None:
        from pipecat.pipeline import worker

        attr = worker.PipelineWorker.__dict__.get("__init__")
        if isinstance(attr, wrapt.FunctionWrapper):
            worker.PipelineWorker.__init__ = attr.__wrapped__
