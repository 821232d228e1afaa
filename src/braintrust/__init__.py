"""Braintrust tracing and evaluation, built on OpenTelemetry.

Quick start::

    import braintrust

    logger = braintrust.init_logger(project="my-project")

    @braintrust.traced
    def answer(question: str) -> str:
        return "42"

    answer("What is six times seven?")
    braintrust.flush()

Without an API key, everything is stored locally; ``braintrust logs`` prints it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from braintrust_otel._version import VERSION
from braintrust_otel.api import LoginError, set_http_adapter
from braintrust_otel.api_errors import (
    BraintrustAPIError,
    BraintrustHTTPError,
    BraintrustJSONDecodeError,
    BraintrustTransportError,
)
from braintrust_otel.attachments import Attachment, ExternalAttachment, ReadonlyAttachment
from braintrust_otel.customize import SpanCustomizer, SpanExportData, set_span_customizers
from braintrust_otel.masking import set_masking_function

from ._auto import (
    auto_instrument,
    wrap_anthropic,
    wrap_instructor,
    wrap_litellm,
    wrap_openai,
    wrap_openrouter,
)
from ._logger import Logger, current_logger, flush, init_logger, login
from ._span import NOOP_SPAN, SPAN_TYPES, NoopSpan, Span, current_span, start_span
from ._span import link as permalink
from ._traced import traced

if TYPE_CHECKING:
    from ._builders import (
        ClassifierBuilder,
        ParametersBuilder,
        PromptBuilder,
        ScorerBuilder,
        ToolBuilder,
    )
    from ._compat import (
        BaseExperiment,
        JSONAttachment,
        ReadonlyExperiment,
        SpanTypeAttribute,
        current_experiment,
        get_prompt_versions,
        load_prompt_async,
        log,
        parent_context,
        summarize,
        update_span,
    )
    from ._dataset import Dataset, init_dataset
    from ._definitions import CodeFunction, CodeParameters, CodePrompt
    from ._eval import (
        Eval,
        EvalAsync,
        EvalCase,
        EvalHooks,
        EvalResult,
        EvalResultWithSummary,
        Evaluator,
        Reporter,
    )
    from ._experiment import Experiment, init, init_experiment
    from ._functions import init_function, invoke, invoke_async
    from ._git import GitMetadataSettings, RepoInfo
    from ._log_handler import BraintrustLogHandler
    from ._parameters import RemoteEvalParameters, load_parameters
    from ._project import Project, ProjectBuilder, projects
    from ._prompt import Prompt, load_prompt
    from ._prompt_schema import ImagePart, PromptData, PromptMessage, PromptSchema, TextPart
    from ._propagation import extract_trace_context, inject_trace_context
    from ._score import Classification, NamedScoreDict, Score, ScoreDict
    from ._stream import (
        BraintrustConsoleChunk,
        BraintrustErrorChunk,
        BraintrustInvokeError,
        BraintrustJsonChunk,
        BraintrustProgressChunk,
        BraintrustStream,
        BraintrustTextChunk,
        parse_stream,
    )
    from ._summary import (
        DatasetSummary,
        DataSummary,
        ExperimentSummary,
        MetricSummary,
        ScoreSummary,
        SummarySkipped,
        SummarySuccess,
    )
    from ._threads import TracedThreadPoolExecutor, bind_context

__all__ = [
    "NOOP_SPAN",
    "SPAN_TYPES",
    "Attachment",
    "BaseExperiment",
    "BraintrustAPIError",
    "BraintrustConsoleChunk",
    "BraintrustErrorChunk",
    "BraintrustHTTPError",
    "BraintrustInvokeError",
    "BraintrustJSONDecodeError",
    "BraintrustJsonChunk",
    "BraintrustLogHandler",
    "BraintrustProgressChunk",
    "BraintrustStream",
    "BraintrustTextChunk",
    "BraintrustTransportError",
    "Classification",
    "ClassifierBuilder",
    "CodeFunction",
    "CodeParameters",
    "CodePrompt",
    "DataSummary",
    "Dataset",
    "DatasetSummary",
    "Eval",
    "EvalAsync",
    "EvalCase",
    "EvalHooks",
    "EvalResult",
    "EvalResultWithSummary",
    "Evaluator",
    "Experiment",
    "ExperimentSummary",
    "ExternalAttachment",
    "GitMetadataSettings",
    "ImagePart",
    "JSONAttachment",
    "Logger",
    "LoginError",
    "MetricSummary",
    "NamedScoreDict",
    "NoopSpan",
    "ParametersBuilder",
    "Project",
    "ProjectBuilder",
    "Prompt",
    "PromptBuilder",
    "PromptData",
    "PromptMessage",
    "PromptSchema",
    "ReadonlyAttachment",
    "ReadonlyExperiment",
    "RemoteEvalParameters",
    "RepoInfo",
    "Reporter",
    "Score",
    "ScoreDict",
    "ScoreSummary",
    "ScorerBuilder",
    "Span",
    "SpanCustomizer",
    "SpanExportData",
    "SpanTypeAttribute",
    "SummarySkipped",
    "SummarySuccess",
    "TextPart",
    "ToolBuilder",
    "TracedThreadPoolExecutor",
    "auto_instrument",
    "bind_context",
    "current_experiment",
    "current_logger",
    "current_span",
    "extract_trace_context",
    "flush",
    "get_prompt_versions",
    "init",
    "init_dataset",
    "init_experiment",
    "init_function",
    "init_logger",
    "inject_trace_context",
    "invoke",
    "invoke_async",
    "load_parameters",
    "load_prompt",
    "load_prompt_async",
    "log",
    "login",
    "parent_context",
    "parse_stream",
    "permalink",
    "projects",
    "set_http_adapter",
    "set_masking_function",
    "set_span_customizers",
    "setup_ai_sdk",
    "setup_pydantic_ai",
    "start_span",
    "summarize",
    "traced",
    "update_span",
    "wrap_anthropic",
    "wrap_instructor",
    "wrap_litellm",
    "wrap_openai",
    "wrap_openrouter",
]

__version__ = VERSION

# Workflow evaluations (and the other experimental official modules) are
# imported on first use: they bring asyncio, and ``import braintrust`` stays cheap.
_LAZY_WORKFLOW = (
    "WorkflowBatchItem", "WorkflowBatchItemResult", "WorkflowBatchScorer", "WorkflowBatchTask",
    "WorkflowBatchingOptions", "WorkflowEval", "WorkflowEvalCompletedResult",
    "WorkflowEvalMemoryStore", "WorkflowEvalPending", "WorkflowEvalRedisStore",
    "WorkflowEvalResult", "WorkflowEvalStore", "WorkflowEvalStoreEntry",
    "WorkflowEvalWaitingResult", "WorkflowScorer", "WorkflowScorerItem", "WorkflowScorerResult",
    "WorkflowSubmissionCompletionPoll", "WorkflowSubmissionCompletionWebhook",
    "WorkflowSubmissionContext", "WorkflowSubmissionPoll", "WorkflowTask", "WorkflowTaskItem",
    "WorkflowTaskResult", "define_workflow_eval",
)
_LAZY_PIPELINE = (
    "DatasetPipeline", "DatasetPipelineDefinition", "DatasetPipelineRow", "DatasetPipelineScope",
    "DatasetPipelineSource", "DatasetPipelineTarget", "DatasetPipelineTransform",
    "DatasetPipelineTransformArgs", "DatasetPipelineTransformResult",
)
_LAZY_SANDBOX = ("RegisterSandboxResult", "RegisteredSandboxFunction", "SandboxConfig",
                 "register_sandbox")
_LAZY: dict[str, str] = {**dict.fromkeys(_LAZY_WORKFLOW, "braintrust.workflow_eval"),
                         **dict.fromkeys(_LAZY_PIPELINE, "braintrust.dataset_pipeline"),
                         **dict.fromkeys(_LAZY_SANDBOX, "braintrust.sandbox")}
__all__ += list(_LAZY)

# The facade's own names that load on first use too (already in __all__):
# evals, experiments, datasets, prompts, functions and projects bring
# summaries, git, templating and more, which a program that only logs spans
# never needs at import.
_LAZY.update({
    "BaseExperiment": "braintrust._compat",
    "BraintrustConsoleChunk": "braintrust._stream",
    "BraintrustErrorChunk": "braintrust._stream",
    "BraintrustInvokeError": "braintrust._stream",
    "BraintrustLogHandler": "braintrust._log_handler",
    "BraintrustJsonChunk": "braintrust._stream",
    "BraintrustProgressChunk": "braintrust._stream",
    "BraintrustStream": "braintrust._stream",
    "BraintrustTextChunk": "braintrust._stream",
    "Classification": "braintrust._score",
    "ClassifierBuilder": "braintrust._builders",
    "CodeFunction": "braintrust._definitions",
    "CodeParameters": "braintrust._definitions",
    "CodePrompt": "braintrust._definitions",
    "DataSummary": "braintrust._summary",
    "Dataset": "braintrust._dataset",
    "DatasetSummary": "braintrust._summary",
    "Eval": "braintrust._eval",
    "EvalAsync": "braintrust._eval",
    "EvalCase": "braintrust._eval",
    "EvalHooks": "braintrust._eval",
    "EvalResult": "braintrust._eval",
    "EvalResultWithSummary": "braintrust._eval",
    "Evaluator": "braintrust._eval",
    "Experiment": "braintrust._experiment",
    "ExperimentSummary": "braintrust._summary",
    "GitMetadataSettings": "braintrust._git",
    "ImagePart": "braintrust._prompt_schema",
    "JSONAttachment": "braintrust._compat",
    "MetricSummary": "braintrust._summary",
    "NamedScoreDict": "braintrust._score",
    "ParametersBuilder": "braintrust._builders",
    "Project": "braintrust._project",
    "ProjectBuilder": "braintrust._project",
    "Prompt": "braintrust._prompt",
    "PromptBuilder": "braintrust._builders",
    "PromptData": "braintrust._prompt_schema",
    "PromptMessage": "braintrust._prompt_schema",
    "PromptSchema": "braintrust._prompt_schema",
    "ReadonlyExperiment": "braintrust._compat",
    "RemoteEvalParameters": "braintrust._parameters",
    "RepoInfo": "braintrust._git",
    "Reporter": "braintrust._eval",
    "Score": "braintrust._score",
    "ScoreDict": "braintrust._score",
    "ScoreSummary": "braintrust._summary",
    "ScorerBuilder": "braintrust._builders",
    "SpanTypeAttribute": "braintrust._compat",
    "SummarySkipped": "braintrust._summary",
    "SummarySuccess": "braintrust._summary",
    "TextPart": "braintrust._prompt_schema",
    "ToolBuilder": "braintrust._builders",
    "TracedThreadPoolExecutor": "braintrust._threads",
    "bind_context": "braintrust._threads",
    "current_experiment": "braintrust._compat",
    "extract_trace_context": "braintrust._propagation",
    "get_prompt_versions": "braintrust._compat",
    "init": "braintrust._experiment",
    "init_dataset": "braintrust._dataset",
    "init_experiment": "braintrust._experiment",
    "init_function": "braintrust._functions",
    "inject_trace_context": "braintrust._propagation",
    "invoke": "braintrust._functions",
    "invoke_async": "braintrust._functions",
    "load_parameters": "braintrust._parameters",
    "load_prompt": "braintrust._prompt",
    "load_prompt_async": "braintrust._compat",
    "log": "braintrust._compat",
    "parent_context": "braintrust._compat",
    "parse_stream": "braintrust._stream",
    "projects": "braintrust._project",
    "summarize": "braintrust._compat",
    "update_span": "braintrust._compat",
})

if TYPE_CHECKING:  # the names __getattr__ gives, for type checkers
    from .dataset_pipeline import *  # noqa: F403
    from .sandbox import *  # noqa: F403
    from .workflow_eval import *  # noqa: F403

def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'braintrust' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def setup_ai_sdk(api_key: Optional[str] = None, project_id: Optional[str] = None,
                 project_name: Optional[str] = None) -> bool:
    """Traces every Vercel AI SDK (``ai``) call; starts a logger first when no span is current.

    Imported only when called (it loads the instrumentor); the same as
    ``auto_instrument(ai_sdk=True)`` after ``init_logger``.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether the AI SDK is now traced (False when it is not installed).
    """
    from ._ai_sdk import setup_ai_sdk as setup

    return setup(api_key=api_key, project_id=project_id, project_name=project_name)


def setup_pydantic_ai(api_key: Optional[str] = None, project_id: Optional[str] = None,
                      project_name: Optional[str] = None) -> bool:
    """Traces every Pydantic AI agent run; starts a logger first when no span is current.

    The same as ``braintrust.wrappers.pydantic_ai.setup_pydantic_ai``, imported
    only when called (it loads the instrumentor).

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether Pydantic AI is now traced (False when it is not installed).
    """
    from ._pydantic_ai import setup_pydantic_ai as setup

    return setup(api_key=api_key, project_id=project_id, project_name=project_name)


def _threads_from_environment() -> None:
    from braintrust_otel.settings import INSTRUMENT_THREADS

    if INSTRUMENT_THREADS.get():
        from .wrappers.threads import setup_threads

        setup_threads()


_threads_from_environment()
