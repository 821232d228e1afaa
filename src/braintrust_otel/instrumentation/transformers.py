"""Tracing for local Hugging Face ``transformers`` pipelines.

Each call of a text-generation, text2text-generation, summarization,
translation, feature-extraction or question-answering pipeline is one LLM span
named ``huggingface.transformers.<task>``, as the official SDK makes it: the
prompt as chat messages in, the generated texts as choices out (the shape of
the vectors for feature extraction), and the model, task, device, dtype and
generation settings as metadata. (transformers 5 has only the first and the
feature-extraction pipelines; the others exist in 4.x.) Calls with a
``streamer`` are left alone: the text goes to the streamer, not the result.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Optional

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .. import diagnostics
from .._version import VERSION
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, shape_of
from ._wrap import traced_sync

__all__ = ["TransformersInstrumentor", "wrap_transformers"]

_instruments = ("transformers >= 4.42",)
PROVIDER = "huggingface"
_SETTINGS = ("temperature", "top_p", "stop", "do_sample", "top_k", "repetition_penalty")

#: (module, pipeline class, the task its calls are traced for).
_PIPELINES = (
    ("transformers.pipelines.text_generation", "TextGenerationPipeline", "text-generation"),
    ("transformers.pipelines.text2text_generation", "Text2TextGenerationPipeline",
     "text2text-generation"),
    ("transformers.pipelines.text2text_generation", "SummarizationPipeline", "summarization"),
    ("transformers.pipelines.text2text_generation", "TranslationPipeline", "translation"),
    ("transformers.pipelines.feature_extraction", "FeatureExtractionPipeline",
     "feature-extraction"),
    ("transformers.pipelines.question_answering", "QuestionAnsweringPipeline",
     "question-answering"),
)


def _is_chat(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(m, Mapping) and isinstance(m.get("role"), str) and "content" in m
        for m in value)


def _first(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    if args:
        return args[0]
    return next((kwargs[k] for k in ("inputs", "text_inputs") if k in kwargs), None)


def _as_messages(value: Any, chat: bool) -> Any:
    if chat and (_is_chat(value) or (isinstance(value, list) and value
                                     and all(_is_chat(v) for v in value))):
        return value
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [[{"role": "user", "content": v}] for v in value]
    return value


def _qa_message(question: Any, context: Any) -> dict[str, Any]:
    return {"role": "user", "content": f"Context:\n{context}\n\nQuestion:\n{question}"}


def _qa_input(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    question, context = kwargs.get("question"), kwargs.get("context")
    if question is None and context is None and args:
        value = args[0]
        if isinstance(value, Mapping):
            question, context = value.get("question"), value.get("context")
        elif isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
            return [[_qa_message(v.get("question"), v.get("context"))] for v in value]
        elif len(args) > 1:
            question, context = args[0], args[1]
        else:
            return value
    if isinstance(question, list) and isinstance(context, list):
        return [[_qa_message(q, c)] for q, c in zip(question, context)]
    if question is not None or context is not None:
        return [_qa_message(question, context)]
    return _first(args, kwargs)


def call_input(task: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    """What the row shows as the input of a pipeline call."""
    if task == "feature-extraction":
        return _first(args, kwargs)
    if task == "question-answering":
        return _qa_input(args, kwargs)
    return _as_messages(_first(args, kwargs), chat=task == "text-generation")


def _records(result: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(result, Mapping):
        yield result
    elif isinstance(result, (list, tuple)):
        for item in result:
            yield from _records(item)


def _generated(record: Mapping[str, Any], task: str) -> Optional[str]:
    key = ("summary_text" if task == "summarization" else "translation_text"
           if task.startswith("translation") else "answer" if task == "question-answering"
           else "generated_text")
    value = record.get(key)
    if isinstance(value, str):
        return value
    if _is_chat(value) and isinstance(value, list):
        # A chat in, the whole conversation out: the reply is the last turn.
        content = value[-1].get("content")
        return content if isinstance(content, str) else None
    return None


def call_output(task: str, result: Any) -> Any:
    """What the row shows as the output of a pipeline call."""
    if task == "feature-extraction":
        shape = shape_of(result)
        return {"shape": shape} if shape is not None else None
    choices: list[dict[str, Any]] = []
    for record in _records(result):
        text = _generated(record, task)
        if text is not None:
            choices.append({"index": len(choices),
                            "message": {"role": "assistant", "content": text}})
    return choices or None


def _model_name(instance: Any) -> Any:
    model = getattr(instance, "model", None)
    config = getattr(model, "config", None)
    for value in (getattr(config, "_name_or_path", None), getattr(config, "name_or_path", None),
                  getattr(config, "model_id", None), getattr(model, "name", None)):
        if value:
            return value
    return None


def _params(instance: Any, task: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"task": task}
    device = getattr(instance, "device", None)
    if device is not None:
        params["device"] = str(device)
    dtype = getattr(getattr(instance, "model", None), "dtype", None)
    if dtype is None:
        dtype = getattr(instance, "torch_dtype", None)
    if dtype is not None:
        params["torch_dtype"] = str(dtype)
    params.update({k: kwargs[k] for k in _SETTINGS if kwargs.get(k) is not None})
    if kwargs.get("max_new_tokens") is not None:
        params["max_tokens"] = kwargs["max_new_tokens"]
    return params


def _matches(expected: str, task: Any) -> bool:
    if not isinstance(task, str):
        return False
    # Translation pipelines carry language pairs: translation_en_to_fr.
    return task == expected or (expected == "translation" and task.startswith("translation_"))


def _wrapper(tracer: trace.Tracer, expected: str) -> Callable[..., Any]:
    def start(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Optional[LLMCall]:
        task: Any = getattr(instance, "task", None)
        # A subclass calling its parent's __call__ is traced once, by its own wrapper.
        if not _matches(expected, task) or kwargs.get("streamer") is not None:
            return None
        try:
            operation = "embeddings" if task == "feature-extraction" else "text_completion"
            return LLMCall(tracer, f"huggingface.transformers.{task.replace('-', '_')}",
                           PROVIDER, operation, _model_name(instance),
                           call_input(task, args, kwargs), _params(instance, task, kwargs))
        except Exception as exc:
            diagnostics.report("instrumentation", f"could not trace a {task} pipeline", exc)
            return None

    def end(call: LLMCall, result: Any) -> Any:
        # The output's shape depends on the task's family (translation_en_to_fr is
        # a translation), which is what ``expected`` names.
        try:
            output = call_output(expected, result)
        except Exception as exc:
            diagnostics.report("instrumentation", f"could not record a {expected} pipeline",
                               exc)
            output = None
        call.finish(output=output)
        return result

    return traced_sync(start, end)


def wrap_transformers(target: Any) -> Any:
    """Traces calls of one pipeline class (``target``, or the class of a pipeline object).

    As the official helper: the class's ``__call__`` is wrapped (``pipe(...)``
    looks it up on the class), so its other objects are traced too, other
    pipeline classes not. Anything that is not a supported pipeline is left
    alone; wrapping again changes nothing.

    Returns:
        ``target``.
    """
    cls = target if isinstance(target, type) else type(target)
    for module, name, task in _PIPELINES:
        base = getattr(sys.modules.get(module), name, None)
        if not (isinstance(base, type) and issubclass(cls, base)):
            continue
        if not hasattr(vars(cls).get("__call__"), "__wrapped__"):
            wrapt.wrap_function_wrapper(cls, "__call__",
                                        _wrapper(trace.get_tracer(__name__, VERSION), task))
        break
    return target


class TransformersInstrumentor(LazyInstrumentor):
    """Traces calls of local ``transformers`` text pipelines as Braintrust LLM spans.

    A pipeline module is wrapped when it is imported, not before: importing
    one imports torch, seconds that a program using no pipeline should not pay.
    """

    library = "transformers"
    instruments = _instruments

    _armed = False
    _hooked = False
    _tracer: Optional[trace.Tracer] = None

    def _patch(self, **kwargs: Any) -> None:
        cls = type(self)
        cls._tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        cls._armed = True
        if cls._hooked:  # hooks stay registered; a module imported since was wrapped then
            for module in {m for m, _, _ in _PIPELINES}:
                if module in sys.modules:
                    _wrap_module(sys.modules[module])
            return
        cls._hooked = True
        for module in {m for m, _, _ in _PIPELINES}:
            # Runs now when the module is already imported, else when it is.
            wrapt.register_post_import_hook(_wrap_module, module)

    def _unpatch(self, **kwargs: Any) -> None:
        type(self)._armed = False
        for module, cls, _ in _PIPELINES:
            owner = getattr(sys.modules.get(module), cls, None)
            if owner is not None:
                unwrap(owner, "__call__")


def _wrap_module(module: Any) -> None:
    state = TransformersInstrumentor
    if not state._armed or state._tracer is None:
        return
    for name, cls, task in _PIPELINES:
        owner = getattr(module, cls, None) if module.__name__ == name else None
        # The class's own __call__: a subclass gets a wrapper of its own, for its task.
        if owner is None or hasattr(vars(owner).get("__call__"), "__wrapped__"):
            continue
        try:
            wrapt.wrap_function_wrapper(owner, "__call__", _wrapper(state._tracer, task))
        except Exception as exc:
            diagnostics.report("instrumentation", f"could not wrap {cls}", exc)
