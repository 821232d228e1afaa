"""Tracing for Strands Agents, which makes OTel GenAI spans itself.

Strands sends ``invoke_agent <name>``, ``execute_event_loop_cycle``, ``chat``
and ``execute_tool <tool>`` spans to the global tracer provider whether or
not anything is instrumented; the GenAI mapper makes the rows (agent
``task``, model call ``llm`` with messages and tokens, tool ``tool``). Its
``chat`` span is current during the provider request, so the provider
instrumentors add no second ``llm`` row.

What this instrumentor adds: it opts Strands into the current GenAI
conventions (``OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental``,
appended to any value already set) before Strands creates its tracer, so
messages arrive in the parts format instead of Strands' own content blocks.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from .. import muting
from ._genai_env import opt_in_latest_genai

__all__ = ["StrandsInstrumentor"]

_instruments = ("strands-agents >= 1.0",)


class StrandsInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Opts Strands into the current GenAI conventions (its spans are its own).

    Strands reads the setting when it first creates its tracer, so this must
    run before the first agent is built. Strands always sends its spans to the
    global tracer provider; uninstrumenting mutes their scope instead
    (:mod:`braintrust_otel.muting`), so they stay out of Braintrust.
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        opt_in_latest_genai()
        muting.unmute("strands")

    def _uninstrument(self, **kwargs: Any) -> None:
        muting.mute("strands")
