"""The ``trace`` argument an eval scorer may take: the case's spans, on demand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["EvalTrace", "SpanData"]


class SpanData:
    """One span of a trace, as :meth:`EvalTrace.get_spans` returns it.

    Every field of the stored row is an attribute (``input``, ``output``,
    ``metadata``, ``span_attributes``, ``span_id``, ...); unset ones are None.
    """

    def __init__(self, **fields: Any) -> None:
        for name in ("input", "output", "expected", "error", "metadata", "scores", "metrics",
                     "span_id", "span_parents", "span_attributes", "tags"):
            setattr(self, name, None)
        for name, value in fields.items():
            setattr(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set."""
        return {k: v for k, v in vars(self).items() if v is not None}

    def __repr__(self) -> str:
        name = (getattr(self, "span_attributes", None) or {}).get("name")
        return f"<SpanData {name!r} span_id={getattr(self, 'span_id', None)}>"


class EvalTrace(dict[str, Any]):
    """The trace of the case being scored, given to scorers that take ``trace``.

    It is a dict (``{"trace_ref": {object_type, object_id, root_span_id}}``) so
    it encodes as a reference when a scorer passes it on as JSON.

    Args:
        object_type: ``experiment`` (or ``project_logs`` under a ``parent``).
        object_id: The experiment's (or project's) id.
        root_span_id: The case's trace id.
        read_rows: Returns the object's stored rows, after delivering the
            finished spans; None when nothing is stored (``no_send_logs``).
    """

    def __init__(self, object_type: str, object_id: str, root_span_id: str,
                 read_rows: Any = None) -> None:
        super().__init__(trace_ref={"object_type": object_type, "object_id": object_id,
                                    "root_span_id": root_span_id})
        self._config = {"object_type": object_type, "object_id": object_id,
                        "root_span_id": root_span_id}
        self._read_rows = read_rows
        self._threads: dict[str, list[Any]] = {}

    def get_configuration(self) -> dict[str, str]:
        """``{"object_type", "object_id", "root_span_id"}`` of this trace."""
        return dict(self._config)

    async def get_spans(self, span_type: Sequence[str] | None = None, *,
                        filters: Mapping[str, Any] | None = None,
                        include_scorers: bool = False) -> list[SpanData]:
        """The trace's spans delivered so far (the task's and its children's).

        Args:
            span_type: Keep only spans of these types (``llm``, ``tool``, ...).
            filters: ``{"span_type": [...], "name": [...]}`` (the same
                filters, by key).
            include_scorers: Also return the scorers' own spans.

        Returns:
            A list of :class:`SpanData`, in start order.
        """
        import asyncio

        if self._read_rows is None:
            return []
        types = set(span_type or (filters or {}).get("span_type") or [])
        names = set((filters or {}).get("name") or [])
        rows = await asyncio.get_running_loop().run_in_executor(None, self._read_rows)
        root = self._config["root_span_id"]
        found = []
        for row in rows:
            attrs = row.get("span_attributes") or {}
            if row.get("root_span_id") != root:
                continue
            if not include_scorers and attrs.get("purpose") == "scorer":
                continue
            if types and attrs.get("type") not in types:
                continue
            if names and attrs.get("name") not in names:
                continue
            found.append(row)
        found.sort(key=lambda r: (r.get("metrics") or {}).get("start") or 0)
        return [SpanData(**{k: v for k, v in r.items() if isinstance(k, str)}) for r in found]

    async def get_thread(self, options: Mapping[str, Any] | None = None) -> list[Any]:
        """The trace as a thread of messages, as the Braintrust service's preprocessor
        function makes it from the trace's spans.

        As the official SDK: it invokes the global ``preprocessor`` function named
        in ``options`` (the project's default, ``project_default``, otherwise) on
        this trace, once per preprocessor. The embedded store runs no
        preprocessors, so there the thread is an empty list.

        Args:
            options: ``{"preprocessor": name}``, optional.

        Returns:
            The messages, or an empty list when the answer is not a list.
        """
        import asyncio  # not at import: `import braintrust` defers asyncio

        name = (options or {}).get("preprocessor") or "project_default"
        found = self._threads.get(name)
        if found is None:
            found = self._threads[name] = await asyncio.get_running_loop().run_in_executor(
                None, self._fetch_thread, name)
        return list(found)

    def _fetch_thread(self, preprocessor: str) -> list[Any]:
        from . import _state

        _state.deliver()  # the preprocessor reads the trace's stored spans

        def request() -> dict[str, Any]:
            return {"global_function": preprocessor, "function_type": "preprocessor",
                    "mode": "json", "input": {"trace_ref": dict(self._config)},
                    "api_version": 1}
        try:
            answer = _state.backend().invoke(request)
        except NotImplementedError:
            return []  # the embedded store: no preprocessors
        return answer if isinstance(answer, list) else []
