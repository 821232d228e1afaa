"""The OpenTelemetry distro: what ``opentelemetry-instrument`` loads with this package installed.

``BraintrustDistro`` sets environment defaults (traces to Braintrust, no
metrics or logs exporter, GenAI message content on spans) and skips foreign
instrumentors of libraries that Braintrust instruments itself, so a call
makes one LLM span, not two. ``BraintrustConfigurator`` builds the SDK
pipeline as the stock configurator does, with the Braintrust processor in
place of a ``BatchSpanProcessor`` around the ``braintrust`` exporter.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _OTelSDKConfigurator

from .instrumentation import INSTRUMENTORS, library_present
from .processor import BraintrustSpanProcessor
from .settings import KEEP_FOREIGN_INSTRUMENTORS

__all__ = ["BraintrustConfigurator", "BraintrustDistro"]

logger = logging.getLogger("braintrust")

#: Entry-point names other packages use for instrumentors of the libraries ours cover.
_REPLACED = {"openai": "openai", "anthropic": "anthropic", "google_genai": "google_genai",
             "google-genai": "google_genai", "openai_agents": "openai_agents",
             "openai-agents": "openai_agents", "litellm": "litellm", "instructor": "instructor",
             "openrouter": "openrouter",
             "mistralai": "mistral", "mistral": "mistral",
             "cohere": "cohere", "huggingface_hub": "huggingface_hub",
             "huggingface-hub": "huggingface_hub", "bedrock": "bedrock",
             # OpenLLMetry registers its Bedrock instrumentor as "boto3"; the
             # contrib "botocore" one traces every AWS service and is kept.
             "boto3": "bedrock", "transformers": "transformers",
             "google_discoveryengine": "google_discoveryengine", "langchain": "langchain",
             "llama_index": "llamaindex", "llama-index": "llamaindex", "dspy": "dspy",
             "crewai": "crewai", "agno": "agno",
             "pydantic_ai": "pydantic_ai", "pydantic-ai": "pydantic_ai"}


class BraintrustDistro(BaseDistro):  # type: ignore[misc]
    """Environment defaults and instrumentor selection for ``opentelemetry-instrument``."""

    def _configure(self, **kwargs: Any) -> None:
        # Writes, not reads: these configure the OTel SDK and other instrumentors
        # (our own configuration is read in settings.py).
        os.environ.setdefault("OTEL_TRACES_EXPORTER", "braintrust")
        os.environ.setdefault("OTEL_METRICS_EXPORTER", "none")
        os.environ.setdefault("OTEL_LOGS_EXPORTER", "none")
        # Foreign GenAI instrumentors keep content off spans unless told.
        os.environ.setdefault("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "span_only")

    def load_instrumentor(self, entry_point: Any, **kwargs: Any) -> None:
        """Loads an instrumentor, unless Braintrust's own covers the same library."""
        ours = INSTRUMENTORS.get(_REPLACED.get(entry_point.name, ""))
        keep = KEEP_FOREIGN_INSTRUMENTORS.get()
        if ours is not None and not keep and library_present(ours.module):
            logger.debug("braintrust: not loading instrumentor %r from %s; braintrust_%s "
                         "traces that library", entry_point.name,
                         getattr(entry_point, "value", "?"), entry_point.name)
            return
        super().load_instrumentor(entry_point, **kwargs)


class BraintrustConfigurator(_OTelSDKConfigurator):
    """The stock SDK configuration, with the Braintrust processor for ``braintrust``."""

    def _configure(self, **kwargs: Any) -> None:
        # The OTel SDK's own variable, saved and restored around its configuration.
        saved = os.environ.get("OTEL_TRACES_EXPORTER")
        names = [n.strip() for n in (saved or "braintrust").split(",") if n.strip()]
        ours = "braintrust" in names
        if ours:
            others = [n for n in names if n != "braintrust"]
            os.environ["OTEL_TRACES_EXPORTER"] = ",".join(others) or "none"
            processors = list(kwargs.get("span_processors") or [])
            processors.append(BraintrustSpanProcessor())
            kwargs["span_processors"] = processors
        try:
            super()._configure(**kwargs)  # type: ignore[no-untyped-call]
        finally:
            if saved is None:
                os.environ.pop("OTEL_TRACES_EXPORTER", None)
            else:
                os.environ["OTEL_TRACES_EXPORTER"] = saved
