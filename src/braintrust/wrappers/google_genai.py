"""``braintrust.wrappers.google_genai``: tracing the ``google-genai`` client."""

from __future__ import annotations

__all__ = ["setup_genai"]


def setup_genai() -> bool:
    """Traces every ``google.genai`` client (as ``auto_instrument(google_genai=True)``).

    Returns:
        Whether ``google-genai`` is traced now (or will be when it is imported).
    """
    from .._auto import instrument_one

    return instrument_one("google_genai")
