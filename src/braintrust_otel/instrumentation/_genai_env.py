"""Opting libraries that make GenAI spans themselves into content-bearing current conventions."""

from __future__ import annotations

import os

from ._llm import capture_content

__all__ = ["opt_in_latest_genai"]

_OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"
_LATEST = "gen_ai_latest_experimental"
_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


def opt_in_latest_genai(content: bool = False) -> None:
    """Adds ``gen_ai_latest_experimental`` to ``OTEL_SEMCONV_STABILITY_OPT_IN``.

    Args:
        content: Also ask for message content on spans
            (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only``),
            unless it is set already or ``BRAINTRUST_CAPTURE_CONTENT`` is off.
    """
    # Other libraries' variables, amended for them (ours are read in settings.py).
    current = [v.strip() for v in os.environ.get(_OPT_IN, "").split(",") if v.strip()]
    if _LATEST not in current:
        os.environ[_OPT_IN] = ",".join([*current, _LATEST])
    if content and capture_content():
        os.environ.setdefault(_CONTENT, "span_only")
