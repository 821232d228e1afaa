"""`braintrust serve` for tests: in a thread of this process, or as a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
import uvicorn

from braintrust.server import create_app, server_config
from braintrust_otel.store import Store

ROOT = Path(__file__).resolve().parent.parent


class Running:
    """``braintrust serve``'s app and connection limits, served from a thread on 127.0.0.1.

    ``max_connections`` and ``idle_timeout`` go to ``server_config``, the rest to
    ``create_app``.
    """

    def __init__(self, store: Store, token: str | None = None, **options: Any) -> None:
        self.port = free_port()
        limits = {k: options.pop(k) for k in ("max_connections", "idle_timeout")
                  if k in options}
        config = server_config(create_app(store, token, **options), "127.0.0.1", self.port,
                               **limits)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                break
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_process(location: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """``braintrust serve`` on ``location`` with ``workers`` workers, in a process of its own
    (its own session, so a test can signal the whole group), once it answers.

    Returns:
        The process and its URL.
    """
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "braintrust", "serve", "--port", str(port),
                             "--store", location, "--workers", str(workers)], env=env,
                            stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(url + "/version", timeout=1)
            return proc, url
        except requests.ConnectionError as exc:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read().decode() if proc.stderr
                                     else "exited") from exc
            time.sleep(0.1)
    raise AssertionError("braintrust serve did not start")
