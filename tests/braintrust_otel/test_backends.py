"""Both backends through the one Backend protocol: the same tests run against the
embedded store and against the fake Braintrust service on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from braintrust_otel.api import ApiConnection
from braintrust_otel.backends import Backend, NotFound, RowsOnlyBackend, backend_for
from braintrust_otel.backends.local import LocalBackend
from braintrust_otel.backends.rest import RestBackend
from braintrust_otel.sinks.http import HttpSink
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.spool import Spool
from tests.fake_braintrust import GOOD_KEY, FakeBraintrust


@pytest.fixture(params=["local", "rest"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh backend of each kind (made by backend_for, as _state makes it)."""
    if request.param == "local":
        found = backend_for(LocalSink(tmp_path / "store.sqlite", notice=False))
        assert isinstance(found, LocalBackend)
        yield found
        found.shutdown()
        return
    with FakeBraintrust() as fake:
        conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=5)
        sink = HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01, cooldown_cap=0.1)
        found = backend_for(sink)
        assert isinstance(found, RestBackend)
        yield found
        found.shutdown()


def _row(parent: str, **fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "_parent": parent, **fields}


def test_projects_by_name_and_id(backend: Backend) -> None:
    first = backend.ensure_project(name="proj")
    assert first["name"] == "proj" and first["id"]
    assert backend.ensure_project(name="proj")["id"] == first["id"]
    assert backend.cached_project_id("proj") == first["id"]
    assert backend.ensure_project(id=first["id"])["id"] == first["id"]
    assert backend.object_ids("project_name:proj") == {"project_id": first["id"], "log_id": "g"}
    assert backend.object_ids(f"project_id:{first['id']}") == {"project_id": first["id"],
                                                               "log_id": "g"}


def test_experiments_register_find_list(backend: Backend) -> None:
    proj, first = backend.register_experiment("proj", None, "run", {"description": "d"}, False)
    assert first["name"] == "run" and first["description"] == "d" and not first.get("offline")
    _, second = backend.register_experiment("proj", None, "run", {}, False)
    assert second["name"] != "run" and second["id"] != first["id"]  # a taken name gets a suffix
    _, reopened = backend.register_experiment("proj", None, "run", {}, True)
    assert reopened["id"] == first["id"]
    pid = proj["id"] or backend.ensure_project(name="proj")["id"]
    assert [e["id"] for e in backend.list_experiments(pid)] == [first["id"], second["id"]]
    found = backend.find_experiment(pid, id=second["id"])
    assert found is not None and found["name"] == second["name"]
    by_name = backend.find_experiment(pid, name="run")
    assert by_name is not None and by_name["id"] == first["id"]
    assert backend.find_experiment(pid, name="nothing") is None
    assert backend.object_ids(f"experiment_id:{first['id']}") == {"experiment_id": first["id"]}


def test_rows_read_back_in_order_of_their_last_write(backend: Backend) -> None:
    _, exp = backend.register_experiment("proj", None, "rows", {}, False)
    parent = f"experiment_id:{exp['id']}"
    first, second = _row(parent, input=1), _row(parent, input=2)
    # Each write delivered before the next: a sink may fold writes that wait
    # together into one request, where they share one transaction.
    for rows in ([first], [second], [{"id": first["id"], "_parent": parent,
                                      "_is_merge": True, "scores": {"s": 1.0}}]):
        backend.write(rows)
        assert backend.flush(10) is True
    got = backend.rows("experiment", exp["id"])
    # The merge is the latest write of the first row: it now reads after the second.
    assert [(r["id"], r["input"]) for r in got] == [(second["id"], 2), (first["id"], 1)]
    assert got[1]["scores"] == {"s": 1.0}
    assert int(got[0]["_xact_id"]) < int(got[1]["_xact_id"])
    assert all(r["experiment_id"] == exp["id"] for r in got)


def test_dataset_versions(backend: Backend) -> None:
    _, ds = backend.register_dataset("proj", None, "data", {"description": "d"})
    _, again = backend.register_dataset("proj", None, "data", {})
    assert again["id"] == ds["id"]
    assert backend.dataset_version(ds["id"]) is None
    parent = f"dataset_id:{ds['id']}"
    kept, dropped = _row(parent, input="kept"), _row(parent, input="dropped")
    backend.write([kept, dropped])
    v1 = backend.dataset_version(ds["id"])
    assert v1 is not None and v1.isdigit()
    backend.write([{"id": dropped["id"], "_parent": parent, "_object_delete": True}])
    backend.write([_row(parent, input="later")])
    v2 = backend.dataset_version(ds["id"])
    assert v2 is not None and int(v2) > int(v1)
    now = backend.rows("dataset", ds["id"])
    assert [r["input"] for r in now] == ["kept", "later"]
    assert max(int(r["_xact_id"]) for r in now) == int(v2)
    then = backend.rows("dataset", ds["id"], v1)
    assert sorted(r["input"] for r in then) == ["dropped", "kept"]


