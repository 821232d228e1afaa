"""start_span as the official SDK 0.48.1 takes it (positions, ``internal``, chosen span
ids), ``logging_state``, ``Project.lazy_init``, and the ``span_origin`` the official
SDK writes on its rows (observed against the reference capture server).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import braintrust
from braintrust import _state
from braintrust._environment import detect_environment
from braintrust_otel._version import VERSION
from tests.conftest import StoreHelper

OFFICIAL_ORIGIN = {"name": "braintrust.sdk.python", "version": VERSION,
                   "instrumentation": {"name": "braintrust-python-logger"}}


def test_propagated_event_and_internal_take_the_official_positions(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    prop = {"metadata": {"user": "u1"}}
    # The official order: name, type, span_attributes, start_time, set_current, parent,
    # propagated_event, (span_id, root_span_id on Logger), (state on the module), internal.
    a = logger.start_span("a", None, None, None, None, None, prop, "sid-a", "root-a",
                          {"instrumentation": "my-integration"})
    with a, a.start_span("b", None, None, None, None, None, {"instrumentation": "inner"}):
        pass
    with braintrust.start_span("c", None, None, None, None, None, prop, logger.logging_state,
                               {"instrumentation": "module"}):
        pass
    exp = braintrust.init(project="p", experiment="e")
    with exp.start_span("d", None, None, None, None, None, prop, {"instrumentation": "exp"}):
        pass
    rows = store.by_name()
    assert rows["a"]["metadata"] == {"user": "u1"} and rows["b"]["metadata"] == {"user": "u1"}
    assert rows["a"]["span_id"] == "sid-a" and rows["a"]["root_span_id"] == "root-a"
    assert rows["a"]["context"]["span_origin"]["instrumentation"] == {"name": "my-integration"}
    assert rows["b"]["context"]["span_origin"]["instrumentation"] == {"name": "inner"}
    assert rows["c"]["context"]["span_origin"]["instrumentation"] == {"name": "module"}
    assert rows["c"]["metadata"] == {"user": "u1"}
    with pytest.raises(TypeError, match="internal"):
        logger.start_span(name="x", internal="not a dict")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="span_id"):
        logger.start_span(name="x", span_id=5)  # type: ignore[arg-type]


def test_chosen_span_ids_are_the_rows_ids_and_their_childrens_parents(
        store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")

    @braintrust.traced
    def step() -> int:
        return 1

    with logger.start_span(name="root", span_id="my-span-id", root_span_id="my-root-id") as root:
        assert (root.span_id, root.root_span_id) == ("my-span-id", "my-root-id")
        with root.start_span(name="child") as child, braintrust.start_span(name="grand"):
            step()
        with logger.start_span(name="nested", span_id="n-sid", root_span_id="ignored"):
            pass
        slug = root.export()
        root.log(output="late")  # logged before the end: on the span's own row
    root.log(metadata={"after": True})  # after the end: a merge row under the chosen ids
    with braintrust.start_span(name="remote", parent=slug):
        pass
    rows = store.by_name()
    assert rows["root"]["span_id"] == "my-span-id" and not rows["root"]["span_parents"]
    assert rows["root"]["output"] == "late" and rows["root"]["metadata"] == {"after": True}
    for name in ("child", "grand", "step", "nested", "remote"):
        assert rows[name]["root_span_id"] == "my-root-id", name
    assert rows["child"]["span_parents"] == ["my-span-id"]
    assert rows["grand"]["span_parents"] == [child.span_id]
    assert rows["step"]["span_parents"] == [rows["grand"]["span_id"]]
    # Below a parent a chosen root is ignored, as in the official SDK; the span id holds.
    assert rows["nested"]["span_id"] == "n-sid"
    assert rows["nested"]["span_parents"] == ["my-span-id"]
    # A slug of a span with chosen ids continues that trace (the ids are not OTel's).
    assert rows["remote"]["span_parents"] == ["my-span-id"]
    project = store.store.find_project(name="p")
    assert project is not None
    # The store files the whole trace under the chosen root (its trace view reads by it).
    trace_rows = store.store.trace("project_logs", project["id"], "my-root-id")
    assert {r["span_attributes"]["name"] for r in trace_rows} == {
        "root", "child", "grand", "step", "nested", "remote"}


def test_logging_state_is_the_one_state_and_round_trips_as_state(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    state = logger.logging_state
    assert state is _state.STATE
    exp = braintrust.init(project="p", experiment="e", set_current=False)
    dataset = braintrust.init_dataset(project="p", name="d")
    assert exp.logging_state is state and dataset.logging_state is state
    reader = braintrust.init(project="p", experiment="e", open=True)
    assert reader.logging_state is state
    # Code that passes the official SDK's state around keeps working.
    again = braintrust.init_logger(project="p", state=state)
    with braintrust.start_span(name="s", state=state):
        pass
    assert again.logging_state is state
    assert state.logged_in is False and state.org_id is None  # the embedded store
    assert "s" in store.by_name()


def test_project_lazy_init_registers_the_project(store: StoreHelper) -> None:
    project = braintrust.projects.create("lazy-proj")
    assert store.store.find_project(name="lazy-proj") is None
    assert project.lazy_init() is project
    found = store.store.find_project(name="lazy-proj")
    assert found is not None and found["id"] == project.id


def test_rows_carry_the_official_span_origin(store: StoreHelper,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_state, "span_environment", None)
    for var in ("CI", "GITHUB_ACTIONS", "KUBERNETES_SERVICE_HOST", "PYTHON_ENV",
                "BRAINTRUST_ENVIRONMENT_TYPE", "BRAINTRUST_ENVIRONMENT_NAME"):
        monkeypatch.delenv(var, raising=False)
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="plain"):
        pass
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    logger = braintrust.init_logger(project="p")  # detected at init_logger, as the official
    with logger.start_span(name="in-ci"):
        pass
    rows = store.by_name()
    assert rows["plain"]["context"]["span_origin"] == OFFICIAL_ORIGIN
    assert rows["in-ci"]["context"]["span_origin"] == {
        **OFFICIAL_ORIGIN, "environment": {"type": "ci", "name": "github_actions"}}


@pytest.mark.parametrize(("env", "expected"), [
    ({}, None),
    ({"BRAINTRUST_ENVIRONMENT_TYPE": "local", "CI": "1"}, {"type": "local"}),
    ({"BRAINTRUST_ENVIRONMENT_NAME": "dev"}, {"name": "dev"}),
    ({"GITLAB_CI": "true", "VERCEL": "1"}, {"type": "ci", "name": "gitlab_ci"}),
    ({"CI": "true"}, {"type": "ci", "name": "ci"}),
    ({"VERCEL": "1", "DYNO": "web.1"}, {"type": "server", "name": "vercel"}),
    ({"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE"}, {"type": "server", "name": "ecs"}),
    ({"AWS_EXECUTION_ENV": "AWS_Lambda_python3.11"}, {"type": "server", "name": "aws_lambda"}),
    ({"AWS_LAMBDA_FUNCTION_NAME": "f"}, {"type": "server", "name": "aws_lambda"}),
    ({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, {"type": "server", "name": "kubernetes"}),
    ({"PYTHON_ENV": "Production"}, {"type": "server", "name": "production"}),
    ({"PYTHON_ENV": "development"}, {"type": "local", "name": "development"}),
    ({"PYTHON_ENV": "qa"}, {"name": "qa"}),
])
def test_environment_detection_gives_the_official_answers(
        env: dict[str, str], expected: Any) -> None:
    # Each case's answer is what the official SDK 0.48.1's detection gives for it.
    assert detect_environment(env) == expected


@pytest.mark.parametrize("backend", ["store", "service"])
def test_trace_get_thread_invokes_the_preprocessor(backend: str,
                                                   request: pytest.FixtureRequest) -> None:
    # As the official SDK: the project's default preprocessor (or the one named) runs
    # on the service with the trace's reference; the embedded store has none.
    from braintrust._trace import EvalTrace

    if backend == "service":
        request.getfixturevalue("api")
        fake = request.getfixturevalue("fake")
    else:
        request.getfixturevalue("store")
    trace = EvalTrace("experiment", "exp-1", "root-1")
    ref = {"trace_ref": {"object_type": "experiment", "object_id": "exp-1",
                         "root_span_id": "root-1"}}
    first = asyncio.run(trace.get_thread())
    named = asyncio.run(trace.get_thread({"preprocessor": "thread"}))
    again = asyncio.run(trace.get_thread())  # cached per preprocessor: asked once
    if backend == "store":
        assert first == named == again == []
        return
    assert first == named == again == [{"role": "user", "content": ref}]
    asked = [r["body"] for r in fake.requests if r["path"] == "/function/invoke"]
    assert [(b["global_function"], b["function_type"], b["input"]) for b in asked] == [
        ("project_default", "preprocessor", ref), ("thread", "preprocessor", ref)]


def test_other_instrumentations_spans_follow_chosen_ids(store: StoreHelper) -> None:
    # Spans of any OTel instrumentation below a span with chosen ids join its trace
    # (the processor copies the chosen root, and names the chosen parent).
    from opentelemetry import trace as otel_trace

    logger = braintrust.init_logger(project="p")
    tracer = otel_trace.get_tracer("user.app")
    with logger.start_span(name="root", span_id="chosen-sid", root_span_id="chosen-root"), \
            tracer.start_as_current_span("http call") as http, \
            tracer.start_as_current_span("db query"), braintrust.start_span(name="ours") as ours:
        pass
    rows = store.by_name()
    assert {rows[n]["root_span_id"] for n in ("http call", "db query", "ours")} == {
        "chosen-root"}
    assert rows["http call"]["span_parents"] == ["chosen-sid"]
    assert rows["db query"]["span_parents"] == [format(http.get_span_context().span_id, "016x")]
    assert rows["ours"]["span_parents"] == [rows["db query"]["span_id"]]
    # The span says what its row says (export() slugs carry it to other processes).
    assert (ours.span_id, ours.root_span_id) == (rows["ours"]["span_id"], "chosen-root")


def test_a_chosen_span_id_below_another_instrumentations_span_keeps_the_chosen_root(
        store: StoreHelper) -> None:
    # A span given only its own span id, below a span the facade did not make, stays
    # in the trace whose root was chosen (its row used to get the OTel trace id).
    from opentelemetry import trace as otel_trace

    logger = braintrust.init_logger(project="p")
    tracer = otel_trace.get_tracer("user.app")
    with logger.start_span(name="root", span_id="chosen-sid", root_span_id="chosen-root"), \
            tracer.start_as_current_span("http call"), \
            logger.start_span(name="mine", span_id="mine-sid"):
        pass
    rows = store.by_name()
    assert rows["mine"]["span_id"] == "mine-sid"
    assert {r["root_span_id"] for r in rows.values()} == {"chosen-root"}
    assert rows["mine"]["span_parents"] == [rows["http call"]["span_id"]]


def test_bool_scores_are_stored_as_1_and_0_as_the_official_stores_them(
        store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="judged") as span:
        span.log(scores={"ok": True, "bad": False, "half": 0.5})
    logger.log_feedback(id=span.id, scores={"later": True})
    braintrust.flush()
    [row] = [r for r in store.rows() if r.get("span_attributes", {}).get("name") == "judged"]
    # json.dumps tells 1 from True, which == does not.
    assert json.dumps(row["scores"], sort_keys=True) == \
        '{"bad": 0, "half": 0.5, "later": 1, "ok": 1}'


def test_a_none_field_in_span_log_keeps_what_was_logged(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")

    # As the official SDK: a field given as None is not logged (it does not clear).
    @braintrust.traced(name="task")
    def task() -> None:
        braintrust.current_span().log(output="logged by hand")

    task()
    with logger.start_span(name="a") as span:
        span.log(input="i", output="o", expected="e", error="x")
        span.log(input=None, output=None, expected=None, error=None)
    rows = store.by_name()
    assert rows["task"]["output"] == "logged by hand"
    assert (rows["a"]["input"], rows["a"]["output"], rows["a"]["expected"]) == ("i", "o", "e")
    assert rows["a"]["error"] == "x"
