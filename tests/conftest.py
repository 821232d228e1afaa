"""Shared fixtures: every test gets its own embedded store file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import braintrust
from braintrust import _state
from braintrust._environment import _MARKERS
from braintrust_otel import diagnostics
from braintrust_otel import masking as _masking
from braintrust_otel.api import ApiConnection
from braintrust_otel.sinks.http import HttpSink
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.spool import Spool
from tests.fake_braintrust import GOOD_KEY, FakeBraintrust

# The tests expect no detected environment on rows (context.span_origin): a CI
# runner's own variables (CI=true, GITHUB_ACTIONS, ...) would put one on every
# row, here and in every subprocess a test starts. Tests of the detection set
# the variables they need.
for _name in _MARKERS:
    os.environ.pop(_name, None)

ROOT = Path(__file__).resolve().parent.parent

# LiteLLM (under DSPy) fetches its model price list from the internet when
# imported unless told to use the copy it ships; tests reach only 127.0.0.1.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")


class StoreHelper:
    """The test's store, with helpers that flush before reading."""

    def __init__(self, sink: LocalSink) -> None:
        self.sink = sink
        self.store = sink.store
        self.path = sink.store.path

    def rows(self, project: str = "p") -> list[dict[str, Any]]:
        braintrust.flush()
        found = self.store.find_project(name=project)
        assert found is not None, f"no project {project!r} in the store"
        return [r.data for r in self.store.rows("project_logs", found["id"])]

    def by_name(self, project: str = "p") -> dict[str, dict[str, Any]]:
        # Spans only: comment rows (log_feedback) have no span attributes.
        return {r["span_attributes"]["name"]: r for r in self.rows(project)
                if "span_attributes" in r}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StoreHelper]:
    braintrust.flush()
    sink = LocalSink(tmp_path / "store.sqlite", notice=False)
    _state.exporter().sink = sink
    _state.current_logger = None
    _state.current_experiment = None
    _state.sync_parents.clear()
    _masking.set_masking_function(None)
    diagnostics.reset()
    yield StoreHelper(sink)
    braintrust.flush()
    _masking.set_masking_function(None)
    _state.current_logger = None
    _state.current_experiment = None


def stored_rows(db: Path, project: str) -> list[dict[str, Any]]:
    """Every row of a project's logs in the store file ``db``."""
    from braintrust_otel.store import Store

    store = Store(db)
    found = store.find_project(name=project)
    assert found is not None, f"no project {project!r} in {db}"
    return [r.data for r in store.rows("project_logs", found["id"])]


def run_python(code: str, tmp_path: Path, env: dict[str, str] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs a Python snippet in a fresh interpreter with its own store."""
    full_env = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(tmp_path / "sub.sqlite"))
    full_env.pop("BRAINTRUST_API_KEY", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=full_env, timeout=timeout, cwd=str(tmp_path))


def auto_instrument_only(*names: str) -> dict[str, bool]:
    """``auto_instrument()`` with every other official flag off.

    In this process a library not imported yet would get an import hook that
    outlives the test and instruments it whenever a later test imports it;
    the libraries named here are already imported by the calling test module.
    """
    from braintrust_otel.instrumentation import OFFICIAL_FLAGS

    flags: dict[str, Any] = {f: f in names for f in OFFICIAL_FLAGS}
    return braintrust.auto_instrument(**flags)


def undo_auto_instrument(result: dict[str, bool]) -> None:
    """Uninstruments every library that ``auto_instrument()`` reported as turned on."""
    import importlib

    from braintrust_otel.instrumentation import INSTRUMENTORS

    for name, on in result.items():
        if on:
            module, _, cls = INSTRUMENTORS[name].instrumentor.partition(":")
            getattr(importlib.import_module(module), cls)().uninstrument()


@pytest.fixture
def fake() -> Iterator[FakeBraintrust]:
    """The fake Braintrust service on 127.0.0.1 (tests/fake_braintrust.py)."""
    with FakeBraintrust() as server:
        yield server


def use_sink(sink: Any) -> None:
    """Makes ``sink`` the exporter's sink, after handing queued spans to the old one."""
    # A sink facing a dead service would otherwise keep trying for flush()'s whole timeout.
    braintrust.flush(1)
    exporter = _state.exporter()
    old = exporter._sink
    exporter.sink = sink
    if isinstance(old, HttpSink):
        old._start_closing()  # stops its replayer; its spool stays for the test to read


@pytest.fixture
def api(fake: FakeBraintrust, tmp_path: Path) -> Iterator[HttpSink]:
    """Delivery to ``fake`` over HTTP, with quick retries, for the test's duration."""
    conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=5)
    sink = HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01, backoff_cap=0.05,
                    cooldown_cap=0.2)
    use_sink(sink)
    _state.current_logger = None
    diagnostics.reset()
    yield sink
    braintrust.flush()
    use_sink(LocalSink(tmp_path / "after.sqlite", notice=False))
    _state.current_logger = None


@pytest.fixture(params=["store", "service"])
def where(request: pytest.FixtureRequest) -> Iterator[FakeBraintrust | None]:
    """Each test once on the embedded store (None) and once on the fake service."""
    if request.param == "store":
        request.getfixturevalue("store")
        yield None
    else:
        request.getfixturevalue("api")
        yield request.getfixturevalue("fake")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A real PostgreSQL server for the session (skipped, with the reason, where none runs)."""
    from .postgres_server import PostgresServer

    try:
        server = PostgresServer()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"no PostgreSQL server: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's Store lives, once per engine: a file, or an empty PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite")
    server = request.getfixturevalue("postgres")
    url: str = server.new_database()
    return url
