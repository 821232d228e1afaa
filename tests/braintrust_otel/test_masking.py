"""Masking reaches every user value that leaves the facade or an instrumentor.

Each test sets a masking function that replaces a secret marker, then checks
two places: the stored row, and what a foreign exporter on the same
TracerProvider saw (attributes, events including exception events, status).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import braintrust
from braintrust import Score, _state
from braintrust_otel import diagnostics
from braintrust_otel.instrumentation.openai import OpenAIInstrumentor
from tests.conftest import StoreHelper
from tests.fake_llm import FakeLLM

SECRET = "SECRET-7731"
MASKED = "[masked]"

FOREIGN = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def foreign_exporter() -> Iterator[None]:
    _state.tracer()
    provider = trace.get_tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(FOREIGN))  # type: ignore[attr-defined]
    OpenAIInstrumentor().instrument()
    yield
    OpenAIInstrumentor().uninstrument()
    FOREIGN.clear()
    FOREIGN.shutdown()  # the processor stays on the global provider: stop collecting


@pytest.fixture(autouse=True)
def masked(store: StoreHelper) -> Iterator[list[Any]]:
    """Sets a masking function replacing SECRET in strings and keys; yields what it saw."""
    seen: list[Any] = []

    def redact(value: Any) -> Any:
        seen.append(value)
        if isinstance(value, str):
            return value.replace(SECRET, MASKED)
        if isinstance(value, dict):
            return {redact(k): redact(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [redact(v) for v in value]
        return value

    FOREIGN.clear()
    braintrust.set_masking_function(redact)
    yield seen
    braintrust.set_masking_function(None)


def foreign_view(span: ReadableSpan) -> str:
    """Everything a foreign exporter can read from a span, as one string."""
    return json.dumps({
        "name": span.name,
        "attributes": dict(span.attributes or {}),
        "events": [{"name": e.name, "attributes": dict(e.attributes or {})} for e in span.events],
        "status": span.status.description,
    }, default=str)


def assert_nowhere(rows: list[dict[str, Any]]) -> None:
    """The secret is in no stored row and in nothing the foreign exporter saw."""
    assert rows, "nothing was stored"
    assert SECRET not in json.dumps(rows, default=str)
    spans = FOREIGN.get_finished_spans()
    for span in spans:
        assert SECRET not in foreign_view(span), foreign_view(span)


def exception_events(span: ReadableSpan) -> list[dict[str, Any]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == "exception"]


def foreign(name: str) -> ReadableSpan:
    [span] = [s for s in FOREIGN.get_finished_spans() if s.name == name]
    return span


def experiment_rows(store: StoreHelper, project: str) -> list[dict[str, Any]]:
    braintrust.flush()
    proj = store.store.find_project(name=project)
    assert proj is not None
    [exp] = store.store.experiments(proj["id"])[-1:]
    return [r.data for r in store.store.rows("experiment", exp["id"])]


# -- spans of the facade ------------------------------------------------------------

def test_every_logged_field(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with braintrust.start_span(name="s", event={"input": f"in {SECRET}"}) as span:
        span.log(output={"answer": SECRET}, expected=[SECRET], error=f"bad {SECRET}",
                 metadata={"k": SECRET, SECRET: 1}, tags=["ok", f"t-{SECRET}"],
                 scores={f"score-{SECRET}": 1.0}, metrics={f"m-{SECRET}": 2})
    logger.log(input=SECRET, output=SECRET, metadata={"nested": {"deep": SECRET}})
    rows = store.rows()
    by_name = {r["span_attributes"]["name"]: r for r in rows}
    row = by_name["s"]
    assert row["input"] == f"in {MASKED}" and row["output"] == {"answer": MASKED}
    assert row["expected"] == [MASKED] and row["error"] == f"bad {MASKED}"
    assert row["metadata"] == {"k": MASKED, MASKED: 1}
    assert row["tags"] == ["ok", f"t-{MASKED}"]
    assert row["scores"] == {f"score-{MASKED}": 1.0}
    assert row["metrics"][f"m-{MASKED}"] == 2
    assert_nowhere(rows)


def test_fields_logged_after_end_travel_masked(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    span = braintrust.start_span(name="late")
    span.end()
    span.log(output=SECRET, metadata={"m": SECRET}, tags=[SECRET])
    [row] = store.rows()
    assert row["output"] == MASKED and row["metadata"] == {"m": MASKED}
    assert row["tags"] == [MASKED]
    assert_nowhere([row])


def test_traced_exception_text_event_and_status(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    def leaky() -> None:
        raise ValueError("token SECRET-7731 rejected")  # the literal shows in the traceback

    with pytest.raises(ValueError, match=SECRET):  # the caller still gets the real exception
        leaky()
    [row] = store.rows()
    assert f"token {MASKED} rejected" in row["error"]
    span = foreign("leaky")
    [event] = exception_events(span)
    assert event["exception.type"] == "ValueError"
    assert event["exception.message"] == f"token {MASKED} rejected"
    assert "Traceback" in str(event["exception.stacktrace"])
    assert span.status.description == f"ValueError: token {MASKED} rejected"
    assert_nowhere([row])


def test_span_context_manager_exception(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with pytest.raises(KeyError), braintrust.start_span(name="cm"):
        raise KeyError(SECRET)
    rows = store.rows()
    assert MASKED in rows[0]["error"]
    assert_nowhere(rows)


def test_exception_on_a_foreign_span_adopted_by_the_facade(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    tracer = trace.get_tracer("user-code")
    # The user's own span; current_span() adopts it and record_error masks.
    with tracer.start_as_current_span("theirs", record_exception=False,
                                      set_status_on_exception=False):
        braintrust.current_span().record_error(RuntimeError(SECRET))
        braintrust.current_span().log(input=SECRET)
    rows = store.rows()
    assert rows[0]["input"] == MASKED and MASKED in rows[0]["error"]
    assert_nowhere(rows)


def test_span_names_are_not_masked(store: StoreHelper) -> None:
    # Names are labels chosen in code (documented in the README): kept as given.
    braintrust.init_logger(project="p")
    with braintrust.start_span(name=f"name-{SECRET}"):
        pass
    [row] = store.rows()
    assert row["span_attributes"]["name"] == f"name-{SECRET}"


# -- evals, experiments, feedback ------------------------------------------------------

def test_eval_task_and_scorer_errors_and_score_metadata(store: StoreHelper) -> None:
    def task(input: str) -> str:
        if input == "boom":
            raise RuntimeError(f"task saw {SECRET}")
        return f"{input} {SECRET}"

    def judge(output: str) -> Score:
        return Score(name="judge", score=1.0, metadata={"why": f"because {SECRET}"})

    def broken(output: str) -> float:
        raise ValueError(f"scorer saw {SECRET}")

    data = [{"input": "boom", "expected": SECRET},
            {"input": "fine", "expected": SECRET, "metadata": {"m": SECRET}, "tags": [SECRET]}]
    result = braintrust.Eval("ev", data=data, task=task, scores=[judge, broken], quiet=True)
    assert any(r.error and SECRET in str(r.error) for r in result.results)  # the caller's view
    rows = experiment_rows(store, "ev")
    errors = [r["error"] for r in rows if r.get("error")]
    assert any(f"task saw {MASKED}" in e for e in errors)
    assert any(f"scorer saw {MASKED}" in e for e in errors)
    [judged] = [r for r in rows if r["span_attributes"]["name"] == "judge"]
    assert judged["metadata"] == {"why": f"because {MASKED}"}
    [fine] = [r for r in rows if r["span_attributes"]["type"] == "eval" and r["input"] == "fine"]
    assert fine["tags"] == [MASKED] and fine["metadata"]["m"] == MASKED
    # The failing scorer's traceback is in the case's metadata (scorer_errors), masked.
    assert set(fine["metadata"]["scorer_errors"]) == {"broken"}
    assert_nowhere(rows)


def test_experiment_log_and_feedback(store: StoreHelper) -> None:
    exp = braintrust.init(project="fb", experiment="e1")
    row_id = exp.log(input=SECRET, output="o", scores={"s": 0.5})
    exp.log_feedback(row_id, expected={"gold": SECRET}, metadata={"who": SECRET},
                     comment=f"looks like {SECRET}", tags=[SECRET], scores={"human": 1.0})
    row, comment = sorted(experiment_rows(store, "fb"), key=lambda r: "comment" in r)
    assert row["input"] == MASKED and row["expected"] == {"gold": MASKED}
    assert row["_audit_metadata"] == {"who": MASKED}
    assert comment["comment"] == {"text": f"looks like {MASKED}"}
    assert row["tags"] == [MASKED] and row["scores"] == {"s": 0.5, "human": 1.0}
    assert_nowhere([row, comment])


# -- datasets ----------------------------------------------------------------------------

def test_dataset_insert_and_update(store: StoreHelper) -> None:
    ds = braintrust.init_dataset(project="p", name="d")
    a = ds.insert(input={"q": SECRET}, expected=SECRET, metadata={"m": SECRET}, tags=[SECRET])
    b = ds.insert(input="plain", output=f"old name {SECRET}")
    ds.update(b, input=[SECRET], expected=SECRET, metadata={"n": SECRET}, tags=[SECRET])
    records = {r["id"]: r for r in ds.fetch()}
    assert records[a]["input"] == {"q": MASKED} and records[a]["expected"] == MASKED
    assert records[a]["metadata"] == {"m": MASKED} and records[a]["tags"] == [MASKED]
    assert records[b]["input"] == [MASKED] and records[b]["metadata"] == {"n": MASKED}
    assert SECRET not in json.dumps(list(records.values()))
    # Every version of every record, not only the latest, is masked.
    conn = store.store._conn
    assert conn is not None
    versions = conn.execute("SELECT data FROM row_versions").fetchall()
    assert versions and all(SECRET not in str(v[0]) for v in versions)
    assert_nowhere(list(records.values()))


# -- functions and prompts ---------------------------------------------------------------

def test_invoke_records_its_input_masked_but_calls_with_the_real_one(
    store: StoreHelper,
) -> None:
    got: list[Any] = []

    def echo(text: str) -> str:
        got.append(text)
        return f"echo {text}"

    braintrust.projects.create("p").tools.create(handler=echo, slug="echo")
    braintrust.init_logger(project="p")
    assert braintrust.invoke(input=SECRET, project_name="p", slug="echo",
                             metadata={"m": SECRET}) == f"echo {SECRET}"
    assert got == [SECRET]  # the function itself needs the real value
    [row] = store.rows()
    assert row["input"] == MASKED and row["output"] == f"echo {MASKED}"
    assert row["metadata"] == {"m": MASKED}
    assert_nowhere([row])


# -- instrumentors -----------------------------------------------------------------------

def _oai(llm: FakeLLM) -> openai.OpenAI:
    return openai.OpenAI(base_url=llm.openai_url, api_key="sk-fake", max_retries=0)


def test_llm_request_metadata_and_error_text(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with FakeLLM() as llm:
        client = _oai(llm)
        client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": f"my key is {SECRET}"}],
            span_info={"metadata": {"prompt": {"variables": {"key": SECRET}}}},  # type: ignore[call-overload]
        )
        # Providers echo parts of a rejected request in their error message.
        llm.fail_next(400, {"error": {"message": f"invalid content: {SECRET}",
                                      "type": "invalid_request_error"}})
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model="m", messages=[{"role": "user",
                                                                  "content": SECRET}])
    rows = [r for r in store.rows() if r["span_attributes"].get("type") == "llm"]
    ok, failed = sorted(rows, key=lambda r: "error" in r)
    assert ok["input"][0]["content"] == f"my key is {MASKED}"
    assert ok["metadata"]["prompt"]["variables"] == {"key": MASKED}
    assert f"invalid content: {MASKED}" in failed["error"]
    [span] = [s for s in FOREIGN.get_finished_spans()
              if s.name == "Chat Completion" and s.events]
    [event] = exception_events(span)
    assert MASKED in str(event["exception.message"])
    assert span.status.description is not None and MASKED in span.status.description
    assert_nowhere(rows)


def test_openai_agents_trace_metadata_span_error(store: StoreHelper) -> None:
    from agents.tracing import SpanError, custom_span, function_span, set_trace_processors
    from agents.tracing import trace as agents_trace

    from braintrust_otel.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    set_trace_processors([])  # the SDK's own exporter would reach for OpenAI
    OpenAIAgentsInstrumentor().instrument()
    try:
        braintrust.init_logger(project="p")
        with agents_trace("wf", metadata={"user": SECRET}):
            with function_span("lookup", input=f"q {SECRET}", output=SECRET):
                pass
            with custom_span("step", data={"k": SECRET}) as step:
                step.set_error(SpanError(message=f"failed on {SECRET}",
                                         data={"detail": SECRET}))
    finally:
        OpenAIAgentsInstrumentor().uninstrument()
    rows = store.rows()
    by_name = {r["span_attributes"]["name"]: r for r in rows}
    assert by_name["wf"]["metadata"] == {"group_id": None, "user": MASKED}
    assert by_name["lookup"]["input"] == f"q {MASKED}"
    assert MASKED in json.dumps(by_name["step"]["error"])
    assert foreign("step").status.description == f"failed on {MASKED}"
    assert_nowhere(rows)


# -- a masking function that fails ------------------------------------------------------------

def test_a_raising_masking_function_leaves_placeholders(
    store: StoreHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(value: Any) -> Any:
        raise RuntimeError("mask bug")

    braintrust.set_masking_function(broken)
    braintrust.init_logger(project="p")

    @braintrust.traced
    def leaky() -> None:
        raise ValueError(SECRET)

    with pytest.raises(ValueError):
        leaky()
    with braintrust.start_span(name="s") as span:
        span.log(tags=[SECRET], scores={"s": 1.0}, metadata={"m": SECRET})
    ds = braintrust.init_dataset(project="p", name="d")
    ds.insert(input=SECRET, metadata={"m": SECRET})
    [record] = ds.fetch()
    rows = store.by_name()
    marker = "ERROR: Failed to mask field '{}' - RuntimeError"
    assert marker.format("error") in rows["leaky"]["error"]
    [event] = exception_events(foreign("leaky"))
    assert event["exception.message"] == marker.format("error")
    assert rows["s"]["tags"] == [marker.format("tags")]
    assert rows["s"]["metadata"] == {"masked": marker.format("metadata")}
    assert "scores" not in rows["s"]  # numbers have no placeholder: left out, reported
    assert record["input"] == marker.format("input")
    assert diagnostics.counts()["masking"] >= 7
    assert "masking function failed" in capsys.readouterr().err
    assert_nowhere([*list(rows.values()), record])


def test_scores_masked_into_non_numbers_are_left_out_and_reported(store: StoreHelper) -> None:
    braintrust.set_masking_function(lambda v: "nope" if isinstance(v, dict) and "s" in v else v)
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s") as span:
        span.log(scores={"s": 1.0}, input="kept")
    [row] = store.rows()
    assert "scores" not in row and row["input"] == "kept"
    assert diagnostics.counts()["masking"] == 1


def test_no_masking_function_records_the_exception_as_otel_does(store: StoreHelper) -> None:
    braintrust.set_masking_function(None)
    braintrust.init_logger(project="p")
    with pytest.raises(ValueError), braintrust.start_span(name="plain"):
        raise ValueError(SECRET)
    span = foreign("plain")
    [event] = exception_events(span)
    assert event["exception.message"] == SECRET
    assert span.status.description == f"ValueError: {SECRET}"


class _NotAnException(BaseException):
    """Like GeneratorExit or CancelledError: not an Exception, still a masking bug."""


def test_a_masking_function_raising_a_base_exception_is_contained(store: StoreHelper) -> None:
    def broken(value: Any) -> Any:
        raise _NotAnException()

    braintrust.set_masking_function(broken)
    logger = braintrust.init_logger(project="p")
    logger.log(input=SECRET)
    [row] = store.rows()
    assert row["input"] == "ERROR: Failed to mask field 'input' - _NotAnException"


def test_boolean_scores_survive_masking(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s") as span:
        span.log(scores={"passed": True, "skipped": None})
    [row] = store.rows()
    assert row["scores"] == {"passed": True, "skipped": None}
