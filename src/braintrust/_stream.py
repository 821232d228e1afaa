"""Streamed function output: the chunk types, BraintrustStream, parse_stream.

A streamed :func:`braintrust.invoke` yields chunks: text deltas, JSON deltas
(pieces of one JSON text), errors, console lines and progress events of
nested calls. :class:`BraintrustStream` iterates them (also with ``async
for``), copies itself for a second reader, and joins them into the final value.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, Optional, Union

from braintrust_otel import diagnostics

__all__ = ["BraintrustConsoleChunk", "BraintrustErrorChunk", "BraintrustInvokeError",
           "BraintrustJsonChunk", "BraintrustProgressChunk", "BraintrustStream",
           "BraintrustStreamChunk", "BraintrustTextChunk", "chunks_from_sse", "parse_stream"]


class BraintrustInvokeError(ValueError):
    """A function failed where it ran (the service's HTTP 500, or an error chunk)."""


class _ReadByKey:
    # Earlier releases of this SDK yielded chunks as dicts; ``chunk["data"]`` and
    # ``chunk.get("type")`` keep such code working.
    def __getitem__(self, key: str) -> Any:
        if key not in {f.name for f in dataclasses.fields(self)}:  # type: ignore[arg-type]
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        """The field ``key``, or ``default`` when the chunk has no such field."""
        try:
            return self[key]
        except KeyError:
            return default


@dataclasses.dataclass
class BraintrustTextChunk(_ReadByKey):
    """A piece of text output.

    Args:
        data: The text.
    """

    data: str
    type: str = "text_delta"


@dataclasses.dataclass
class BraintrustJsonChunk(_ReadByKey):
    """A piece of the JSON text of the output (the pieces join into one JSON value).

    Args:
        data: The JSON text piece.
    """

    data: str
    type: str = "json_delta"


@dataclasses.dataclass
class BraintrustErrorChunk(_ReadByKey):
    """The function failed; ``data`` says why.

    Args:
        data: The error message.
    """

    data: str
    type: str = "error"


@dataclasses.dataclass
class BraintrustConsoleChunk(_ReadByKey):
    """A line the function printed.

    Args:
        message: The line.
        stream: ``stdout`` or ``stderr``.
    """

    message: str
    stream: str
    type: str = "console"


@dataclasses.dataclass
class BraintrustProgressChunk(_ReadByKey):
    """Output of a function called inside the invoked one (an agent's step).

    Args:
        data: The nested call's output piece.
        id: The nested function's id.
        object_type: What it is (``prompt``, ``tool``...).
        format: Its format (``llm``, ``code``...).
        output_type: Its output type (``completion``, ``score``...).
        name: Its name.
        event: The kind of piece: ``text_delta``, ``json_delta`` or ``reasoning_delta``.
    """

    data: str
    id: str
    object_type: str
    format: str
    output_type: str
    name: str
    event: str
    type: str = "progress"


BraintrustStreamChunk = Union[BraintrustTextChunk, BraintrustJsonChunk, BraintrustErrorChunk,
                              BraintrustConsoleChunk, BraintrustProgressChunk]

_CHUNK_TYPES: dict[str, Any] = {c.type: c for c in (
    BraintrustTextChunk, BraintrustJsonChunk, BraintrustErrorChunk, BraintrustConsoleChunk,
    BraintrustProgressChunk)}


def _as_chunk(value: Any) -> Any:
    # Chunks given as dicts ({"type": ..., "data": ...}) become chunk objects.
    if isinstance(value, Mapping) and value.get("type") in _CHUNK_TYPES:
        cls = _CHUNK_TYPES[value["type"]]
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in value.items() if k in names})
    return value


def _decoded(data: str) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return data


def chunks_from_sse(lines: Iterable[str]) -> Iterator[BraintrustStreamChunk]:
    """Chunks from the lines of a server-sent-event answer of ``/function/invoke``.

    A text delta's data is a JSON string; a JSON delta's is a piece of JSON
    text, kept as it is; events of other kinds (``start``, ``done``) carry
    no output and are skipped.
    """
    event, data = "", []
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        elif not line and (event or data):
            chunk = _sse_chunk(event or "text_delta", "\n".join(data))
            if chunk is not None:
                yield chunk
            event, data = "", []
    if event or data:  # an answer that ends without the blank line
        last = _sse_chunk(event or "text_delta", "\n".join(data))
        if last is not None:
            yield last


