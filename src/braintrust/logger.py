"""The official SDK's ``braintrust.logger`` module path.

Real code imports from here (``from braintrust.logger import Span, NOOP_SPAN,
current_span``); each name is the same object as ``braintrust.<name>``.
"""

from __future__ import annotations

from braintrust_otel.api import set_http_adapter
from braintrust_otel.api_errors import (
    BraintrustAPIError,
    BraintrustHTTPError,
    BraintrustJSONDecodeError,
    BraintrustTransportError,
)
from braintrust_otel.attachments import Attachment, ExternalAttachment, ReadonlyAttachment
from braintrust_otel.customize import SpanCustomizer
from braintrust_otel.masking import set_masking_function

from ._compat import (
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
from ._experiment import Experiment, init, init_experiment
from ._git import GitMetadataSettings, RepoInfo
from ._log_handler import BraintrustLogHandler
from ._logger import Logger, current_logger, flush, init_logger, login
from ._parameters import RemoteEvalParameters, load_parameters
from ._project import Project
from ._prompt import Prompt, load_prompt
from ._prompt_schema import ImagePart, PromptData, PromptMessage, PromptSchema, TextPart
from ._propagation import extract_trace_context, inject_trace_context
from ._span import NOOP_SPAN, NoopSpan, Span, current_span, start_span
from ._span import link as permalink
from ._stream import BraintrustStream
from ._summary import (
    DatasetSummary,
    DataSummary,
    ExperimentSummary,
    MetricSummary,
    ScoreSummary,
    SummarySkipped,
    SummarySuccess,
)
from ._threads import TracedThreadPoolExecutor
from ._traced import traced

__all__ = [
    "NOOP_SPAN",
    "Attachment",
    "BraintrustAPIError",
    "BraintrustHTTPError",
    "BraintrustJSONDecodeError",
    "BraintrustLogHandler",
    "BraintrustStream",
    "BraintrustTransportError",
    "DataSummary",
    "Dataset",
    "DatasetSummary",
    "Experiment",
    "ExperimentSummary",
    "ExternalAttachment",
    "GitMetadataSettings",
    "ImagePart",
    "JSONAttachment",
    "Logger",
    "MetricSummary",
    "NoopSpan",
    "Project",
    "Prompt",
    "PromptData",
    "PromptMessage",
    "PromptSchema",
    "ReadonlyAttachment",
    "ReadonlyExperiment",
    "RemoteEvalParameters",
    "RepoInfo",
    "ScoreSummary",
    "Span",
    "SpanCustomizer",
    "SpanTypeAttribute",
    "SummarySkipped",
    "SummarySuccess",
    "TextPart",
    "TracedThreadPoolExecutor",
    "current_experiment",
    "current_logger",
    "current_span",
    "extract_trace_context",
    "flush",
    "get_prompt_versions",
    "init",
    "init_dataset",
    "init_experiment",
    "init_logger",
    "inject_trace_context",
    "load_parameters",
    "load_prompt",
    "load_prompt_async",
    "log",
    "login",
    "parent_context",
    "permalink",
    "set_http_adapter",
    "set_masking_function",
    "start_span",
    "summarize",
    "traced",
    "update_span",
]
