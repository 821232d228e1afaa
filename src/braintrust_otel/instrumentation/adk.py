"""Tracing for Google ADK (Agent Development Kit), which makes OTel GenAI spans itself.

ADK sends ``invoke_workflow``, ``invoke_agent <name>``, ``generate_content
<model>`` and ``execute_tool <tool>`` spans to the global tracer provider;
the GenAI mapper makes the rows (workflow and agent ``task``, model call
``llm`` with messages and tokens, tool ``tool``). Its model-call span is
current during the provider request, so the Google GenAI instrumentor adds no
second ``llm`` row.

What this instrumentor adds: it opts ADK into the current GenAI conventions
with message content on the spans (``OTEL_SEMCONV_STABILITY_OPT_IN`` +=
``gen_ai_latest_experimental``, and
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only`` unless set or
``BRAINTRUST_CAPTURE_CONTENT`` is off); without them ADK's spans carry no
messages. ADK reads them per span, so they apply from the next call.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from .. import muting
from ._genai_env import opt_in_latest_genai

__all__ = ["ADKInstrumentor"]

_instruments = ("google-adk >= 1.14",)


class ADKInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Opts ADK into the current GenAI conventions with content (its spans are its own).

    ADK always sends its spans to the global tracer provider; uninstrumenting
    mutes their scope instead (:mod:`braintrust_otel.muting`), so they stay out
    of Braintrust.
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        opt_in_latest_genai(content=True)
        muting.unmute("adk")

    def _uninstrument(self, **kwargs: Any) -> None:
        muting.mute("adk")