def _sse_chunk(event: str, data: str) -> Optional[BraintrustStreamChunk]:
    if event == "text_delta":
        text = _decoded(data)
        return BraintrustTextChunk(data=text if isinstance(text, str) else data)
    if event == "json_delta":
        return BraintrustJsonChunk(data=data)
    if event == "error":
        return BraintrustErrorChunk(data=str(_decoded(data)))
    if event in ("console", "progress"):
        fields = _decoded(data)
        if not isinstance(fields, Mapping):
            diagnostics.report("stream", f"a {event} event of a streamed invocation is not "
                               f"a JSON object; skipped: {data[:200]!r}")
            return None
        # A field the service left out reads as empty rather than failing the stream.
        cls = _CHUNK_TYPES[event]
        chunk: BraintrustStreamChunk = cls(**{f.name: fields.get(f.name, "")
                                              for f in dataclasses.fields(cls)
                                              if f.name != "type"})
        return chunk
    return None


_END = object()
_UNSET = object()


class _Chunks:
    """The chunks read so far from one source, shared by a stream and its copies."""

    def __init__(self, source: Iterable[Any]) -> None:
        self._source = iter(source)
        self._read: list[Any] = []
        self._done = False
        self._lock = threading.Lock()

    def at(self, index: int) -> Any:
        """Chunk ``index`` (reading the source as far as needed), or ``_END``."""
        with self._lock:
            while len(self._read) <= index and not self._done:
                try:
                    self._read.append(_as_chunk(next(self._source)))
                except StopIteration:
                    self._done = True
            return self._read[index] if index < len(self._read) else _END


class BraintrustStream:
    """The chunks of a streamed invocation.

    Iterate it (``for`` or ``async for``), or call :meth:`final_value`. Each
    chunk is a :class:`BraintrustTextChunk`, :class:`BraintrustJsonChunk`,
    :class:`BraintrustErrorChunk`, :class:`BraintrustConsoleChunk` or
    :class:`BraintrustProgressChunk`.

    Args:
        base_stream: The chunks (any iterable; dicts with ``type`` are
            turned into chunk objects).
    """

    def __init__(self, base_stream: Iterable[Any]) -> None:
        self._init(_Chunks(base_stream), 0)

    def _init(self, chunks: _Chunks, position: int) -> None:
        self._chunks = chunks
        self._origin = self._position = position
        self._final: Any = _UNSET

    def __iter__(self) -> Iterator[BraintrustStreamChunk]:
        while True:
            chunk = self._chunks.at(self._position)
            if chunk is _END:
                return
            self._position += 1
            yield chunk

    async def __aiter__(self) -> AsyncIterator[BraintrustStreamChunk]:
        # Reading the next chunk may wait on the network: do it off the event loop.
        import asyncio

        chunks = iter(self)
        while True:
            chunk: Any = await asyncio.to_thread(next, chunks, _END)
            if chunk is _END:
                return
            yield chunk

    def copy(self) -> BraintrustStream:
        """A stream that reads the same chunks from where this one is, independently.

        Returns:
            The new :class:`BraintrustStream`; reading either does not consume
            the other's chunks.
        """
        twin = BraintrustStream.__new__(BraintrustStream)
        twin._init(self._chunks, self._position)
        return twin

    def final_value(self) -> Any:
        """Reads the rest of the stream and returns the whole output: the JSON
        deltas joined and decoded, else the text joined, else None. Chunks this
        stream already yielded count too.

        Raises:
            BraintrustInvokeError: When the stream carries an error chunk.
        """
        if self._final is _UNSET:
            for _ in self:
                pass
            self._final = parse_stream(
                self._chunks.at(i) for i in range(self._origin, self._position))
        return self._final

    async def final_value_async(self) -> Any:
        """:meth:`final_value` without blocking the event loop."""
        import asyncio

        return await asyncio.to_thread(self.final_value)


def parse_stream(stream: Iterable[Any]) -> Any:
    """Joins the chunks of a stream into its final value.

    Args:
        stream: A :class:`BraintrustStream` (or any iterable of chunks).

    Returns:
        The JSON deltas joined and decoded, else the text deltas joined, else None.

    Raises:
        BraintrustInvokeError: On an error chunk.
        ValueError: On a chunk of an unknown kind.
    """
    texts: list[str] = []
    parts: list[str] = []
    for chunk in map(_as_chunk, stream):
        if isinstance(chunk, BraintrustTextChunk):
            texts.append(str(chunk.data))
        elif isinstance(chunk, BraintrustJsonChunk):
            parts.append(str(chunk.data))
        elif isinstance(chunk, BraintrustErrorChunk):
            raise BraintrustInvokeError(chunk.data)
        elif not isinstance(chunk, (BraintrustProgressChunk, BraintrustConsoleChunk)):
            raise ValueError(f"parse_stream(): unknown chunk {chunk!r}")
    if parts:
        return json.loads("".join(parts))
    return "".join(texts) if texts else None
