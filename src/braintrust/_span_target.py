"""SpanTarget: what loggers and experiments share, logging rows and spans to one object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from . import _feedback, _state
from ._checks import _MISSING, _event, check_log_fields
from ._span_object import Span
from ._start import _start


class SpanTarget(_state.StateHolder):
    """What loggers and experiments share: logging rows and spans to one object."""

    #: The span type of a trace's root when none is given.
    root_type = "task"

    def __init__(self, parent: str) -> None:
        self._parent = parent

    @property
    def parent(self) -> str:
        """The ``braintrust.parent`` string of the object rows go to."""
        return self._parent

    def log(
        self,
        input: Any = _MISSING,
        output: Any = _MISSING,
        expected: Any = _MISSING,
        error: Any = _MISSING,
        tags: Sequence[str] | None = None,
        scores: Mapping[str, float | None] | None = None,
        metadata: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        id: str | None = None,
        allow_concurrent_with_spans: bool = False,
        **unexpected: Any,
    ) -> str:
        """Logs one complete row: a single-span trace.

        Args:
            input, output, expected, error, tags, scores, metadata, metrics:
                As for :meth:`Span.log`.
            id: The row id; a new one by default.
            allow_concurrent_with_spans: Accepted for compatibility; logging
                rows while spans are open is always allowed here.

        Returns:
            The row id.

        Raises:
            TypeError, ValueError: When an argument has the wrong shape; the message names
                the method (``Logger.log()``, ``Experiment.log()``) and the argument.
        """
        # Checked here, so errors name the method the user called, not an internal one.
        where = f"{type(self).__name__}.log()"
        if unexpected:
            raise TypeError(f"{where} got an unexpected keyword argument "
                            f"{next(iter(unexpected))!r}")
        check_log_fields(where, scores, metrics, metadata, tags)
        span = _start(None, None, None, None, False, None, None, logger=self,
                      where=where, depth=3, root=True)
        span.log(input=input, output=output, expected=expected, error=error, tags=tags,
                 scores=scores, metadata=metadata, metrics=metrics, id=id)
        span.end()
        return span.id

    def start_span(
        self,
        name: str | None = None,
        type: str | None = None,
        span_attributes: Mapping[str, Any] | None = None,
        start_time: float | None = None,
        set_current: bool | None = None,
        parent: str | Mapping[str, str] | None = None,
        propagated_event: Mapping[str, Any] | None = None,
        internal: Mapping[str, Any] | None = None,
        *,
        event: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> Span:
        """Starts a span here: a child of the current span when that span belongs
        here too, else the root of a new trace.

        Arguments are as for :func:`braintrust.start_span`.

        Returns:
            A :class:`Span`.
        """
        return self._start_here(name, type, span_attributes, start_time, set_current, parent,
                                _event(event, fields), propagated_event, internal)

    def _start_here(self, name: str | None, type: str | None,
                    span_attributes: Mapping[str, Any] | None, start_time: float | None,
                    set_current: bool | None, parent: str | Mapping[str, str] | None,
                    event: Mapping[str, Any] | None,
                    propagated_event: Mapping[str, Any] | None,
                    internal: Mapping[str, Any] | None, span_id: str | None = None,
                    root_span_id: str | None = None) -> Span:
        # depth 4: the caller of the public start_span above this helper.
        return _start(name, type, span_attributes, start_time, set_current, parent, event,
                      logger=self, where=f"{self.__class__.__name__}.start_span()", depth=4,
                      propagated_event=propagated_event, span_id=span_id,
                      root_span_id=root_span_id, internal=internal)

    def log_feedback(
        self,
        id: str,
        scores: Mapping[str, float | None] | None = None,
        expected: Any = None,
        tags: Sequence[str] | None = None,
        comment: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        source: str | None = None,
    ) -> None:
        """Adds feedback to a logged row: scores, an expected value, tags, a comment.

        Args:
            id: The row id (from :meth:`log` or ``span.id``).
            scores: Scores to merge into the row's scores.
            expected: The expected value to set.
            tags: Tags to set.
            comment: A comment, kept in the row's metadata.
            metadata: Metadata to merge into the row.
            source: Where the feedback came from: ``external`` (the default),
                ``app`` or ``api``.

        Raises:
            TypeError, ValueError: On a bad id or source, or no feedback at all.
        """
        _feedback.log_feedback(self.parent, id, scores, expected, tags, comment, metadata,
                               source, where=f"{type(self).__name__}.log_feedback()")

    def update_span(self, id: str, **event: Any) -> None:
        """Merges fields into a logged span, by its row id.

        Update a span only after it was ended and flushed: the update is a
        merge into the stored row.

        Args:
            id: The span's row id (``span.id``, or what :meth:`log` returned).
            **event: Fields as for :meth:`Span.log` (``output``, ``scores``,
                ``metadata``, ...), and optionally both ``root_span_id`` and
                ``span_id``.
        """
        _feedback.update_span(self.parent, id, event,
                              where=f"{type(self).__name__}.update_span()")

    def traced(self, *span_args: Any, **span_kwargs: Any) -> Any:
        """Like :func:`braintrust.traced`, with root spans going here."""
        from ._traced import _traced

        return _traced(span_args, span_kwargs, logger=self)

    def flush(self) -> None:
        """Delivers every finished span of this process."""
        _state.deliver()

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.flush()