def test_prompts_saved_and_found(backend: Backend) -> None:
    pid = backend.ensure_project(name="proj")["id"]
    data = {"name": "Greeter", "prompt_data": {"prompt": {"type": "completion",
                                                          "content": "hi {{x}}"}}}
    first = backend.save_prompt(pid, "greeter", data)
    second = backend.save_prompt(pid, "greeter", {**data, "name": "Greeter 2"})
    assert first["id"] == second["id"] and int(second["_xact_id"]) > int(first["_xact_id"])
    kept = backend.save_prompt(pid, "greeter", {**data, "name": "ignored"}, if_exists="ignore")
    assert kept["name"] == "Greeter 2"
    latest = backend.find_prompt(project="proj", slug="greeter")
    assert latest is not None and latest["name"] == "Greeter 2"
    old = backend.find_prompt(project_id=pid, slug="greeter", version=first["_xact_id"])
    assert old is not None and old["name"] == "Greeter"
    by_id = backend.find_prompt(id=first["id"])
    assert by_id is not None and by_id["slug"] == "greeter"
    assert backend.find_prompt(project="proj", slug="absent") is None


def test_attachments_round_trip(backend: Backend) -> None:
    data = b"\x00bytes\xff" * 50
    reference = {"type": "braintrust_attachment", "key": str(uuid.uuid4()),
                 "filename": "a.bin", "content_type": "application/octet-stream"}
    backend.upload_attachment(reference, data)
    assert backend.read_attachment(reference) == data


def test_functions_run_on_the_service_or_in_process(backend: Backend) -> None:
    built: list[dict[str, Any]] = []

    def request(**extra: Any) -> Any:
        def build() -> dict[str, Any]:
            body = {"api_version": 1, "input": {"x": 1}, "slug": "echo",
                    "project_name": "proj", "stream": False, **extra}
            built.append(body)
            return body
        return build

    if isinstance(backend, LocalBackend):
        with pytest.raises(NotImplementedError):
            backend.invoke(request())
        assert built == []  # the request is not even built
    else:
        assert backend.invoke(request()) == {"echo": {"x": 1}, "slug": "echo"}
        with pytest.raises(NotFound):
            backend.invoke(request(slug="missing"))
        lines = list(backend.invoke(request(stream=True)))
        assert "event: text_delta" in lines


def test_functions_saved_then_found(backend: Backend) -> None:
    pid = backend.ensure_project(name="proj")["id"]
    definition = {"project_id": pid, "slug": "tool", "name": "Tool",
                  "function_data": {"type": "prompt"}, "function_type": "tool",
                  "prompt_data": {"prompt": {"type": "completion", "content": "x"}},
                  "if_exists": "replace"}
    backend.save_functions([definition])
    found = backend.find_prompt(project_id=pid, slug="tool")
    assert found is not None and found["name"] == "Tool"
    assert found["function_type"] == "tool"


def test_functions_of_any_type_found_by_slug_id_and_version(backend: Backend) -> None:
    pid = backend.ensure_project(name="proj")["id"]
    schema = {"type": "object", "properties": {"n": {"default": 1}}}
    params: dict[str, Any] = {"project_id": pid, "slug": "knobs", "name": "Knobs",
                              "description": "",
                              "function_type": "parameters", "if_exists": "replace",
                              "function_data": {"type": "parameters", "data": {"n": 1},
                                                "__schema": schema}}
    backend.save_functions([params])
    first = backend.find_function(project="proj", slug="knobs")
    assert first is not None and first["function_data"]["__schema"] == schema
    backend.save_functions([{**params, "function_data": {**params["function_data"],
                                                         "data": {"n": 2}}}])
    latest = backend.find_function(project_id=pid, slug="knobs")
    assert latest is not None and latest["function_data"]["data"] == {"n": 2}
    assert latest["id"] == first["id"] and int(latest["_xact_id"]) > int(first["_xact_id"])
    old = backend.find_function(id=first["id"], version=first["_xact_id"])
    assert old is not None and old["function_data"]["data"] == {"n": 1}
    assert backend.find_function(project="proj", slug="absent") is None


def test_code_bundles_only_where_the_backend_takes_them(backend: Backend) -> None:
    made: list[bool] = []

    def make() -> bytes:
        made.append(True)
        return b"PK zip bytes"

    bundle = backend.upload_bundle(make, {"runtime": "python", "version": "3.11"})
    if isinstance(backend, LocalBackend):
        assert bundle is None and made == []  # code runs from its file: no zip built
    else:
        assert isinstance(bundle, str) and bundle and made == [True]


def test_local_prompt_lookup_names_a_missing_project(tmp_path: Path) -> None:
    backend = backend_for(LocalSink(tmp_path / "s.sqlite", notice=False))
    with pytest.raises(NotFound, match="no project named 'nope'"):
        backend.find_prompt(project="nope", slug="x")


