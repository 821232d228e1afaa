"""Traced streams and iterables of an LLM call: the call's span ends when the
stream is consumed, closed or fails, with the items it yielded as its result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import wrapt

from .. import diagnostics

if TYPE_CHECKING:
    from ._llm import LLMCall


class _Accumulator:
    """Collects stream items; ``on_done(call, items)`` records the result."""

    def __init__(self, call: LLMCall, on_done: Callable[[LLMCall, list[Any]], None],
                 is_token: Callable[[Any], bool]) -> None:
        self.call = call
        self.items: list[Any] = []
        self.on_done = on_done
        self.is_token = is_token

    def add(self, item: Any) -> None:
        self.items.append(item)
        try:
            if self.call._first_token is None and self.is_token(item):
                self.call.first_token()
        except Exception:
            pass

    def done(self) -> None:
        if self.call._done:
            return
        try:
            self.on_done(self.call, self.items)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not assemble a streamed response", exc)
            self.call.finish()

    def fail(self, exc: BaseException) -> None:
        self.call.fail(exc)


class _SyncStream(wrapt.ObjectProxy):  # type: ignore[type-arg]
    def __init__(self, wrapped: Any, acc: _Accumulator) -> None:
        super().__init__(wrapped)
        self._self_acc = acc

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> Any:
        try:
            item = self.__wrapped__.__next__()
        except StopIteration:
            self._self_acc.done()
            raise
        except Exception as exc:
            self._self_acc.fail(exc)
            raise
        self._self_acc.add(item)
        return item

    def __enter__(self) -> Any:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc)
        finally:
            self._self_acc.done()

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_acc.done()


class _AsyncStream(wrapt.ObjectProxy):  # type: ignore[type-arg]
    def __init__(self, wrapped: Any, acc: _Accumulator) -> None:
        super().__init__(wrapped)
        self._self_acc = acc

    def __aiter__(self) -> Any:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_acc.done()
            raise
        except Exception as exc:
            self._self_acc.fail(exc)
            raise
        self._self_acc.add(item)
        return item

    async def __aenter__(self) -> Any:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc)
        finally:
            self._self_acc.done()

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_acc.done()


class _Iterable(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """An iterable that is not its own iterator (botocore's EventStream, say)."""

    def __init__(self, wrapped: Any, acc: _Accumulator) -> None:
        super().__init__(wrapped)
        self._self_acc = acc

    def __iter__(self) -> Any:
        try:
            for item in self.__wrapped__:
                self._self_acc.add(item)
                yield item
        except Exception as exc:
            self._self_acc.fail(exc)
            raise
        finally:
            self._self_acc.done()  # also when the caller stops early

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_acc.done()


class _AsyncIterable(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """An async iterable that is not its own iterator (a gRPC streaming call, say)."""

    def __init__(self, wrapped: Any, acc: _Accumulator) -> None:
        super().__init__(wrapped)
        self._self_acc = acc

    async def _items(self) -> Any:
        try:
            async for item in self.__wrapped__:
                self._self_acc.add(item)
                yield item
        except Exception as exc:
            self._self_acc.fail(exc)
            raise
        finally:
            self._self_acc.done()

    def __aiter__(self) -> Any:
        return self._items()


def traced_iterable(stream: Any, call: LLMCall, on_done: Callable[[LLMCall, list[Any]], None],
                    is_token: Callable[[Any], bool]) -> Any:
    """Wraps a sync iterable: the span ends when iteration ends, stops or fails.

    An iterator stays one (``next()`` on it still works); a plain iterable is
    watched through ``iter()``.
    """
    if hasattr(type(stream), "__next__"):
        return _SyncStream(stream, _Accumulator(call, on_done, is_token))
    return _Iterable(stream, _Accumulator(call, on_done, is_token))


def traced_async_iterable(stream: Any, call: LLMCall,
                          on_done: Callable[[LLMCall, list[Any]], None],
                          is_token: Callable[[Any], bool]) -> Any:
    """Wraps an async iterable: the span ends when iteration ends, stops or fails."""
    if hasattr(type(stream), "__anext__"):
        return _AsyncStream(stream, _Accumulator(call, on_done, is_token))
    return _AsyncIterable(stream, _Accumulator(call, on_done, is_token))


def traced_stream(stream: Any, call: LLMCall, on_done: Callable[[LLMCall, list[Any]], None],
                  is_token: Callable[[Any], bool]) -> Any:
    """Wraps a sync stream: the span ends when it is consumed, closed, or fails."""
    return _SyncStream(stream, _Accumulator(call, on_done, is_token))


def traced_async_stream(stream: Any, call: LLMCall,
                        on_done: Callable[[LLMCall, list[Any]], None],
                        is_token: Callable[[Any], bool]) -> Any:
    """Wraps an async stream: the span ends when it is consumed, closed, or fails."""
    return _AsyncStream(stream, _Accumulator(call, on_done, is_token))
