"""The ``<Library>Integration`` classes: turning one library's tracing on."""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["Integration"]


class Integration:
    """One library's tracing, as ``braintrust.auto_instrument`` turns it on.

    Attributes:
        name: The library's ``auto_instrument`` flag.
    """

    name: ClassVar[str] = ""

    @classmethod
    def setup(cls, *, target: Any = None) -> bool:
        """Turns the library's tracing on (now, or when it is imported).

        Args:
            target: Accepted for compatibility; tracing is always process-wide here.

        Returns:
            Whether the library is traced.
        """
        from .._auto import instrument_one

        return instrument_one(cls.name)


def traced(flag: str, value: Any) -> Any:
    """Turns ``flag``'s library tracing on and returns ``value`` unchanged.

    The official SDK's ``wrap_*`` helpers patch the class or function they are
    given; here the library's instrumentor patches (or, for libraries that
    make their own OTel spans, records) every one of them process-wide.
    """
    from .._auto import instrument_one

    instrument_one(flag)
    return value
