"""OpenInference: ``openinference.span.kind``, ``input.value``, ``llm.*`` attributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from .. import attributes as A
from ._util import Row, choices, indexed, json_value, number, put, put_in, set_type, tool_call

_KINDS = {"LLM": "llm", "EMBEDDING": "llm", "TOOL": "tool", "CHAIN": "task", "AGENT": "task",
          "RETRIEVER": "function", "RERANKER": "function", "GUARDRAIL": "function",
          "EVALUATOR": "score"}
_MODEL_CALL = ("llm.input_messages.", "llm.output_messages.", "llm.prompts", "llm.token_count.")
_PREFIXES = ("openinference.", "input.", "output.", "llm.", "tool.", "embedding.",
             "retrieval.", "session.", "user.", "tag.", "metadata")


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _message(item: Mapping[str, Any]) -> dict[str, Any]:
    msg = item.get("message") if isinstance(item.get("message"), Mapping) else item
    assert isinstance(msg, Mapping)
    out: dict[str, Any] = {"role": msg.get("role")}
    content = msg.get("content")
    if content is None and isinstance(msg.get("contents"), list):
        content = "".join(str((c.get("message_content") or {}).get("text", ""))
                          for c in msg["contents"] if isinstance(c, Mapping))
    out["content"] = content
    calls = msg.get("tool_calls")
    if isinstance(calls, list):
        out["tool_calls"] = []
        for call in calls:
            tc = call.get("tool_call", call) if isinstance(call, Mapping) else {}
            fn = tc.get("function") or {}
            out["tool_calls"].append(tool_call(tc.get("id"), fn.get("name"), fn.get("arguments")))
    if msg.get("tool_call_id"):
        out["tool_call_id"] = msg["tool_call_id"]
    if msg.get("name"):
        out["name"] = msg["name"]
    return out


_CREWAI_SCOPE = "openinference.instrumentation.crewai"
#: What OpenInference puts on CrewAI's kickoff and task spans besides its conventions;
#: left out when our instrumentor gave the row the official metadata instead.
_CREWAI_OWN = ("crew_key", "crew_id", "crew_inputs", "crew_agents", "crew_tasks", "kickoff_id",
               "task_key", "task_id", "task_name", "formatted_description",
               "formatted_expected_output", "graph.node.id", "graph.node.parent_id")


def _crewai(row: Row, name: str, kind: str, attrs: Mapping[str, Any], consumed: set[str]) -> None:
    """The official SDK's names for CrewAI's spans (OpenInference names them after the
    crew, the agent's role or the tool): ``crewai.kickoff``, ``crewai.task``,
    ``crewai.tool.<name>`` (with the tool's name as metadata). Its other spans (flows,
    memory) keep their names."""
    if kind == "TOOL":
        tool = attrs.get("tool.name") or name
        row["span_attributes"]["name"] = f"crewai.tool.{tool}"
        put_in(row, "metadata", {"tool_name": tool})
    elif name.endswith("._execute_core"):
        row["span_attributes"]["name"] = "crewai.task"
    elif name.endswith(".kickoff") and "crew_key" in attrs:
        row["span_attributes"]["name"] = "crewai.kickoff"
    else:
        return
    if A.METADATA in attrs:
        consumed.update(k for k in _CREWAI_OWN if k in attrs)


def apply(row: Row, span: ReadableSpan, attrs: Mapping[str, Any], consumed: set[str]) -> None:
    """Fills a row from OpenInference attributes; consumes them."""
    kind = attrs.get("openinference.span.kind")
    if kind is None:
        return
    consumed.update(k for k in attrs if k.startswith(_PREFIXES))
    get = attrs.get
    span_type = _KINDS.get(str(kind).upper(), "function")
    if str(kind).upper() == "LLM" and not any(k.startswith(_MODEL_CALL) for k in attrs):
        # LlamaIndex's tracer marks every method of an LLM object as LLM, helpers
        # that prepare a request included; only a span with messages or tokens
        # stands for a model call, and each call must make one llm row.
        span_type = "function"
    set_type(row, span_type)
    if str(kind).upper() == "TOOL" and get("tool.name"):
        row["span_attributes"]["name"] = get("tool.name")
    scope = span.instrumentation_scope
    if scope is not None and scope.name == _CREWAI_SCOPE:
        _crewai(row, span.name, str(kind).upper(), attrs, consumed)
    inputs, _ = indexed(attrs, "llm.input_messages")
    outputs, _ = indexed(attrs, "llm.output_messages")
    if inputs:
        put(row, "input", [_message(m) for m in inputs])
    else:
        put(row, "input", json_value(get("input.value")))
    if outputs:
        finish = get("llm.finish_reason")
        put(row, "output", choices([_message(m) for m in outputs],
                                   [finish] if finish else None))
    else:
        put(row, "output", json_value(get("output.value")))
    params = json_value(get("llm.invocation_parameters"))
    put_in(row, "metadata", {
        **(params if isinstance(params, Mapping) else {}),
        "model": get("llm.model_name"),
        # Lower case as the conventions list them (Agno writes "OpenAI").
        "provider": _lower(get("llm.provider") or get("llm.system")),
        "session_id": get("session.id"),
        "user_id": get("user.id"),
        **(json_value(get("metadata")) if isinstance(json_value(get("metadata")), Mapping)
           else {}),
    })
    tags = get("tag.tags")
    if isinstance(tags, (list, tuple)):
        put(row, "tags", list(tags))
    ttft = None
    for event in span.events:
        if event.name == "First Token Stream Event" and span.start_time:
            ttft = (event.timestamp - span.start_time) / 1e9
            break
    prompt, completion = (number(get("llm.token_count.prompt")),
                          number(get("llm.token_count.completion")))
    total = number(get("llm.token_count.total"))
    if total is None and prompt is not None and completion is not None:
        total = prompt + completion  # Agno's tracer, for one, records no total
    put_in(row, "metrics", {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "tokens": total,
        "prompt_cached_tokens": number(get("llm.token_count.prompt_details.cache_read")),
        "prompt_cache_creation_tokens": number(get("llm.token_count.prompt_details.cache_write")),
        "completion_reasoning_tokens": number(
            get("llm.token_count.completion_details.reasoning")),
        "time_to_first_token": ttft,
    })
