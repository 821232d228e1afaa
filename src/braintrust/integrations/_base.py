"""The ``<Library>Integration`` classes: turning one library's tracing on."""

from __future__ import annotations

from typing import Any, ClassVar, Optional

__all__ = ["Integration", "setup", "traced"]


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


def setup(flag: str, api_key: Optional[str] = None, project_id: Optional[str] = None,
          project_name: Optional[str] = None) -> bool:
    """Turns ``flag``'s library tracing on; starts a logger first when no span is current.

    What the official ``setup_<library>()`` functions do.

    Args:
        flag: The library's ``auto_instrument`` flag.
        api_key, project_id, project_name: For the logger, as in ``init_logger``.

    Returns:
        Whether the library is traced (now, or when it is imported).
    """
    from .._auto import instrument_one
    from .._logger import init_logger
    from .._span import NOOP_SPAN, current_span

    if current_span() is NOOP_SPAN:
        init_logger(project=project_name, project_id=project_id, api_key=api_key)
    return instrument_one(flag)
