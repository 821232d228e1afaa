"""Bedrock's Converse API (``converse``, ``converse_stream``) as Braintrust LLM rows.

Pure mapping for :mod:`.bedrock`: requests into OpenAI-like messages and parameters,
responses and stream events into output, token counts and metadata.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Optional

from ._llm import LLMCall

_INFERENCE = {"maxTokens": "max_tokens", "temperature": "temperature", "topP": "top_p",
              "stopSequences": "stop_sequences"}
_SNAKE = {"guardrailConfig": "guardrail_config",
          "additionalModelRequestFields": "additional_model_request_fields",
          "additionalModelResponseFields": "additional_model_response_fields",
          "additionalModelResponseFieldPaths": "additional_model_response_field_paths",
          "performanceConfig": "performance_config", "requestMetadata": "request_metadata",
          "trace": "trace"}
_DOCUMENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv", "html": "text/html",
                   "md": "text/markdown", "txt": "text/plain"}


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- converse: request -----------------------------------------------------------------

def _data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _block(block: Any) -> Any:
    """One Converse content block as the OpenAI-like part the row shows."""
    if not isinstance(block, Mapping):
        return block
    if "text" in block:
        return {"type": "text", "text": block["text"]}
    if "toolUse" in block:
        use = block["toolUse"] or {}
        return {"type": "tool_use", **{k: v for k, v in (
            ("id", use.get("toolUseId")), ("name", use.get("name")),
            ("input", use.get("input"))) if v is not None}}
    if "toolResult" in block:
        result = block["toolResult"] or {}
        out: dict[str, Any] = {"type": "tool_result"}
        if result.get("toolUseId") is not None:
            out["tool_use_id"] = result["toolUseId"]
        if result.get("status") is not None:
            out["status"] = result["status"]
        if isinstance(result.get("content"), list):
            out["content"] = [{"type": "text", "text": c["text"]} if "text" in c
                              else {"type": "json", "json": c["json"]} if "json" in c else c
                              for c in result["content"] if isinstance(c, Mapping)]
        return out
    if "image" in block:
        image = block["image"] or {}
        source, fmt = image.get("source"), image.get("format")
        if isinstance(source, Mapping) and isinstance(source.get("bytes"), (bytes, bytearray)):
            # A data URL: the row keeps the image as an attachment, not a huge string.
            part = {"type": "image_url",
                    "image_url": {"url": _data_url(bytes(source["bytes"]),
                                                   f"image/{fmt or 'png'}")}}
            return {**part, "format": fmt} if fmt else part
        return {"type": "image", **{k: v for k, v in (("format", fmt), ("source", source))
                                    if v is not None}}
    if "document" in block:
        doc = block["document"] or {}
        source, fmt = doc.get("source"), doc.get("format")
        details = {k: doc[k] for k in ("format", "name", "citations") if doc.get(k) is not None}
        if isinstance(source, Mapping) and isinstance(source.get("bytes"), (bytes, bytearray)):
            mime = _DOCUMENT_TYPES.get(str(fmt), "application/octet-stream")
            return {"type": "file", "file": {"file_data": _data_url(bytes(source["bytes"]), mime),
                                             "filename": doc.get("name")}, **details}
        return {"type": "document", **details, **({"source": source} if source else {})}
    if "reasoningContent" in block:
        text = (block["reasoningContent"] or {}).get("reasoningText") or {}
        return {"type": "reasoning", **{k: text[k] for k in ("text", "signature")
                                        if text.get(k) is not None}}
    return dict(block)


def _message(message: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if message.get("role") is not None:
        out["role"] = message["role"]
    out["content"] = [_block(b) for b in message.get("content") or []]
    return out


def _converse_input(params: Mapping[str, Any]) -> Optional[list[dict[str, Any]]]:
    messages: list[dict[str, Any]] = []
    system = params.get("system")
    if isinstance(system, list) and system:
        messages.append({"role": "system", "content": [
            {"type": "text", "text": b["text"]} if isinstance(b, Mapping) and "text" in b else b
            for b in system]})
    messages += [_message(m) for m in params.get("messages") or [] if isinstance(m, Mapping)]
    return messages or None


def _tool(tool: Any) -> Any:
    spec = tool.get("toolSpec") if isinstance(tool, Mapping) else None
    if not isinstance(spec, Mapping):
        return tool
    fn = {k: spec[k] for k in ("name", "description") if spec.get(k) is not None}
    schema = spec.get("inputSchema")
    if schema is not None:
        fn["parameters"] = schema["json"] if isinstance(schema, Mapping) and isinstance(
            schema.get("json"), Mapping) else schema
    return {"type": "function", "function": fn}


def _tool_choice(choice: Any) -> Any:
    if not isinstance(choice, Mapping):
        return None
    if "auto" in choice:
        return "auto"
    if "any" in choice:
        return "required"
    name = (choice.get("tool") or {}).get("name") if isinstance(choice.get("tool"), Mapping) \
        else None
    return {"type": "function", "function": {"name": name}} if isinstance(name, str) else choice


def _converse_params(params: Mapping[str, Any], endpoint: str, stream: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"endpoint": endpoint}
    config = params.get("inferenceConfig")
    if isinstance(config, Mapping):
        out.update({ours: config[theirs] for theirs, ours in _INFERENCE.items()
                    if config.get(theirs) is not None})
    tools = params.get("toolConfig")
    if isinstance(tools, Mapping):
        if isinstance(tools.get("tools"), list) and tools["tools"]:
            out["tools"] = [_tool(t) for t in tools["tools"]]
        choice = _tool_choice(tools.get("toolChoice"))
        if choice is not None:
            out["tool_choice"] = choice
    for key in ("guardrailConfig", "additionalModelRequestFields",
                "additionalModelResponseFieldPaths", "performanceConfig", "requestMetadata"):
        if params.get(key) is not None:
            out[_SNAKE[key]] = params[key]
    if stream:
        out["stream"] = True
    return out


# -- usage ------------------------------------------------------------------------------

def _count(usage: Mapping[str, Any], key: str) -> Any:
    value = usage.get(key)
    return value if _num(value) else 0


def _converse_usage(usage: Any) -> dict[str, Any]:
    if not isinstance(usage, Mapping):
        return {}
    metrics: dict[str, Any] = {}
    fresh, read, write = (_count(usage, k) for k in (
        "inputTokens", "cacheReadInputTokens", "cacheWriteInputTokens"))
    if "inputTokens" in usage or read or write:
        # Bedrock counts cached input apart; Braintrust's prompt_tokens is all input.
        metrics["prompt_tokens"] = fresh + read + write
    for theirs, ours in (("outputTokens", "completion_tokens"),
                         ("cacheReadInputTokens", "prompt_cached_tokens"),
                         ("cacheWriteInputTokens", "prompt_cache_creation_tokens"),
                         ("totalTokens", "tokens")):
        if _num(usage.get(theirs)):
            metrics[ours] = usage[theirs]
    if "tokens" not in metrics and {"prompt_tokens", "completion_tokens"} <= metrics.keys():
        metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
    return metrics


def _response_metadata(result: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if result.get("stopReason") is not None:
        out["stop_reason"] = result["stopReason"]
    for key in ("additionalModelResponseFields", "trace"):
        if result.get(key) is not None:
            out[_SNAKE[key]] = result[key]
    latency = (result.get("metrics") or {}).get("latencyMs")
    if _num(latency):
        out["bedrock_latency_ms"] = latency
    return out


# -- converse: response -------------------------------------------------------------------

def _converse_finish(call: LLMCall, result: Any) -> None:
    if not isinstance(result, Mapping):
        call.finish()
        return
    output = result.get("output")
    if isinstance(output, Mapping) and isinstance(output.get("message"), Mapping):
        output = [_message(output["message"])]
    call.finish(output=output, usage=_converse_usage(result.get("usage")),
                finish_reasons=[result.get("stopReason")], metadata=_response_metadata(result))


def _converse_stream_done(call: LLMCall, events: list[Any]) -> None:
    role = "assistant"
    blocks: dict[int, dict[str, Any]] = {}
    pieces: dict[int, list[str]] = {}
    usage: Any = None
    result: dict[str, Any] = {}
    for event in events:
        if not isinstance(event, Mapping):
            continue
        if "messageStart" in event:
            role = (event["messageStart"] or {}).get("role") or role
        elif "contentBlockStart" in event:
            data = event["contentBlockStart"] or {}
            start = data.get("start") or {}
            index = int(data.get("contentBlockIndex", 0))
            blocks[index] = _block({"toolUse": start["toolUse"]}) if "toolUse" in start else {}
        elif "contentBlockDelta" in event:
            data = event["contentBlockDelta"] or {}
            index = int(data.get("contentBlockIndex", 0))
            block, delta = blocks.setdefault(index, {}), data.get("delta") or {}
            if "text" in delta:
                block["type"] = "text"
                pieces.setdefault(index, []).append(delta["text"])
            elif "toolUse" in delta:
                block["type"] = "tool_use"
                if (delta["toolUse"] or {}).get("input") is not None:
                    pieces.setdefault(index, []).append(delta["toolUse"]["input"])
            elif "reasoningContent" in delta:
                block["type"] = "reasoning"
                reasoning = delta["reasoningContent"] or {}
                if reasoning.get("text") is not None:
                    pieces.setdefault(index, []).append(reasoning["text"])
                if reasoning.get("signature") is not None:
                    block["signature"] = reasoning["signature"]
            elif "citation" in delta:
                block.setdefault("citations", []).append(delta["citation"])
        elif "messageStop" in event:
            result["stopReason"] = (event["messageStop"] or {}).get("stopReason")
        elif "metadata" in event:
            data = event["metadata"] or {}
            usage = data.get("usage") or usage
            if isinstance(data.get("metrics"), Mapping):
                result["metrics"] = data["metrics"]
    for index, parts in pieces.items():
        block = blocks.setdefault(index, {})
        block["input" if block.get("type") == "tool_use" else "text"] = "".join(parts)
    content = [blocks[i] for i in sorted(blocks)]
    call.finish(output=[{"role": role, "content": content}] if content else None,
                usage=_converse_usage(usage), finish_reasons=[result.get("stopReason")],
                metadata=_response_metadata(result))
