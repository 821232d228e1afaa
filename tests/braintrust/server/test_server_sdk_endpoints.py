"""The endpoints added for the official SDK, over HTTP: /btql's subset and its refusals,
the base-experiment lookup, invoke's errors, 16-hex-digit versions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from braintrust.server._btql_eval import apply, parse_query
from braintrust_otel.store import Store
from tests.served import Running


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Running, Store]]:
    store = Store(tmp_path / "served.sqlite")
    running = Running(store)
    yield running, store
    running.stop()


def _query(kind: str, object_id: str, **extra: Any) -> dict[str, Any]:
    return {"select": [{"op": "star"}], "from": {
        "op": "function", "name": {"op": "ident", "name": [kind]},
        "args": [{"op": "literal", "value": object_id}]}, **extra}


def _eq(field: str, value: Any) -> dict[str, Any]:
    return {"op": "eq", "left": {"op": "ident", "name": field.split(".")},
            "right": {"op": "literal", "value": value}}


def test_btql_filters_sorts_and_pages_dataset_rows(served: tuple[Running, Store]) -> None:
    running, store = served
    proj = store.ensure_project(name="p")
    ds = store.ensure_dataset(proj["id"], "d", {})
    store.write([("dataset", ds["id"], {"id": f"r{i}", "dataset_id": ds["id"], "input": i,
                                        "metadata": {"even": i % 2 == 0}}) for i in range(7)])
    url = f"{running.url}/btql"
    query = _query("dataset", ds["id"], filter={"op": "and", "children": [
        _eq("metadata.even", True), {"op": "gt", "left": {"op": "ident", "name": ["input"]},
                                     "right": {"op": "literal", "value": 0}}]},
        sort=[{"expr": {"op": "ident", "name": ["input"]}, "dir": "desc"}], limit=2)
    first = requests.post(url, json={"query": query}, timeout=10).json()
    assert [r["input"] for r in first["data"]] == [6, 4]
    assert first["cursor"]
    rest = requests.post(url, json={"query": {**query, "cursor": first["cursor"]}},
                         timeout=10).json()
    assert [r["input"] for r in rest["data"]] == [2] and rest["cursor"] is None
    assert all(r["_xact_id"].isdigit() for r in first["data"])


def test_btql_prompt_versions_with_the_audit_log(served: tuple[Running, Store]) -> None:
    running, store = served
    proj = store.ensure_project(name="p")
    one = store.save_prompt(proj["id"], "s", {"name": "S", "prompt_data": {"n": 1}})
    two = store.save_prompt(proj["id"], "s", {"name": "S", "prompt_data": {"n": 2}})
    query = _query("project_prompts", proj["id"], filter=_eq("id", one["id"]))
    audit = requests.post(f"{running.url}/btql", json={"query": query, "audit_log": True},
                          timeout=10).json()["data"]
    assert [(r["_xact_id"], r["audit_data"]) for r in audit] == [
        (one["_xact_id"], {"action": "upsert"}), (two["_xact_id"], {"action": "upsert"})]
    latest = requests.post(f"{running.url}/btql", json={"query": query}, timeout=10).json()
    assert [r["prompt_data"] for r in latest["data"]] == [{"n": 2}]


@pytest.mark.parametrize(("query", "message"), [
    ("select * from dataset('x')", "query must be a JSON object"),
    (_query("users", "x"), "from must be one of"),
    (_query("dataset", "x", filter={"op": "match", "left": {}, "right": {}}),
     "operator 'match' is not supported"),
    (_query("dataset", "x", limit=-1), "limit must be a non-negative integer"),
    (_query("dataset", "x", cursor="abc"), "cursor must be a cursor this server returned"),
    (_query("dataset", "x", unpivot=[]), "query.unpivot is not supported"),
])
def test_btql_outside_the_subset_is_a_clear_400(served: tuple[Running, Store], query: Any,
                                                message: str) -> None:
    running, _ = served
    resp = requests.post(f"{running.url}/btql", json={"query": query}, timeout=10)
    assert resp.status_code == 400
    assert message in resp.json()["error"]


def test_btql_eval_nulls_like_and_projection() -> None:
    rows: list[dict[str, Any]] = [{"a": "Hello", "b": None}, {"a": "world", "b": 2}]
    like = parse_query(_query("experiment", "x", filter={
        "op": "ilike", "left": {"op": "ident", "name": ["a"]},
        "right": {"op": "literal", "value": "h%"}}))
    assert apply(like, rows)[0] == [rows[0]]
    null = parse_query(_query("experiment", "x", filter={
        "op": "isnull", "expr": {"op": "ident", "name": ["b"]}}))
    assert apply(null, rows)[0] == [rows[0]]
    # NULL never equals, and never differs from, anything.
    ne = parse_query(_query("experiment", "x", filter={
        "op": "ne", "left": {"op": "ident", "name": ["b"]},
        "right": {"op": "literal", "value": 3}}))
    assert apply(ne, rows)[0] == [rows[1]]
    picked = parse_query({**_query("experiment", "x"), "select": [
        {"expr": {"op": "ident", "name": ["a"]}, "alias": "text"}]})
    assert apply(picked, rows)[0] == [{"text": "Hello"}, {"text": "world"}]


def test_base_experiment_lookup(served: tuple[Running, Store]) -> None:
    running, store = served
    proj = store.ensure_project(name="p")
    first = store.create_experiment(proj["id"], "first")
    second = store.create_experiment(proj["id"], "second")
    pinned = store.create_experiment(proj["id"], "third", {"base_exp_id": first["id"]})
    url = f"{running.url}/api/base_experiment/get_id"
    assert requests.post(url, json={"id": first["id"]}, timeout=10).status_code == 400
    assert requests.post(url, json={"id": second["id"]}, timeout=10).json()[
        "base_exp_name"] == "first"
    assert requests.post(url, json={"id": pinned["id"]}, timeout=10).json() == {
        "base_exp_id": first["id"], "base_exp_name": "first",
        "base_exp_project_id": proj["id"]}
    assert requests.post(url, json={"id": "nope"}, timeout=10).status_code == 404
    summary = requests.get(f"{running.url}/v1/experiment/{second['id']}/summarize",
                           timeout=10).json()
    assert summary["comparison_experiment_name"] == "first"


def test_invoke_errors_and_pretty_versions(served: tuple[Running, Store]) -> None:
    running, store = served
    proj = store.ensure_project(name="p")
    saved = store.save_prompt(proj["id"], "s", {"name": "S"})
    url = f"{running.url}/function/invoke"
    missing = requests.post(url, json={"project_name": "p", "slug": "t", "version": "1"},
                            timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"] == "function not found: t in project 'p' at version 1"
    # Code from a bundle runs here only when it is Python and was uploaded here.
    for runtime, bundle_id, message in (
            ("node", "0" * 8 + "-0000-4000-8000-" + "0" * 12, "runs Python code functions"),
            ("python", "1" * 8 + "-0000-4000-8000-" + "0" * 12, "was never uploaded")):
        store.save_prompt(proj["id"], runtime, {"name": runtime, "function_data": {
            "type": "code", "data": {"type": "bundle", "bundle_id": bundle_id,
                                     "runtime_context": {"runtime": runtime},
                                     "location": {"type": "function", "index": 0}}}})
        ran = requests.post(url, json={"project_name": "p", "slug": runtime}, timeout=10)
        assert ran.status_code == 500 and message in ran.text
    hosted = requests.post(url, json={"global_function": "x"}, timeout=10)
    assert hosted.status_code == 400 and "hosted-service" in hosted.json()["error"]
    # The SDKs print versions as 16 hex digits; the prompt loads by either form.
    pretty = format(int(saved["_xact_id"]) * 205891132094649 % 2**64, "016x")
    for version in (saved["_xact_id"], pretty):
        found = requests.get(f"{running.url}/v1/prompt", params={
            "project_id": proj["id"], "slug": "s", "version": version}, timeout=10).json()
        assert [o["id"] for o in found["objects"]] == [saved["id"]]


def test_function_listing_and_lookup(served: tuple[Running, Store]) -> None:
    running, store = served
    proj = store.ensure_project(name="p")
    other = store.ensure_project(name="q")
    first = store.save_prompt(proj["id"], "s", {"name": "S", "function_type": "tool"})
    second = store.save_prompt(proj["id"], "s", {"name": "S2", "function_type": "tool"})
    store.save_prompt(proj["id"], "t", {"name": "T"})
    store.save_prompt(other["id"], "s", {"name": "Other"})
    url = f"{running.url}/v1/function"

    def names(**params: str) -> list[str]:
        objects = requests.get(url, params=params, timeout=10).json()["objects"]
        return sorted(o["name"] for o in objects)

    assert names(project_name="p") == ["S2", "T"]  # latest versions only
    assert names(project_name="p", slug="s") == ["S2"]
    assert names(project_name="p", slug="s", version=first["_xact_id"]) == ["S"]
    assert names(slug="s") == ["Other", "S2"]
    assert names(project_id=proj["id"], function_type="tool") == ["S2"]
    assert names(function_name="T") == ["T"]
    got = requests.get(f"{url}/{first['id']}", timeout=10).json()
    assert got["name"] == "S2" and got["_xact_id"] == second["_xact_id"]
    assert got["org_id"] and got["project_id"] == proj["id"]
    assert requests.get(f"{url}/nope", timeout=10).status_code == 404


def test_code_bundle_upload_is_signed_when_the_server_has_a_token(tmp_path: Path) -> None:
    # The official CLI PUTs its bundle with a plain HTTP client (no Authorization
    # header), as to a storage service's signed URL: the URL carries the proof.
    import io
    import zipfile

    store = Store(tmp_path / "s.sqlite")
    running = Running(store, token="secret")
    try:
        auth = {"Authorization": "Bearer secret"}
        made = requests.post(f"{running.url}/function/code", headers=auth, timeout=10,
                             json={"org_id": "o", "runtime_context": {"runtime": "python"}})
        assert made.status_code == 200, made.text
        url, bundle_id = made.json()["url"], made.json()["bundleId"]
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w") as zf:
            zf.writestr("register.py", "import m as _\n")
        unsigned = url.split("?")[0]
        assert requests.put(unsigned, data=zipped.getvalue(), timeout=10).status_code == 401
        assert requests.put(unsigned + "?sig=" + "0" * 64, data=zipped.getvalue(),
                            timeout=10).status_code == 401
        assert requests.put(url, data=b"not a zip", timeout=10).status_code == 400
        assert requests.put(url, data=zipped.getvalue(), timeout=10).status_code == 200
        assert store.get_attachment(f"bundle-{bundle_id}") == zipped.getvalue()
        assert requests.put(url, data=zipped.getvalue(), timeout=10).status_code == 409
    finally:
        running.stop()


def test_this_package_s_push_to_a_server_runs_from_the_uploaded_bundle(
        tmp_path: Path) -> None:
    # With an API key, `braintrust push` uploads a bundle to the server (as to the
    # service); the server keeps it and runs the function from it when invoked.
    from tests.pushing import push

    store = Store(tmp_path / "served.sqlite")
    running = Running(store)
    try:
        done = push(tmp_path, env={"BRAINTRUST_API_KEY": "local",
                                    "BRAINTRUST_API_URL": running.url,
                                    "BRAINTRUST_APP_URL": running.url})
        assert done.returncode == 0, done.stderr
        proj = store.find_project(name="pushed")
        assert proj is not None
        saved = store.find_prompt(project_id=proj["id"], slug="multiply")
        assert saved is not None
        assert "file" not in saved["function_data"]["data"]["location"]  # not this machine's
        ran = requests.post(f"{running.url}/function/invoke", timeout=30, json={
            "project_name": "pushed", "slug": "multiply", "input": {"a": 6, "b": 7}})
        assert ran.status_code == 200, ran.text
        assert ran.json() == 42
    finally:
        running.stop()


def test_overflow_and_attachment_uploads_work_with_a_token(tmp_path: Path) -> None:
    # The SDKs PUT overflow bodies and attachments to the URL the server gave,
    # without their API key: with a token, that URL carries a signature.
    store = Store(tmp_path / "s.sqlite")
    running = Running(store, token="secret")
    try:
        auth = {"Authorization": "Bearer secret"}
        proj = requests.post(f"{running.url}/v1/project", json={"name": "p"}, headers=auth,
                             timeout=10).json()
        issued = requests.post(f"{running.url}/logs3/overflow", json={"size_bytes": 1},
                               headers=auth, timeout=10).json()
        rows = [{"id": "big", "project_id": proj["id"], "log_id": "g", "input": "x"}]
        body = json.dumps({"rows": rows})
        other = issued["signedUrl"].replace(issued["key"], "f" * 32)
        assert requests.put(other, data=body, timeout=10).status_code == 401
        assert requests.put(issued["signedUrl"], data=body, timeout=10).status_code == 200
        claim = requests.post(f"{running.url}/logs3", headers=auth, timeout=10, json={
            "rows": {"type": "logs3_overflow", "key": issued["key"]}})
        assert claim.status_code == 200, claim.text
        assert [r.data["id"] for r in store.rows("project_logs", proj["id"])] == ["big"]
        announced = requests.post(f"{running.url}/attachment", headers=auth, timeout=10,
                                  json={"key": "att-1", "filename": "a.txt"}).json()
        assert requests.put(announced["signedUrl"], data=b"hello",
                            timeout=10).status_code == 200
        assert store.get_attachment("att-1") == b"hello"
    finally:
        running.stop()
