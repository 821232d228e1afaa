"""The official SDK's API names beyond the core: REST error classes, stream chunks,
prompt schema dataclasses, the framework2 builders and saved parameters.

Facts (names, fields, hierarchy, which call raises what) were read from the
official SDK 0.48.1; every test here runs our code, against the embedded store
and the fake service on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import braintrust
from braintrust import (
    BraintrustAPIError,
    BraintrustConsoleChunk,
    BraintrustErrorChunk,
    BraintrustHTTPError,
    BraintrustInvokeError,
    BraintrustJsonChunk,
    BraintrustJSONDecodeError,
    BraintrustProgressChunk,
    BraintrustStream,
    BraintrustTextChunk,
    BraintrustTransportError,
    ImagePart,
    PromptData,
    PromptMessage,
    PromptSchema,
    RemoteEvalParameters,
    TextPart,
    parse_stream,
)
from braintrust._prompt_schema import ImageURL, PromptChatBlock
from braintrust._stream import chunks_from_sse
from tests.conftest import StoreHelper
from tests.fake_braintrust import FakeBraintrust

# -- errors ---------------------------------------------------------------------


def test_error_classes_keep_the_official_hierarchy_and_what_we_raised_before() -> None:
    for cls in (BraintrustHTTPError, BraintrustJSONDecodeError, BraintrustTransportError):
        assert issubclass(cls, BraintrustAPIError)
        # load_prompt raised ValueError and invoke RuntimeError for these answers before.
        assert issubclass(cls, ValueError) and issubclass(cls, RuntimeError)
    import braintrust.logger

    assert braintrust.logger.BraintrustHTTPError is BraintrustHTTPError
    err = BraintrustHTTPError(
        method="GET", url="http://127.0.0.1/v1/prompt", status_code=429, response_body="slow",
        response_headers={"Retry-After": "3", "X-Request-Id": "r1", "Set-Cookie": "secret"},
        attempts=2, retryable=True, retry_after=3.0)
    assert str(err) == ("GET http://127.0.0.1/v1/prompt failed with HTTP 429 after 2 "
                        "attempt(s) (request ID: r1): slow")
    assert dict(err.response_headers) == {"retry-after": "3", "x-request-id": "r1"}
    assert (err.request_id, err.request_id_header, err.retry_after_header) == \
        ("r1", "x-request-id", "3")


def test_load_prompt_raises_http_errors_and_skips_the_cache_for_a_refusal(
    api: object, fake: FakeBraintrust, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRAINTRUST_PROMPT_CACHE_DIR", str(tmp_path / "cache"))
    project = braintrust.projects.create("svc")
    project.prompts.create(name="G", slug="g", model="m", messages=[
        {"role": "user", "content": "hi"}])
    project.publish()
    assert braintrust.load_prompt(project="svc", slug="g").slug == "g"  # now cached
    fake.fail("/v1/prompt", 403, headers={"x-bt-internal-trace-id": "t1"}, body="no access")
    with pytest.raises(BraintrustHTTPError) as refused:
        braintrust.load_prompt(project="svc", slug="g")
    assert refused.value.status_code == 403 and refused.value.request_id == "t1"
    assert refused.value.response_body == "no access" and not refused.value.retryable
    # A transient failure is answered from the cache, as before.
    fake.fail("/v1/prompt", 503)
    assert braintrust.load_prompt(project="svc", slug="g").slug == "g"
    fake.fail("/v1/prompt", 200, body="<html>not json</html>")
    with pytest.raises(BraintrustJSONDecodeError, match="as JSON"):
        braintrust.load_prompt(project="svc", slug="g")
    fake.stop()
    with pytest.raises(BraintrustTransportError, match="not cached") as unreachable:
        braintrust.load_prompt(project="svc", slug="other")
    assert unreachable.value.method == "GET" and unreachable.value.retryable


def test_invoke_raises_http_errors_with_the_function_named(
    api: object, fake: FakeBraintrust
) -> None:
    with pytest.raises(BraintrustHTTPError, match="no function 'missing'") as missing:
        braintrust.invoke(project_name="svc", slug="missing", input=1)
    assert missing.value.status_code == 404
    fake.fail("/function/invoke", 401, body="bad key")
    with pytest.raises(BraintrustHTTPError, match="bad key") as refused:
        braintrust.invoke(project_name="svc", slug="echo", input=1)
    assert refused.value.status_code == 401 and refused.value.method == "POST"
    fake.fail("/function/invoke", 500, body="the function crashed")
    with pytest.raises(BraintrustInvokeError, match="crashed"):
        braintrust.invoke(project_name="svc", slug="echo", input=1)


# -- streams --------------------------------------------------------------------

SSE = [
    "event: start", "data: ", "",
    "event: console", 'data: {"message": "hello", "stream": "stdout"}', "",
    "event: progress", 'data: {"data": "x", "id": "f1", "object_type": "prompt", '
    '"format": "llm", "output_type": "completion", "name": "inner", "event": "text_delta"}', "",
    "event: json_delta", 'data: {"answer": ', "",
    "event: json_delta", 'data: [1, "two"]}', "",
    "event: done", "data: ", "",
]


def test_sse_answers_become_the_official_chunk_types() -> None:
    chunks: list[Any] = list(chunks_from_sse(iter(SSE)))
    assert [type(c) for c in chunks] == [BraintrustConsoleChunk, BraintrustProgressChunk,
                                         BraintrustJsonChunk, BraintrustJsonChunk]
    assert chunks[0] == BraintrustConsoleChunk(message="hello", stream="stdout")
    assert chunks[1].name == "inner" and chunks[1].type == "progress"
    # A JSON value split across deltas joins whole (each piece stays text).
    assert chunks[2].data == '{"answer": '
    assert BraintrustStream(chunks).final_value() == {"answer": [1, "two"]}
    # Chunks read by key as the dicts of earlier releases did.
    assert chunks[2]["type"] == "json_delta" and chunks[0].get("nothing", 1) == 1
    text = list(chunks_from_sse(["event: text_delta", 'data: "a \\"quoted\\" word"']))
    assert text == [BraintrustTextChunk(data='a "quoted" word')]
    # A progress event missing fields still reads; one that is not an object is reported.
    from braintrust_otel import diagnostics

    diagnostics.reset()
    odd = list(chunks_from_sse(["event: progress", 'data: {"data": "x"}', "",
                                "event: console", "data: [1]", ""]))
    assert odd == [BraintrustProgressChunk(data="x", id="", object_type="", format="",
                                           output_type="", name="", event="")]
    assert diagnostics.counts().get("stream") == 1


def test_parse_stream_joins_text_skips_progress_and_raises_errors() -> None:
    assert parse_stream([BraintrustTextChunk("a"), BraintrustConsoleChunk("log", "stderr"),
                         BraintrustTextChunk("b")]) == "ab"
    assert parse_stream([]) is None
    with pytest.raises(BraintrustInvokeError, match="boom"):
        parse_stream([BraintrustTextChunk("a"), BraintrustErrorChunk("boom")])
    with pytest.raises(ValueError, match="unknown chunk"):
        parse_stream([object()])


def test_stream_copy_reads_the_same_chunks_independently() -> None:
    pulled: list[int] = []

    def source() -> Iterator[BraintrustTextChunk]:
        for i in range(3):
            pulled.append(i)
            yield BraintrustTextChunk(str(i))

    stream = BraintrustStream(source())
    first: Any = next(iter(stream))
    assert first.data == "0"
    twin = stream.copy()  # from where the stream is
    assert [c["data"] for c in twin] == ["1", "2"]
    assert [c["data"] for c in stream] == ["1", "2"]
    assert pulled == [0, 1, 2]  # the source was read once
    assert stream.final_value() == "012"  # what the stream yielded counts


def test_stream_async_reading_and_final_value_async() -> None:
    async def main() -> tuple[list[str], Any]:
        stream = BraintrustStream([BraintrustTextChunk("x"), BraintrustTextChunk("y")])
        copy = stream.copy()
        return [c["data"] async for c in stream], await copy.final_value_async()

    assert asyncio.run(main()) == (["x", "y"], "xy")


def test_local_streamed_invoke_yields_chunk_objects(store: StoreHelper) -> None:
    project = braintrust.projects.create("p")
    project.tools.create(handler=lambda a: {"sum": a + 1}, name="inc")
    stream = braintrust.invoke(project_name="p", slug="inc", input=1, stream=True)
    chunks = list(stream.copy())
    assert chunks == [BraintrustJsonChunk(data='{"sum": 2}')]
    assert stream.final_value() == {"sum": 2}


# -- prompt schema --------------------------------------------------------------

def _chat_data() -> PromptData:
    return PromptData(
        prompt=PromptChatBlock(messages=[
            PromptMessage(role="system", content="You are {{who}}"),
            PromptMessage(role="user", content=[
                TextPart(text="Look at {{what}}"),
                ImagePart(image_url=ImageURL(url="{{url}}"))])]),
        options={"model": "gpt-4o", "params": {"temperature": 0}})


def test_prompt_from_prompt_data_dataclasses_builds_like_the_dict() -> None:
    prompt = braintrust.Prompt.from_prompt_data("look", _chat_data())
    built = prompt.build(who="a bot", what="this", url="http://img")
    assert built["messages"] == [
        {"role": "system", "content": "You are a bot"},
        {"role": "user", "content": [
            {"type": "text", "text": "Look at this"},
            {"type": "image_url", "image_url": {"url": "http://img", "detail": "auto"}}]}]
    assert built["model"] == "gpt-4o" and built["temperature"] == 0
    with pytest.raises(TypeError, match="prompt_data must be a dict or a prompt dataclass"):
        braintrust.Prompt.from_prompt_data("x", 3)


def test_prompt_schema_reads_a_saved_prompt_into_nested_dataclasses() -> None:
    row = {"id": "i", "project_id": "p", "_xact_id": "9", "name": "N", "slug": "s",
           "description": None, "tags": ["t"], "ignored": 1,
           "prompt_data": {"prompt": {"type": "chat", "messages": [
               {"role": "user", "content": [{"type": "text", "text": "hi"}]}]},
               "options": {"model": "m"}}}
    schema = PromptSchema.from_dict_deep(row)
    assert isinstance(schema.prompt_data, PromptData)
    block = schema.prompt_data.prompt
    assert isinstance(block, PromptChatBlock)
    # Content parts stay dicts (the official reads a str-or-list union no deeper).
    as_read: Any = [{"type": "text", "text": "hi"}]
    assert block.messages[0] == PromptMessage(role="user", content=as_read)
    assert schema._xact_id == "9" and schema["tags"] == ["t"]


def test_code_prompts_take_prompt_messages(store: StoreHelper) -> None:
    project = braintrust.projects.create("p")
    project.prompts.create(name="Greet", model="m", messages=[
        PromptMessage(role="user", content="Hello {{name}}")])
    project.publish()
    saved = braintrust.load_prompt(project="p", slug="greet")
    # Unset fields (name, tool_calls...) are left out of the saved message.
    assert saved.prompt_data["prompt"]["messages"] == [{"role": "user",
                                                        "content": "Hello {{name}}"}]
    assert saved.build(name="Al")["messages"] == [{"role": "user", "content": "Hello Al"}]
    with pytest.raises(TypeError, match="each message must be a dict or a prompt dataclass"):
        project.prompts.create(name="Bad", model="m", messages=["not a message"])


# -- builders and parameters ----------------------------------------------------

def test_builders_are_the_official_classes() -> None:
    assert isinstance(braintrust.projects, braintrust.ProjectBuilder)
    project = braintrust.projects.create("p")
    for attr, cls in (("tools", braintrust.ToolBuilder), ("prompts", braintrust.PromptBuilder),
                      ("scorers", braintrust.ScorerBuilder),
                      ("classifiers", braintrust.ClassifierBuilder),
                      ("parameters", braintrust.ParametersBuilder)):
        assert isinstance(getattr(project, attr), cls)
    assert braintrust.ToolBuilder(project).project is project


class Count(BaseModel):
    value: int = 3


class Style(BaseModel):
    tone: str
    emoji: bool = False


SCHEMA: dict[str, Any] = {
    "main": {"type": "prompt", "description": "The task prompt", "default": PromptData(
        prompt=PromptChatBlock(messages=[PromptMessage(role="user", content="{{input}}")]),
        options={"model": "gpt-4o"})},
    "model": {"type": "model", "default": "gpt-4o-mini"},
    "count": Count,
    "style": Style,
    "anything": None,
}


@pytest.fixture(params=["local", "service"])
def backend_kind(request: pytest.FixtureRequest) -> str:
    """The embedded store, or the fake service on 127.0.0.1."""
    request.getfixturevalue("store" if request.param == "local" else "api")
    return str(request.param)


def test_parameters_saved_by_publish_and_loaded_back(backend_kind: str) -> None:
    project = braintrust.projects.create("params")
    returned = project.parameters.create(name="Eval knobs", schema=SCHEMA,
                                         metadata={"owner": "me"})
    assert returned is SCHEMA  # the official returns the schema, to pass to an Eval
    project.publish()
    loaded = braintrust.load_parameters(project="params", slug="eval-knobs")
    assert isinstance(loaded, RemoteEvalParameters) and loaded.name == "Eval knobs"
    assert loaded.data == {
        "main": {"prompt": {"type": "chat", "messages": [{"role": "user",
                                                          "content": "{{input}}"}]},
                 "options": {"model": "gpt-4o"}},
        "model": "gpt-4o-mini", "count": 3}
    props = loaded.schema["properties"]
    assert props["main"]["x-bt-type"] == "prompt" and props["main"]["type"] == "object"
    assert props["main"]["description"] == "The task prompt"
    assert props["model"] == {"type": "string", "x-bt-type": "model", "default": "gpt-4o-mini"}
    assert props["count"]["type"] == "integer" and props["anything"] == {}
    assert props["style"]["required"] == ["tone"]
    assert loaded.schema["additionalProperties"] is True and "required" not in loaded.schema
    assert loaded.validate({"style": {"tone": "dry"}})
    assert not loaded.validate({"style": {"emoji": True}})  # tone is required
    again = braintrust.load_parameters(id=loaded.id, version=loaded.version)
    assert again == loaded
    by_project_id = braintrust.load_parameters(project_id=loaded.project_id, slug="eval-knobs")
    assert by_project_id.id == loaded.id


def test_load_parameters_names_what_is_missing(backend_kind: str) -> None:
    project = braintrust.projects.create("params")
    project.prompts.create(name="Not params", model="m", prompt="x")
    project.publish()
    with pytest.raises(ValueError, match="no parameters 'not-params'"):
        braintrust.load_parameters(project="params", slug="not-params")  # a prompt
    with pytest.raises(ValueError, match="no parameters 'absent' in project 'params'"):
        braintrust.load_parameters(project="params", slug="absent")
    with pytest.raises(ValueError, match="pass project= or project_id="):
        braintrust.load_parameters(slug="x")
    with pytest.raises(ValueError, match="pass slug="):
        braintrust.load_parameters(project="params")
    with pytest.raises(TypeError, match="slug must be a str"):
        braintrust.load_parameters(project="params", slug=3)  # type: ignore[arg-type]


def test_parameters_create_checks_its_arguments(store: StoreHelper) -> None:
    project = braintrust.projects.create("p")
    with pytest.raises(TypeError, match="each schema entry must be"):
        project.parameters.create(name="x", schema={"bad": 42})
    with pytest.raises(TypeError, match="name must be a non-empty str"):
        project.parameters.create(name="", schema={})
    with pytest.raises(ValueError, match="if_exists must be one of"):
        project.parameters.create(name="x", schema={}, if_exists="sometimes")


def test_push_saves_parameters(tmp_path: Path, store: StoreHelper) -> None:
    from braintrust._push import push_files

    (tmp_path / "knobs.py").write_text(
        "import braintrust\n"
        "p = braintrust.projects.create('pushed')\n"
        "p.parameters.create(name='Knobs', schema={'model': {'type': 'model', "
        "'default': 'm1'}})\n")
    assert push_files([str(tmp_path / "knobs.py")]) == ["knobs"]
    assert braintrust.load_parameters(project="pushed", slug="knobs").data == {"model": "m1"}


def test_service_definition_of_parameters(api: object, fake: FakeBraintrust
                                          ) -> None:
    project = braintrust.projects.create("svc")
    project.parameters.create(name="K", schema={"model": {"type": "model"}},
                              description="d", if_exists="replace")
    project.publish()
    [definition] = [f for f in fake.functions if f["slug"] == "k"]
    assert definition == {
        "project_id": fake.projects["svc"], "name": "K", "slug": "k", "description": "d",
        "function_type": "parameters", "if_exists": "replace",
        "function_data": {"type": "parameters", "data": {}, "__schema": {
            "type": "object", "additionalProperties": True, "required": ["model"],
            "properties": {"model": {"type": "string", "x-bt-type": "model"}}}}}
    loaded = braintrust.load_parameters(project="svc", slug="k")
    [get] = [r for r in fake.requests if r["path"] == "/v1/function"]
    assert json.loads(json.dumps(loaded.schema)) == definition["function_data"]["__schema"]
    assert get["method"] == "GET"


def test_parameters_through_braintrust_serve(tmp_path: Path) -> None:
    from braintrust import _state
    from braintrust_otel.api import ApiConnection
    from braintrust_otel.sinks.http import HttpSink
    from braintrust_otel.sinks.local import LocalSink
    from braintrust_otel.spool import Spool
    from braintrust_otel.store import Store
    from tests.served import Running

    running = Running(Store(tmp_path / "served.sqlite"))
    braintrust.flush()
    _state.exporter().sink = HttpSink(ApiConnection(api_key="any", app_url=running.url),
                                      Spool(tmp_path / "spool"))
    try:
        project = braintrust.projects.create("served")
        project.parameters.create(name="Knobs", schema={"model": {"type": "model",
                                                                  "default": "m1"}})
        project.publish()
        loaded = braintrust.load_parameters(project="served", slug="knobs")
        assert loaded.data == {"model": "m1"} and loaded.version is not None
        assert braintrust.load_parameters(id=loaded.id).slug == "knobs"
        with pytest.raises(ValueError, match="no parameters 'absent'"):
            braintrust.load_parameters(project="served", slug="absent")
    finally:
        braintrust.flush()
        _state.exporter().sink = LocalSink(tmp_path / "after.sqlite", notice=False)
        running.stop()


def test_a_stream_cut_halfway_raises_a_transport_error(
    api: object, fake: FakeBraintrust
) -> None:
    def cut(h: Any) -> bool:
        # Promises more than it sends, then hangs up.
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b'event: text_delta\ndata: "Hel"\n\n')
        h.close_connection = True
        return True

    fake.faults.append(("/function/invoke", cut))
    stream = braintrust.invoke(project_name="svc", slug="echo", input=1, stream=True)
    with pytest.raises(BraintrustTransportError, match="without an HTTP response"):
        stream.final_value()


def test_loaded_parameters_answer_while_the_service_does_not(
    api: object, fake: FakeBraintrust, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRAINTRUST_PROMPT_CACHE_DIR", str(tmp_path / "cache"))
    project = braintrust.projects.create("svc")
    project.parameters.create(name="K", schema={"model": {"type": "model", "default": "m"}})
    project.publish()
    loaded = braintrust.load_parameters(project="svc", slug="k")
    fake.stop()
    assert braintrust.load_parameters(project="svc", slug="k") == loaded
    with pytest.raises(BraintrustTransportError, match="not cached"):
        braintrust.load_parameters(project="svc", slug="other")


def test_invoke_async_has_invokes_parameters_and_runs_in_a_thread(store: StoreHelper) -> None:
    import inspect
    import threading

    assert inspect.iscoroutinefunction(braintrust.invoke_async)
    assert inspect.signature(braintrust.invoke_async) == inspect.signature(braintrust.invoke)
    assert braintrust.invoke_async.__name__ == "invoke_async"
    threads: list[str] = []

    def where(x: int) -> int:
        threads.append(threading.current_thread().name)
        return x * 2

    braintrust.projects.create("p").tools.create(handler=where, name="where")
    braintrust.init_logger(project="p")

    async def main() -> Any:
        with braintrust.start_span(name="caller") as caller:
            out = await braintrust.invoke_async(project_name="p", slug="where", input=4)
        return out, caller.span_id

    out, caller_span = asyncio.run(main())
    assert out == 8 and threads and threads[0] != threading.current_thread().name
    braintrust.flush()
    called = store.by_name()["where"]
    assert called["span_parents"] == [caller_span]  # nested under the awaiting span


def test_loaded_parameters_name_the_experiment_that_used_them(store: StoreHelper) -> None:
    project = braintrust.projects.create("params")
    project.parameters.create(name="K", schema={"model": {"type": "model", "default": "m"}})
    project.publish()
    loaded = braintrust.load_parameters(project="params", slug="k")
    experiment = braintrust.init(project="params", experiment="e", parameters=loaded)
    experiment.log(input=1, output=2, scores={})
    braintrust.flush()
    pid = store.store.ensure_project(name="params")["id"]
    found = store.store.find_experiment(project_id=pid, name="e")
    assert found is not None
    assert (found["parameters_id"], found["parameters_version"]) == (loaded.id, loaded.version)


def test_an_unknown_id_is_a_404_that_names_what_was_asked(
    api: object, fake: FakeBraintrust
) -> None:
    with pytest.raises(BraintrustHTTPError, match="no prompt id 'nope'") as prompt:
        braintrust.load_prompt(id="nope")
    with pytest.raises(BraintrustHTTPError, match="no parameters id 'nope'") as params:
        braintrust.load_parameters(id="nope")
    assert prompt.value.status_code == params.value.status_code == 404


def test_other_refused_service_calls_raise_http_errors(
    api: object, fake: FakeBraintrust
) -> None:
    project = braintrust.projects.create("svc")
    project.prompts.create(name="P", model="m", prompt="x")
    fake.fail("/insert-functions", 400, body="bad definition")
    with pytest.raises(BraintrustHTTPError, match=r"bad definition.*saving functions") as saved:
        project.publish()
    assert saved.value.status_code == 400 and isinstance(saved.value, ValueError)


OFFICIAL_PARAMETERS = '''
import json, sys
from pydantic import BaseModel
from braintrust.prompt import PromptChatBlock, PromptData, PromptMessage

class Count(BaseModel):
    value: int = 3

class Inner(BaseModel):
    x: int

class Style(BaseModel):
    tone: str
    inner: Inner | None = None

schema = {"main": {"type": "prompt", "description": "d", "default": PromptData(
              prompt=PromptChatBlock(messages=[PromptMessage(role="user", content="{{input}}")]),
              options={"model": "gpt-4o"})},
          "model": {"type": "model", "default": "m"}, "required": {"type": "model"},
          "count": Count, "style": Style, "anything": None}
if sys.argv[1] == "schema":
    from braintrust.parameters import parameters_to_json_schema
    print("RESULT " + json.dumps(parameters_to_json_schema(schema)))
else:
    import braintrust
    project = braintrust.projects.create("interop")
    project.parameters.create(name="Knobs", schema=schema)
    project.publish()
'''


def test_parameters_match_the_official_sdk_and_load_what_it_saved(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from braintrust_otel.store import Store
    from tests.official_sdk import official_python
    from tests.served import Running

    try:
        python = official_python()
    except RuntimeError as exc:
        pytest.skip(f"the official SDK cannot be installed here: {exc}")
    script = tmp_path / "official_parameters.py"
    script.write_text(OFFICIAL_PARAMETERS)
    running = Running(Store(tmp_path / "served.sqlite"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRAINTRUST_", "OTEL_"))}
    env.update(BRAINTRUST_API_KEY="local", BRAINTRUST_APP_URL=running.url,
               BRAINTRUST_API_URL=running.url)
    try:
        runs = {what: subprocess.run([str(python), str(script), what], capture_output=True,
                                     text=True, env=env, timeout=240, cwd=str(tmp_path))
                for what in ("schema", "publish")}
        assert all(r.returncode == 0 for r in runs.values()), runs["publish"].stderr[-3000:]
        official = json.loads(runs["schema"].stdout.split("RESULT ", 1)[1])
        # The same definitions through our SDK (the script with our module paths).
        ours = subprocess.run([sys.executable, "-c", OFFICIAL_PARAMETERS.replace(
            "from braintrust.prompt import", "from braintrust._prompt_schema import").replace(
            "from braintrust.parameters import parameters_to_json_schema",
            "from braintrust._parameters import parameters_json_schema as "
            "parameters_to_json_schema"), "schema"], capture_output=True, text=True,
            timeout=120)
        assert ours.returncode == 0, ours.stderr[-3000:]
        assert json.loads(ours.stdout.split("RESULT ", 1)[1]) == official
        # What the official SDK saved in braintrust serve, loaded by ours.
        from braintrust import _state
        from braintrust_otel.api import ApiConnection
        from braintrust_otel.sinks.http import HttpSink
        from braintrust_otel.sinks.local import LocalSink
        from braintrust_otel.spool import Spool

        braintrust.flush()
        _state.exporter().sink = HttpSink(ApiConnection(api_key="any", app_url=running.url),
                                          Spool(tmp_path / "spool"))
        try:
            loaded = braintrust.load_parameters(project="interop", slug="knobs")
        finally:
            braintrust.flush()
            _state.exporter().sink = LocalSink(tmp_path / "after.sqlite", notice=False)
        assert loaded.schema == official
        assert loaded.data == {"main": official["properties"]["main"]["default"],
                               "model": "m", "count": 3}
    finally:
        running.stop()
