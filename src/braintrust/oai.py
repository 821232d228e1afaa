"""OpenAI tracing under the module path the official SDK uses (``braintrust.oai``).

autoevals imports ``wrap_openai`` and ``NamedWrapper`` from here to trace the
LLM calls its scorers make; with them importable, those calls become ``llm``
spans nested under the scorer's span.
"""

from __future__ import annotations

from typing import Any

from ._auto import wrap_openai

__all__ = ["NamedWrapper", "patch_openai", "wrap_openai"]


class NamedWrapper:
    """A transparent proxy: attribute access goes to the wrapped object.

    Args:
        wrapped: The object to forward to.
    """

    def __init__(self, wrapped: Any) -> None:
        self.__wrapped = wrapped

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__wrapped, name)


def patch_openai() -> bool:
    """Traces every ``openai`` client in the process (as ``auto_instrument(openai=True)``).

    Returns:
        Whether ``openai`` is traced now (or will be when it is imported).
    """
    from ._auto import instrument_one

    return instrument_one("openai")
