"""LiveKit objects as row values (pure functions; LiveKit's objects stood in for by plain ones)."""

from __future__ import annotations

from types import SimpleNamespace as NS

from braintrust_otel.instrumentation import _livekit as lk


def _execution(name: str, arguments: str, call_id: str, output: str, is_error: bool) -> NS:
    return NS(fnc_call=NS(name=name, arguments=arguments, call_id=call_id),
              fnc_call_out=NS(output=output, is_error=is_error))


def test_one_tool_call_is_name_and_arguments_in_output_and_error_flag_out() -> None:
    out = NS(output=[_execution("get_weather", '{"city": "Paris"}', "call_1", "sunny", False)])
    assert lk.tool_event(out) == {
        "input": {"name": "get_weather", "arguments": {"city": "Paris"}},
        "output": {"output": "sunny", "is_error": False},
        "metadata": {"call_id": "call_1"}}


def test_several_tool_calls_are_listed_and_counted() -> None:
    out = NS(output=[_execution("a", "{}", "c1", "x", False),
                     _execution("b", "not json", "c2", "boom", True)])
    assert lk.tool_event(out) == {
        "output": {"tool_calls": [
            {"name": "a", "arguments": {}, "call_id": "c1", "output": "x", "is_error": False},
            {"name": "b", "arguments": "not json", "call_id": "c2", "output": "boom",
             "is_error": True}]},
        "metadata": {"tool_call_count": 2}}


def test_a_reply_without_tools_makes_no_tool_row() -> None:
    assert lk.tool_event(NS(output=[])) is None
    assert lk.tool_event(None) is None


def test_llm_metrics_are_ttft_and_metadata() -> None:
    metrics = NS(type="llm_metrics", label="plugin.LLM", request_id="req", timestamp=1.0,
                 duration=0.5, ttft=0.2, cancelled=False, completion_tokens=3, prompt_tokens=12,
                 prompt_cached_tokens=0, total_tokens=15, tokens_per_second=6.0,
                 speech_id=None, metadata=NS(model_name="gpt-4o-mini", model_provider="openai"))
    assert lk.metrics_event(NS(metrics=metrics)) == (
        {"time_to_first_token": 0.2},
        {"model": "gpt-4o-mini", "provider": "openai", "label": "plugin.LLM",
         "request_id": "req",
         "livekit_metrics": {"cancelled": False, "completion_tokens": 3, "prompt_tokens": 12,
                             "prompt_cached_tokens": 0, "tokens_per_second": 6.0,
                             "total_tokens": 15}})


def test_speech_metrics_are_not_the_session_rows() -> None:
    assert lk.metrics_event(NS(type="tts_metrics", duration=1.0)) is None
    assert lk.metrics_event(NS(type=None)) is None


def test_turn_metadata_reads_the_result_then_its_events() -> None:
    result = NS(speech_id="s1", events=[{"lk.generation_id": "g1", "lk.speech_id": "other"},
                                        NS(interrupted=False)])
    assert lk.turn_metadata(result) == {"speech_id": "s1", "generation_id": "g1",
                                        "interrupted": False}
    assert lk.turn_metadata(NS()) == {}