def test_a_foreign_sink_gets_a_rows_only_backend() -> None:
    class Collect:
        def __init__(self) -> None:
            self.rows: list[dict[str, Any]] = []

        def write(self, rows: Any) -> None:
            self.rows += rows

        def flush(self, timeout: float | None = None) -> bool:
            return True

        def shutdown(self) -> None:
            pass

    sink = Collect()
    backend = backend_for(sink)
    assert isinstance(backend, RowsOnlyBackend)
    backend.write([{"id": "1"}])
    assert sink.rows == [{"id": "1"}]
    assert backend.ensure_project(name="p") == {"id": "", "name": "p"}
    assert backend.find_experiment("p") is None and backend.list_experiments("p") == []
    with pytest.raises(RuntimeError, match="keeps no objects"):
        backend.register_dataset("p", None, "d", {})
    with pytest.raises(NotImplementedError):
        backend.invoke(dict)
    assert backend.upload_bundle(bytes, {}) is None
    assert backend_for(backend) is backend  # a backend is its own backend


def test_state_hands_out_the_backend_of_the_installed_sink(tmp_path: Path) -> None:
    import braintrust
    from braintrust import _state

    braintrust.flush()
    old = _state.exporter().sink
    try:
        first = LocalSink(tmp_path / "one.sqlite", notice=False)
        _state.exporter().sink = first
        found = _state.backend()
        assert isinstance(found, LocalBackend) and found.sink is first
        assert _state.backend() is found  # one backend per installed sink
        second = LocalSink(tmp_path / "two.sqlite", notice=False)
        _state.exporter().sink = second
        assert _state.backend().sink is second  # type: ignore[attr-defined]
    finally:
        _state.exporter().sink = old


#: Facade modules that may know the concrete sinks and the store: the composition
#: root (_state) and the command-line tools that open a store file themselves.
_ALLOWED = {"_state.py", "cli.py", "_view.py"}


def test_the_facade_talks_to_no_backend_directly() -> None:
    # The seam: object operations go through _state.backend(); REST calls and
    # store calls live in braintrust_otel.backends, never in the facade.
    facade = Path(__file__).resolve().parents[2] / "src" / "braintrust"
    banned = ("local_store(", "connection(", ".request(", "sinks.http", "sinks.local",
              "braintrust_otel.store", "HttpSink", "LocalSink", "ApiConnection(",
              "import requests")
    offenders = [f"{path.name}: {word}" for path in sorted(facade.glob("*.py"))
                 if path.name not in _ALLOWED
                 for word in banned if word in path.read_text()]
    assert offenders == []


def test_rest_registration_deferred_then_read_under_the_local_id(tmp_path: Path) -> None:
    # Registered while the service answers 503: the experiment gets a local id; its
    # rows and a later read both resolve that id through object_ids, which
    # registers it once the service is back.
    from braintrust_otel import diagnostics

    with FakeBraintrust() as fake:
        conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=5)
        backend = backend_for(HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01))
        pid = backend.ensure_project(name="proj")["id"]
        fake.fail("/v1/experiment", 503)
        diagnostics.reset()
        proj, exp = backend.register_experiment(None, pid, "later", {"description": "d"}, False)
        assert exp["offline"] is True and exp["name"] == "later" and proj["id"] == pid
        assert diagnostics.counts().get("service_down") == 1
        assert not fake.experiments
        backend.write([_row(f"experiment_id:{exp['id']}", input=1)])
        assert backend.flush(10) is True
        got = backend.rows("experiment", exp["id"])
        assert [r["input"] for r in got] == [1]
        registered = backend.object_ids(f"experiment_id:{exp['id']}")["experiment_id"]
        assert registered != exp["id"] and [e["id"] for e in fake.experiments] == [registered]
        assert fake.experiments[0]["name"] == "later"
        backend.shutdown()


def test_a_logger_without_a_project_is_in_the_global_project(store: Any) -> None:
    # On the store, Logger.project used to ask it for a project with neither name
    # nor id (a ValueError); through the backend it is the Global project, as its
    # rows are.
    import braintrust

    logger = braintrust.init_logger()
    assert logger.project["name"] == "Global"
    assert logger.id == store.store.find_project(name="Global")["id"]
    logger.log(input=1)
    assert [r["input"] for r in store.rows("Global")] == [1]


def test_datasets_found_by_id_with_their_project(backend: Backend) -> None:
    proj, ds = backend.register_dataset("proj", None, "data", {"description": "d"})
    found = backend.find_dataset(ds["id"])
    assert found is not None
    got_proj, got = found
    assert (got_proj["id"], got_proj["name"]) == (proj["id"], "proj")
    assert (got["id"], got["name"]) == (ds["id"], "data")
    assert backend.find_dataset("00000000-0000-0000-0000-000000000000") is None
