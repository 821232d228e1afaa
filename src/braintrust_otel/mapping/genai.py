"""OTel GenAI semantic conventions: ``gen_ai.*`` attributes, current and older forms.

Current: ``gen_ai.input.messages`` / ``gen_ai.output.messages`` (JSON, parts
format) and ``gen_ai.system_instructions``. Older: ``gen_ai.prompt.{i}.*`` /
``gen_ai.completion.{i}.*`` (indexed, as OpenLLMetry wrote them) and the
``gen_ai.*.message`` / ``gen_ai.choice`` span events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from ._util import Row, choices, indexed, json_value, number, put, put_in, set_type, tool_call

_TYPES = {
    "chat": "llm", "text_completion": "llm", "generate_content": "llm", "embeddings": "llm",
    "execute_tool": "tool", "invoke_agent": "task", "create_agent": "task",
    "invoke_workflow": "task", "retrieval": "function",
}
_PARAMS = ("temperature", "top_p", "top_k", "max_tokens", "frequency_penalty",
           "presence_penalty", "seed", "stop_sequences", "choice.count")
_DETAILS_EVENT = "gen_ai.client.inference.operation.details"
#: Operations whose usage adds up their children's: counted on the llm rows only.
_AGGREGATES = ("invoke_agent", "invoke_workflow", "create_agent")
_EVENT_ROLES = {"gen_ai.system.message": "system", "gen_ai.user.message": "user",
                "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool"}


def message_from_parts(message: Mapping[str, Any]) -> dict[str, Any]:
    """A GenAI parts-format message in OpenAI chat format."""
    role = message.get("role")
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    out: dict[str, Any] = {"role": role}
    other: list[Any] = []
    for part in message.get("parts") or []:
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type")
        if kind == "text":
            texts.append(str(part.get("content", "")))
        elif kind == "tool_call":
            calls.append(tool_call(part.get("id"), part.get("name"), part.get("arguments")))
        elif kind == "tool_call_response":
            out["role"] = "tool"
            out["tool_call_id"] = part.get("id")
            # "response" in the GenAI conventions; "result" as pydantic_ai writes it.
            result = text_blocks(part.get("response", part.get("result")))
            texts.append(result if isinstance(result, str) else _json(result))
        else:
            other.append(dict(part))
    if other:
        out["content"] = [{"type": "text", "text": t} for t in texts] + other
    else:
        out["content"] = "".join(texts) if texts or not calls else None
    if calls:
        out["tool_calls"] = calls
    if message.get("finish_reason") is not None:
        out["finish_reason"] = message["finish_reason"]
    return out


def text_blocks(value: Any) -> Any:
    """``[{"text": "a"}, {"text": "b"}]`` (Strands and Bedrock content blocks) as ``"ab"``;
    anything else as it is."""
    if (isinstance(value, list) and value
            and all(isinstance(v, Mapping) and set(v) == {"text"} for v in value)):
        return "".join(str(v["text"]) for v in value)
    return value


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _split_tool_responses(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    # One message may answer several tool calls; OpenAI format wants one tool message each.
    parts = [p for p in message.get("parts") or [] if isinstance(p, Mapping)]
    responses = [p for p in parts if p.get("type") == "tool_call_response"]
    if len(responses) < 2 and (not responses or len(parts) == 1):
        return [message]
    others = [p for p in parts if p.get("type") != "tool_call_response"]
    answers: list[Mapping[str, Any]] = [{**message, "parts": [p]} for p in responses]
    if not others:
        return answers
    rest = {**message, "parts": others}
    # Calls and their answers in one message (AgentScope): the calls come first.
    # Answers beside other content (a user turn after tool results) come first.
    if any(p.get("type") == "tool_call" for p in others):
        return [rest, *answers]
    return [*answers, rest]


def _messages(value: Any, keep_finish: bool = True) -> list[dict[str, Any]] | None:
    value = json_value(value)
    if not isinstance(value, Sequence) or isinstance(value, str):
        return None
    out = []
    for m in value:
        if not isinstance(m, Mapping):
            continue
        for one in _split_tool_responses(m) if "parts" in m else [m]:
            message = message_from_parts(one) if "parts" in one else dict(one)
            if not keep_finish:
                message.pop("finish_reason", None)  # an input message was answered long ago
            out.append(message)
    return out


def _agent_prompt(value: Any) -> list[dict[str, Any]] | None:
    """An agent run's input: the conversation up to the model's first answer."""
    messages = _messages(value, keep_finish=False)
    if not messages:
        return None
    for i, message in enumerate(messages):
        if message.get("role") == "assistant":
            return messages[:i] or None
    return messages


def _indexed_messages(attrs: Mapping[str, Any], prefix: str
                      ) -> tuple[list[dict[str, Any]], set[str]]:
    items, used = indexed(attrs, prefix)
    out = []
    for item in items:
        message: dict[str, Any] = {"role": item.get("role"),
                                   "content": json_value(item.get("content"))}
        calls = item.get("tool_calls")
        if isinstance(calls, list):
            message["tool_calls"] = [tool_call(c.get("id"), c.get("name"), c.get("arguments"))
                                     for c in calls if isinstance(c, Mapping)]
        if item.get("finish_reason") is not None:
            message["finish_reason"] = item["finish_reason"]
        out.append(message)
    return out, used


def apply(row: Row, span: ReadableSpan, attrs: Mapping[str, Any], consumed: set[str]) -> None:
    """Fills an LLM row from ``gen_ai.*`` attributes and events; consumes them."""
    keys = [k for k in attrs if k.startswith("gen_ai.")]
    events = [e for e in span.events if e.name.startswith("gen_ai.")]
    if not keys and not events:
        return
    consumed.update(keys)
    # Pydantic AI's agent span: its messages and result become input and output
    # below; logfire.* are display hints for Logfire only.
    consumed.update(k for k in attrs if k.startswith(("logfire.", "pydantic_ai.all_messages"))
                    or k == "final_result")
    # The conventions also allow the content on one "operation details" event
    # (Strands writes it there); the span's own attributes win.
    details: dict[str, Any] = {}
    for event in events:
        if event.name == _DETAILS_EVENT:
            details.update(event.attributes or {})
    get = (lambda key: attrs.get(key, details.get(key))) if details else attrs.get
    op = get("gen_ai.operation.name")
    set_type(row, _TYPES.get(str(op)) if op else ("llm" if get("gen_ai.request.model") else None))

    if op == "execute_tool" and get("gen_ai.tool.name"):
        row["span_attributes"]["name"] = get("gen_ai.tool.name")
        put(row, "input", json_value(get("gen_ai.tool.call.arguments")))
        put(row, "output", text_blocks(json_value(get("gen_ai.tool.call.result"))))

    messages = _messages(get("gen_ai.input.messages"), keep_finish=False)
    if messages is None and op in ("invoke_agent", "invoke_workflow"):
        messages = _agent_prompt(get("pydantic_ai.all_messages"))
    if messages is None:
        found, _ = _indexed_messages(attrs, "gen_ai.prompt")
        messages = found or None
    if messages is None:
        messages = [{"role": _EVENT_ROLES[e.name], **dict(e.attributes or {})}
                    for e in events if e.name in _EVENT_ROLES] or None
        if messages:
            for m in messages:
                m.pop("gen_ai.system", None)
    system = json_value(get("gen_ai.system_instructions"))
    if isinstance(system, list) and messages is not None:
        text = "".join(str(p.get("content", "")) for p in system if isinstance(p, Mapping))
        messages.insert(0, {"role": "system", "content": text})
    put(row, "input", messages)

    finish = get("gen_ai.response.finish_reasons")
    finish_list = list(finish) if isinstance(finish, (list, tuple)) else None
    outputs = _messages(get("gen_ai.output.messages"))
    if outputs is None:
        found, _ = _indexed_messages(attrs, "gen_ai.completion")
        outputs = found or None
    if outputs is not None:
        put(row, "output", choices(outputs, finish_list))
    elif op in ("invoke_agent", "invoke_workflow"):
        put(row, "output", json_value(get("final_result")))
    else:
        picked = [dict(e.attributes or {}) for e in events if e.name == "gen_ai.choice"]
        if picked:
            put(row, "output", [{"index": c.get("index", i),
                                 "message": json_value(c.get("message")),
                                 "finish_reason": c.get("finish_reason")}
                                for i, c in enumerate(picked)])

    metadata: dict[str, Any] = {
        "model": get("gen_ai.response.model") or get("gen_ai.request.model"),
        "provider": get("gen_ai.provider.name") or get("gen_ai.system"),
        "operation": op,
        "response_id": get("gen_ai.response.id"),
        "finish_reasons": finish_list,
        "conversation_id": get("gen_ai.conversation.id"),
        "tools": json_value(get("gen_ai.tool.definitions")),
    }
    for param in _PARAMS:
        value = get(f"gen_ai.request.{param}")
        metadata[param.replace(".", "_")] = list(value) if isinstance(value, tuple) else value
    if "braintrust.metadata" not in attrs:
        # A span that states its own metadata (ours) keeps exactly that: the
        # GenAI attributes there are for other backends, and the official SDK's
        # rows carry no operation / response id / finish reasons.
        put_in(row, "metadata", metadata)

    prompt = number(get("gen_ai.usage.input_tokens")) or number(
        get("gen_ai.usage.prompt_tokens"))
    completion = number(get("gen_ai.usage.output_tokens")) or number(
        get("gen_ai.usage.completion_tokens"))
    total = number(get("gen_ai.usage.total_tokens")) or number(get("llm.usage.total_tokens"))
    if total is None and prompt is not None and completion is not None:
        total = prompt + completion
    if op in _AGGREGATES:
        return  # an agent's usage sums its model calls', which carry it themselves
    put_in(row, "metrics", {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "tokens": total,
        "prompt_cached_tokens": number(get("gen_ai.usage.cache_read.input_tokens"))
        or number(get("gen_ai.usage.cache_read_input_tokens")),
        "prompt_cache_creation_tokens": number(get("gen_ai.usage.cache_creation.input_tokens"))
        or number(get("gen_ai.usage.cache_creation_input_tokens")),
        "completion_reasoning_tokens": number(get("gen_ai.usage.reasoning.output_tokens"))
        or number(get("gen_ai.usage.reasoning_tokens"))
        or number(get("gen_ai.usage.details.reasoning_tokens")),
        "time_to_first_token": number(get("gen_ai.response.time_to_first_chunk")),
    })
