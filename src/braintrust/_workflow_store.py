"""Where a workflow evaluation keeps its state between calls: the store protocol,
an in-process store, and a Redis store over the user's redis-py client."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import inspect
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

__all__ = ["DEFAULT_REDIS_TTL_MS", "WorkflowEvalMemoryStore", "WorkflowEvalRedisStore",
           "WorkflowEvalStore", "WorkflowEvalStoreEntry"]

#: A week: long enough for provider batches (24 h windows) and their retries.
DEFAULT_REDIS_TTL_MS = 7 * 24 * 60 * 60 * 1000


@dataclasses.dataclass(frozen=True)
class WorkflowEvalStoreEntry:
    """What ``get_or_set`` found: the stored value, and whether this call stored it."""

    value: bytes
    created: bool


class WorkflowEvalStore(Protocol):
    """What a workflow evaluation needs from its store; every method is a coroutine.

    Several processes may run the same evaluation at once (a poller, a webhook
    handler), so ``get_or_set``, ``reserve_batch`` and the lease methods must be
    atomic. Values are bytes.
    """

    async def read(self, key: str) -> bytes | None:
        """The value at ``key``, or None."""
        ...

    async def write(self, key: str, value: bytes) -> None:
        """Stores ``value`` at ``key`` (replacing what was there)."""
        ...

    async def get_or_set(self, key: str, value: bytes) -> WorkflowEvalStoreEntry:
        """Stores ``value`` unless ``key`` holds one; returns what ``key`` holds now."""
        ...

    async def reserve_batch(self, keys: Sequence[str], value: bytes, submission_key: str,
                            submission_value: bytes, lease_key: str, lease_value: bytes,
                            lease_ttl_ms: int) -> bool:
        """If none of ``keys``, ``submission_key``, ``lease_key`` exists, sets all of
        them at once (``lease_key`` expiring after ``lease_ttl_ms``) and returns
        True; else changes nothing and returns False."""
        ...

    async def acquire_lease(self, key: str, value: bytes, ttl_ms: int) -> bool:
        """Sets ``key`` to ``value`` for ``ttl_ms`` if it is free; True when it was."""
        ...

    async def release_lease(self, key: str, value: bytes) -> None:
        """Deletes ``key`` if it still holds ``value`` (our own lease)."""
        ...

    async def add_to_set(self, key: str, member: str) -> None:
        """Adds ``member`` to the set at ``key``."""
        ...

    async def get_set_size(self, key: str) -> int:
        """How many members the set at ``key`` has."""
        ...


class WorkflowEvalMemoryStore:
    """A store in this process's memory: for tests and runs that start and finish
    in one process. Thread-safe; leases expire."""

    def __init__(self) -> None:
        self._values: dict[str, bytes] = {}
        self._expires: dict[str, float] = {}
        self._sets: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> bytes | None:
        deadline = self._expires.get(key)
        if deadline is not None and deadline <= time.monotonic():
            self._values.pop(key, None)
            del self._expires[key]
        return self._values.get(key)

    async def read(self, key: str) -> bytes | None:
        """The value at ``key``, or None."""
        with self._lock:
            return self._live(key)

    async def write(self, key: str, value: bytes) -> None:
        """Stores ``value`` at ``key``."""
        with self._lock:
            self._values[key] = bytes(value)
            self._expires.pop(key, None)

    async def get_or_set(self, key: str, value: bytes) -> WorkflowEvalStoreEntry:
        """Stores ``value`` unless ``key`` holds one; returns what it holds now."""
        with self._lock:
            found = self._live(key)
            if found is not None:
                return WorkflowEvalStoreEntry(found, False)
            self._values[key] = bytes(value)
            return WorkflowEvalStoreEntry(bytes(value), True)

    async def reserve_batch(self, keys: Sequence[str], value: bytes, submission_key: str,
                            submission_value: bytes, lease_key: str, lease_value: bytes,
                            lease_ttl_ms: int) -> bool:
        """Sets every key at once if none exists (see :class:`WorkflowEvalStore`)."""
        with self._lock:
            if any(self._live(k) is not None for k in (*keys, submission_key, lease_key)):
                return False
            for key in keys:
                self._values[key] = bytes(value)
            self._values[submission_key] = bytes(submission_value)
            self._values[lease_key] = bytes(lease_value)
            self._expires[lease_key] = time.monotonic() + lease_ttl_ms / 1000
            return True

    async def acquire_lease(self, key: str, value: bytes, ttl_ms: int) -> bool:
        """Takes the lease ``key`` for ``ttl_ms`` if it is free."""
        with self._lock:
            if self._live(key) is not None:
                return False
            self._values[key] = bytes(value)
            self._expires[key] = time.monotonic() + ttl_ms / 1000
            return True

    async def release_lease(self, key: str, value: bytes) -> None:
        """Gives the lease back if it is still ours."""
        with self._lock:
            if self._live(key) == value:
                del self._values[key]
                self._expires.pop(key, None)

    async def add_to_set(self, key: str, member: str) -> None:
        """Adds ``member`` to the set at ``key``."""
        with self._lock:
            self._sets.setdefault(key, set()).add(member)

    async def get_set_size(self, key: str) -> int:
        """The size of the set at ``key``."""
        with self._lock:
            return len(self._sets.get(key, ()))


# Lua, so each step is one atomic command on the server.
_RESERVE = """
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then return 0 end
end
for i = 1, #KEYS - 2 do
  redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[4])
