"""Prompts: defined in code and published, loaded, built exactly as the official SDK
builds them; the disk cache against the fake service.

The expected dicts below were observed from the official SDK (0.48.1) building
the same prompt data (see tests/official_sdk.py), key by key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

import braintrust
from tests.conftest import StoreHelper
from tests.fake_llm import FakeLLM

TOOLS = json.dumps([{"type": "function", "function": {"name": "{{tool}}", "parameters": {}}}])
CHAT = {"prompt": {"type": "chat", "tools": TOOLS, "messages": [
    {"role": "system", "content": "You are {{who}}"},
    {"role": "user", "content": [{"type": "text", "text": "Hi {{name}}"},
                                 {"type": "image_url", "image_url": {"url": "{{url}}"}}]}]},
    "options": {"model": "gpt-4o", "params": {"temperature": 0.2, "use_cache": True,
                                              "max_tokens": 5}}}
COMPLETION = {"prompt": {"type": "completion", "content": "Complete {{x}}"},
              "options": {"model": "m", "params": {"use_cache": False}}}


def _saved(data: dict[str, Any], **kw: Any) -> braintrust.Prompt:
    return braintrust.Prompt({"id": "pid", "project_id": "proj", "_xact_id": "7", "name": "N",
                              "slug": "s", "prompt_data": data}, **kw)


def _info(variables: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"prompt": {"variables": variables, "id": "pid", "project_id": "proj",
                                    "version": "7"}}}


def test_chat_build_matches_the_official_key_by_key() -> None:
    args = dict(who="bot", name="Ann", url="http://u", tool="t", flavor="completion")
    built = _saved(CHAT).build(**args)
    assert built == {
        "temperature": 0.2, "max_tokens": 5, "model": "gpt-4o", "span_info": _info(args),
        "messages": [{"role": "system", "content": "You are bot"},
                     {"role": "user", "content": [
                         {"type": "text", "text": "Hi Ann"},
                         {"type": "image_url", "image_url": {"url": "http://u"}}]}],
        "tools": [{"type": "function", "function": {"name": "t", "parameters": {}}}]}
    # The same order of keys as the official, and use_cache (Braintrust's) never sent.
    assert list(built) == ["temperature", "max_tokens", "model", "span_info", "messages",
                           "tools"]


def test_completion_build_defaults_no_trace_and_missing_variables() -> None:
    assert _saved(COMPLETION).build(x="y") == {
        "model": "m", "span_info": _info({"x": "y"}), "prompt": "Complete y"}
    assert _saved(COMPLETION, no_trace=True).build(x="y") == {"model": "m",
                                                               "prompt": "Complete y"}
    # defaults are call arguments under the prompt's own; a missing variable is empty.
    built = _saved(COMPLETION, defaults={"model": "other", "temperature": 1}).build()
    assert built == {"model": "m", "temperature": 1, "span_info": _info({}),
                     "prompt": "Complete "}
    no_model = {"prompt": COMPLETION["prompt"], "options": {}}
    with pytest.raises(ValueError, match="no model"):
        _saved(no_model).build(x=1)
    assert _saved(no_model, defaults={"model": "d"}).build(x=1)["model"] == "d"
    with pytest.raises(ValueError, match="no value for variable 'who'"):
        _saved(CHAT).build(strict=True)
    assert _saved(CHAT).build(strict=True, who="w", name="n", url="u", tool="t")[
        "span_info"]["metadata"]["prompt"]["variables"]["strict"] is True


def test_rendering_values_escapes_and_response_format_schema() -> None:
    data = {"prompt": {"type": "chat", "messages": [
        {"role": "user", "content": "{{obj}} {{n}} {{&h}}"}]}, "options": {"model": "m"}}
    # (Whether {{h}} is HTML-escaped depends on the process: importing autoevals
    # turns chevron's escaping off, for the official SDK as for this one.)
    built = _saved(data, no_trace=True).build(obj={"a": [1]}, n=3, h="<b>")
    assert built["messages"] == [{"role": "user", "content": "{'a': [1]} 3 <b>"}]
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": {
        "type": "object", "description": "{{d}}"}}}
    data = {"prompt": {"type": "chat", "messages": []},
            "options": {"model": "m", "params": {"response_format": fmt}}}
    assert _saved(data, no_trace=True).build(d="desc")["response_format"]["json_schema"][
        "schema"] == {"type": "object", "description": "desc"}
    tool_turns = {"prompt": {"type": "chat", "messages": [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c{{n}}", "type": "function",
             "function": {"name": "f", "arguments": '{"a": "{{n}}"}'}}]},
        {"role": "tool", "content": "r", "tool_call_id": "c{{n}}"}]}, "options": {"model": "m"}}
    assert _saved(tool_turns, no_trace=True).build(n=1)["messages"] == [
        {"role": "assistant", "content": None, "tool_calls": [
            {"type": "function", "id": "c1", "function": {"name": "f",
                                                           "arguments": '{"a": "1"}'}}]},
        {"role": "tool", "content": "r", "tool_call_id": "c1"}]


def test_iteration_items_attributes_and_from_prompt_data() -> None:
    chat = _saved(CHAT)
    assert list(chat) == ["model", "params", "chat", "tools"] and len(chat) == 4
    assert chat["model"] == "gpt-4o" and chat["tools"] == TOOLS
    assert chat["params"] == {"temperature": 0.2, "use_cache": True, "max_tokens": 5}
    assert chat["chat"][0].content == "You are {{who}}" and chat["chat"][0].name is None
    assert list(_saved(COMPLETION)) == ["model", "params", "prompt"]
    assert _saved(COMPLETION)["prompt"] == "Complete {{x}}"
    assert chat.prompt is not None and chat.prompt.type == "chat"
    assert chat.prompt.messages[1]["role"] == "user" and chat.prompt.tools == TOOLS
    assert chat.description is None and chat.tags is None
    with pytest.raises(AttributeError):
        chat.no_such_field  # noqa: B018
    made = braintrust.Prompt.from_prompt_data("My Prompt", COMPLETION)
    assert (made.id, made.name, made.slug, made.version, made.project_id) == (
        None, "My Prompt", "My Prompt", None, None)
    assert made.build(x=1) == {"model": "m", "prompt": "Complete 1", "span_info": {
        "metadata": {"prompt": {"variables": {"x": 1}, "id": None, "project_id": None,
                                "version": None}}}}


def test_the_built_call_reaches_the_provider_without_braintrust_keys(
    store: StoreHelper
) -> None:
    with FakeLLM() as llm:
        client = braintrust.wrap_openai(openai.OpenAI(base_url=llm.openai_url, api_key="k"))
        args = _saved(CHAT).build(who="bot", name="Ann", url="http://u", tool="t")
        args["messages"] = args["messages"][:1]
        client.chat.completions.create(**args)
        body = llm.requests[-1]["body"]
    assert "use_cache" not in body and "span_info" not in body
    assert body["temperature"] == 0.2 and body["tools"][0]["function"]["name"] == "t"


def _define(project_name: str = "p") -> braintrust.Project:
    project = braintrust.projects.create(project_name)
    project.prompts.create(
        name="Greeter", slug="greeter", model="gpt-4o-mini",
        params={"temperature": 0.2, "max_tokens": 100},
        messages=[{"role": "system", "content": "You are a {{tone}} assistant."},
                  {"role": "user", "content": "Hello {{name}}, value={{nested.x}}"}])
    return project


def test_create_publish_load_and_build(store: StoreHelper) -> None:
    project = _define()
    with pytest.raises(ValueError, match="no project named 'p'"):
        braintrust.load_prompt(project="p", slug="greeter")  # nothing saved before publish
    project.publish()
    prompt = braintrust.load_prompt(project="p", slug="greeter")
    built = prompt.build(tone="friendly", name="Ann", nested={"x": 5})
    assert built["model"] == "gpt-4o-mini"
    assert built["temperature"] == 0.2 and built["max_tokens"] == 100
    assert built["messages"] == [
        {"role": "system", "content": "You are a friendly assistant."},
        {"role": "user", "content": "Hello Ann, value=5"}]
    assert built["span_info"]["metadata"]["prompt"]["id"] == prompt.id
    project.publish()  # the same definition again: no new version
    assert braintrust.load_prompt(project="p", slug="greeter").version == prompt.version


def test_versions_and_if_exists(store: StoreHelper) -> None:
    first_project = _define()
    first_project.publish()
    first = braintrust.load_prompt(project="p", slug="greeter")
    project = braintrust.projects.create("p")
    project.prompts.create(name="Greeter", slug="greeter", model="gpt-4o",
                           messages=[{"role": "user", "content": "Hi {{name}}"}])
    project.publish()
    second = braintrust.load_prompt(project="p", slug="greeter")
    assert int(second.version) > int(first.version) and second.id == first.id
    assert second.build(name="x")["model"] == "gpt-4o"
    old = braintrust.load_prompt(project="p", slug="greeter", version=first.version)
    assert old.build(tone="calm", name="Bo")["messages"][0]["content"] == \
        "You are a calm assistant."
    again = braintrust.projects.create("p")
    again.prompts.create(name="Greeter", slug="greeter", model="x", prompt="p",
                         if_exists="error")
    with pytest.raises(ValueError, match="'greeter' exists"):
        again.publish()
    kept = braintrust.projects.create("p")
    kept.prompts.create(name="Greeter", slug="greeter", model="x", prompt="p",
                        if_exists="ignore")
    kept.publish()
    assert braintrust.load_prompt(project="p", slug="greeter").version == second.version
    with pytest.raises(ValueError, match="if_exists must be one of"):
        kept.prompts.create(name="x", model="m", prompt="p", if_exists="overwrite")
    with pytest.raises(ValueError, match="exactly one of prompt= and messages="):
        kept.prompts.create(name="x", model="m")
    with pytest.raises(TypeError, match="model must be"):
        kept.prompts.create(name="x", prompt="p")


def test_completion_prompt_and_tools(store: StoreHelper) -> None:
    project = braintrust.projects.create("p")
    project.prompts.create(name="Summarize", prompt="Summarize: {{text}}", model="m")
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {}}}]
    project.prompts.create(name="Tooled", model="m", tools=tools,
                           messages=[{"role": "user", "content": "hi"}])
    project.publish()
    built = braintrust.load_prompt(project="p", slug="summarize").build(text="abc")
    assert built["prompt"] == "Summarize: abc" and "messages" not in built
    assert braintrust.load_prompt(project="p", slug="tooled").build()["tools"] == tools


def test_not_found_errors_name_what_was_missing(store: StoreHelper) -> None:
    _define().publish()
    with pytest.raises(ValueError, match="no project named 'nope'"):
        braintrust.load_prompt(project="nope", slug="greeter")
    with pytest.raises(ValueError, match="no prompt 'absent' in project 'p'"):
        braintrust.load_prompt(project="p", slug="absent")
    with pytest.raises(ValueError, match="at version 999999"):
        braintrust.load_prompt(project="p", slug="greeter", version=999999)
    with pytest.raises(ValueError, match="pass slug="):
        braintrust.load_prompt(project="p")


def test_prompts_against_the_service_and_the_disk_cache(
    fake: object, api: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fake_braintrust import FakeBraintrust

    assert isinstance(fake, FakeBraintrust)
    monkeypatch.setenv("BRAINTRUST_PROMPT_CACHE_DIR", str(tmp_path / "cache"))
    _define("svc").publish()
    [saved] = [r for r in fake.requests if r["path"] == "/insert-functions"]
    [definition] = saved["body"]["functions"]
    assert definition == {
        "project_id": fake.projects["svc"], "name": "Greeter", "slug": "greeter",
        "function_data": {"type": "prompt"}, "if_exists": None,
        "prompt_data": {"prompt": {"type": "chat", "messages": [
            {"role": "system", "content": "You are a {{tone}} assistant."},
            {"role": "user", "content": "Hello {{name}}, value={{nested.x}}"}]},
            "options": {"model": "gpt-4o-mini",
                        "params": {"temperature": 0.2, "max_tokens": 100}}}}
    prompt = braintrust.load_prompt(project="svc", slug="greeter")
    built = prompt.build(tone="warm", name="Al", nested={"x": 2})
    assert built["messages"][1]["content"] == "Hello Al, value=2"
    fake.stop()
    cached = braintrust.load_prompt(project="svc", slug="greeter")
    assert cached.build(tone="warm", name="Al", nested={"x": 2}) == built
    with pytest.raises(ValueError, match="not cached"):
        braintrust.load_prompt(project="svc", slug="other")
