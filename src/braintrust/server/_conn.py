"""Connections: an idle timeout and a cap, on top of uvicorn's h11 protocol.

uvicorn closes a kept-alive connection some seconds after a response, but a
connection that never sends a request (or stops halfway through one) is held
forever, and nothing bounds how many are open: enough idle sockets exhaust the
process's file descriptors. Here a connection on which the server is waiting
for the client is closed after ``idle_timeout`` seconds without a byte, and
past ``max_connections`` a new connection closes the longest-idle one (or is
answered 503 when every connection is busy with a request).
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["DEFAULT_IDLE_TIMEOUT", "DEFAULT_MAX_CONNECTIONS", "server_config"]

DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_IDLE_TIMEOUT = 20.0
# uvicorn's own wait for the next request on a kept-alive connection.
_KEEP_ALIVE = 5
_BUSY_BODY = b'{"error": "too many connections; try again later"}'
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
         b"connection: close\r\nretry-after: 1\r\ncontent-length: "
         + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY)


class _GuardedH11(H11Protocol):
    max_connections = DEFAULT_MAX_CONNECTIONS
    idle_timeout = DEFAULT_IDLE_TIMEOUT

    _last_seen = 0.0
    _idle_timer: Optional[asyncio.TimerHandle] = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._last_seen = self.loop.time()
        self._idle_timer = self.loop.call_later(self.idle_timeout, self._check_idle)
        if _open(self.connections) > self.max_connections:
            self._make_room()

    def data_received(self, data: bytes) -> None:
        self._last_seen = self.loop.time()
        super().data_received(data)

    def on_response_complete(self) -> None:
        self._last_seen = self.loop.time()  # idle time counts from the end of the response
        super().on_response_complete()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        super().connection_lost(exc)

    def waiting_on_client(self) -> bool:
        """True while the server waits for the client: for a request, or for its body."""
        if self.transport.is_closing():
            return False
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            return True
        # A paused read means the app has not taken the body yet: the wait is ours.
        return cycle.more_body and not self.flow.read_paused

    def _check_idle(self) -> None:
        self._idle_timer = None
        if self.transport.is_closing():
            return
        idle = self.loop.time() - self._last_seen
        if self.waiting_on_client() and idle >= self.idle_timeout:
            self.transport.close()
            return
        wait = self.idle_timeout - idle if self.waiting_on_client() else self.idle_timeout
        self._idle_timer = self.loop.call_later(max(wait, 0.01), self._check_idle)

    def _make_room(self) -> None:
        idle = [c for c in self.connections
                if c is not self and isinstance(c, _GuardedH11) and c.waiting_on_client()]
        if idle:
            min(idle, key=lambda c: c._last_seen).transport.close()
        else:
            self.transport.write(_BUSY)
            self.transport.close()


def _open(connections: Any) -> int:
    return sum(1 for c in connections if not c.transport.is_closing())


def server_config(app: Any, host: str = "127.0.0.1", port: int = 8000, *,
                  max_connections: int = DEFAULT_MAX_CONNECTIONS,
                  idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                  log_level: str = "warning") -> uvicorn.Config:
    """A uvicorn configuration serving ``app`` with the connection limits.

    Args:
        app: The ASGI application (``create_app(...)``).
        host: The address to bind.
        port: The port to bind.
        max_connections: Connections open at once; past it the longest-idle one is closed.
        idle_timeout: Seconds a connection may keep the server waiting for a request (or
            the rest of one) before it is closed.
        log_level: uvicorn's log level.

    Returns:
        The configuration, for ``uvicorn.Server(config).run()``.
    """
    if max_connections < 1:
        raise ValueError(f"max_connections must be at least 1, not {max_connections}")
    if not idle_timeout > 0:
        raise ValueError(f"idle_timeout must be positive, not {idle_timeout}")
    protocol = type("GuardedH11", (_GuardedH11,), {"max_connections": max_connections,
                                                   "idle_timeout": float(idle_timeout)})
    keep_alive = max(1, min(_KEEP_ALIVE, int(idle_timeout)))
    return uvicorn.Config(app, host=host, port=port, http=protocol, log_level=log_level,
                          lifespan="off", timeout_keep_alive=keep_alive)
