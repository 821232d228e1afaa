"""NoopSpan: the span returned when there is nowhere to log."""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import trace

from ._span_object import Span

__all__ = ["NOOP_SPAN", "NoopSpan"]


class NoopSpan(Span):
    """A span that records nothing; returned when there is nowhere to log.

    Every method works and does nothing, so code can log unconditionally.
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(trace.INVALID_SPAN, None, set_current=False)

    def log(self, **event: Any) -> None:
        """Does nothing."""

    def _log_field(self, key: str, value: Any) -> None:
        pass

    def start_span(self, *args: Any, **kwargs: Any) -> Span:
        """Returns the no-op span."""
        return self

    def set_attributes(self, *args: Any, **kwargs: Any) -> None:
        """Does nothing."""

    def set_current(self) -> None:
        """Does nothing."""

    def unset_current(self) -> None:
        """Does nothing."""

    def end(self, end_time: float | None = None) -> float:
        """Does nothing; returns the current time."""
        return end_time if end_time is not None else time.time()

    def export(self) -> str:
        """Returns an empty string: there is no span to continue."""
        return ""

    def log_feedback(self, *args: Any, **kwargs: Any) -> None:
        """Does nothing."""

    def link(self) -> str:
        """Returns a placeholder link."""
        return "https://www.braintrust.dev/noop-span"

    @property
    def name(self) -> str:
        """An empty name."""
        return ""

    def permalink(self, org_name: str | None = None, app_url: str | None = None) -> str:
        """Returns a placeholder link."""
        return "https://www.braintrust.dev/noop-span"

    @property
    def id(self) -> str:
        """An empty id."""
        return ""

    def __repr__(self) -> str:
        return "<braintrust.NoopSpan>"


NOOP_SPAN = NoopSpan()
