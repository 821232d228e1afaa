"""ADK objects as row values (pure functions; ADK's objects stood in for by plain ones)."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pydantic

from braintrust_otel.instrumentation import _adk


def _content(*parts: NS) -> NS:
    return NS(parts=list(parts))


def test_call_type_reads_the_request_then_the_reply() -> None:
    answered = NS(contents=[_content(NS(function_response={"x": 1}))])
    asked = NS(contents=[_content(NS(text="hi"))])
    calling = NS(content=_content(NS(function_call={"name": "t"})))
    assert _adk.call_type(answered, calling) == "response_generation"
    assert _adk.call_type(asked, calling) == "tool_selection"
    assert _adk.call_type(asked, NS(get_function_calls=lambda: ["call"])) == "tool_selection"
    assert _adk.call_type(asked, NS(content=_content(NS(text="ok")))) == "direct_response"


def test_event_output_carries_the_last_content_when_the_last_event_has_none() -> None:
    first, last = NS(content="text"), NS(content=None, done=True)
    assert _adk.event_output(last, first) == {"event": last, "content": "text"}
    assert _adk.event_output(first, first) is first


class _Schema(pydantic.BaseModel):
    city: str


def test_request_input_keeps_the_readable_config_fields() -> None:
    config = NS(system_instruction="Be terse.", temperature=None, response_schema=_Schema,
                tools=["not input"])
    request = NS(model="m", contents=[], config=config, live_connect_config=None)
    assert _adk.llm_request_input(request) == {
        "model": "m", "config": {"system_instruction": "Be terse.",
                                 "response_schema": _Schema.model_json_schema()}}
    assert _adk.llm_request_input(None) is None


def test_llm_metadata_names_the_flow_and_provider() -> None:
    class AutoFlow:
        pass

    request = NS(model="m", config=NS(tools=None, tool_config=None))
    assert _adk.llm_metadata(AutoFlow(), request) == {"flow_class": "AutoFlow", "model": "m",
                                                     "provider": "google"}


def test_tool_node_arguments_are_a_mapping() -> None:
    assert _adk.tool_node_arguments({"city": "Paris"}) == {"city": "Paris"}
    assert _adk.tool_node_arguments('{"city": "Paris"}') == {"city": "Paris"}
    assert _adk.tool_node_arguments(NS(parts=[NS(text='{"a": '), NS(text="1}")])) == {"a": 1}
    assert _adk.tool_node_arguments("plain text") == {}
    assert _adk.tool_node_arguments(3) == {}
