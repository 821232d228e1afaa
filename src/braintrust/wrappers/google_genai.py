"""``braintrust.wrappers.google_genai``: tracing the ``google-genai`` client."""

from __future__ import annotations

from ..integrations.google_genai import setup_genai

__all__ = ["setup_genai"]