end
redis.call('SET', KEYS[#KEYS - 1], ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[#KEYS], ARGV[3], 'PX', ARGV[5])
return 1
"""
_RELEASE = ("if redis.call('GET', KEYS[1]) == ARGV[1] then "
            "return redis.call('DEL', KEYS[1]) else return 0 end")
_ADD = "redis.call('SADD', KEYS[1], ARGV[1]); redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1"


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(value: Any, what: str) -> bytes:
    if isinstance(value, bytes):
        value = value.decode("ascii")
    if not isinstance(value, str):
        raise TypeError(f"WorkflowEvalRedisStore: {what} returned {type(value).__name__}, "
                        "expected str, bytes or None")
    return base64.b64decode(value)


class WorkflowEvalRedisStore:
    """A store in Redis, shared by every process of a workflow evaluation.

    Takes a client you made: a redis-py ``Redis`` (sync) or
    ``redis.asyncio.Redis``; sync calls run on a worker thread. Values are
    base64 text (so a client with ``decode_responses=True`` works too), every
    key expires after ``ttl_ms``, and the atomic steps are Lua scripts. The
    ``redis`` package is not a dependency of braintrust: install it yourself.

    Args:
        client: The redis-py client.
        key_prefix: Put before every key.
        ttl_ms: How long a run's keys live (a week by default).

    Raises:
        ValueError: When ``ttl_ms`` is not a positive int.
    """

    def __init__(self, client: Any, *, key_prefix: str = "braintrust-eval:",
                 ttl_ms: int = DEFAULT_REDIS_TTL_MS) -> None:
        if isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms < 1:
            raise ValueError("WorkflowEvalRedisStore ttl_ms must be a positive integer")
        if not isinstance(key_prefix, str):
            raise TypeError("WorkflowEvalRedisStore key_prefix must be a str")
        self.client = client
        self.key_prefix = key_prefix
        self.ttl_ms = ttl_ms

    async def _run(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if inspect.iscoroutinefunction(method):
            return await method(*args, **kwargs)
        result = await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(method, *args, **kwargs))
        return await result if inspect.isawaitable(result) else result

    def _k(self, key: str) -> str:
        return self.key_prefix + key

    async def read(self, key: str) -> bytes | None:
        """The value at ``key``, or None."""
        found = await self._run(self.client.get, self._k(key))
        return None if found is None else _unb64(found, "GET")

    async def write(self, key: str, value: bytes) -> None:
        """Stores ``value`` at ``key``."""
        await self._run(self.client.set, self._k(key), _b64(value), px=self.ttl_ms)

    async def get_or_set(self, key: str, value: bytes) -> WorkflowEvalStoreEntry:
        """``SET NX GET``: stores ``value`` unless ``key`` holds one."""
        before = await self._run(self.client.set, self._k(key), _b64(value), px=self.ttl_ms,
                                 nx=True, get=True)
        if before is None:
            return WorkflowEvalStoreEntry(bytes(value), True)
        return WorkflowEvalStoreEntry(_unb64(before, "SET NX GET"), False)

    async def reserve_batch(self, keys: Sequence[str], value: bytes, submission_key: str,
                            submission_value: bytes, lease_key: str, lease_value: bytes,
                            lease_ttl_ms: int) -> bool:
        """Sets every key at once if none exists (see :class:`WorkflowEvalStore`)."""
        names = [self._k(k) for k in (*keys, submission_key, lease_key)]
        done = await self._run(self.client.eval, _RESERVE, len(names), *names, _b64(value),
                               _b64(submission_value), _b64(lease_value), self.ttl_ms,
                               lease_ttl_ms)
        if done not in (0, 1, b"0", b"1", "0", "1"):
            raise TypeError("WorkflowEvalRedisStore: the reservation script returned "
                            f"{done!r}, expected 0 or 1")
        return done in (1, b"1", "1")

    async def acquire_lease(self, key: str, value: bytes, ttl_ms: int) -> bool:
        """``SET NX PX``: takes the lease if it is free."""
        done = await self._run(self.client.set, self._k(key), _b64(value), px=ttl_ms, nx=True)
        return done is True or done in (b"OK", "OK")

    async def release_lease(self, key: str, value: bytes) -> None:
        """Deletes the lease if it still holds our value."""
        await self._run(self.client.eval, _RELEASE, 1, self._k(key), _b64(value))

    async def add_to_set(self, key: str, member: str) -> None:
        """``SADD``, renewing the set's expiry."""
        await self._run(self.client.eval, _ADD, 1, self._k(key), member, self.ttl_ms)

    async def get_set_size(self, key: str) -> int:
        """``SCARD``."""
        return int(await self._run(self.client.scard, self._k(key)))
