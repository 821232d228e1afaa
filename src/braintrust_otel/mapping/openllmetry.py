"""OpenLLMetry / Traceloop: ``traceloop.*`` and ``llm.*`` attributes.

Indexed ``gen_ai.prompt.{i}`` content is handled by the GenAI mapper, which
runs first; this one adds the Traceloop workflow/task/agent/tool spans and
the ``llm.*`` request and usage attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from ._util import Row, json_value, number, put, put_in, set_type

_KINDS = {"workflow": "task", "task": "task", "agent": "task", "tool": "tool"}


def apply(row: Row, span: ReadableSpan, attrs: Mapping[str, Any], consumed: set[str]) -> None:
    """Fills a row from ``traceloop.*`` and ``llm.*`` attributes; consumes them."""
    keys = [k for k in attrs if k.startswith(("traceloop.", "llm.")) and k not in consumed]
    # OpenInference also writes llm.* (llm.input_messages, ...): leave those to it.
    if "openinference.span.kind" in attrs:
        keys = [k for k in keys if k.startswith("traceloop.")]
    if not keys:
        return
    consumed.update(keys)
    get = attrs.get
    kind = get("traceloop.span.kind")
    set_type(row, _KINDS.get(str(kind)) if kind else
             ("llm" if get("llm.request.type") else None))
    name = get("traceloop.entity.name")
    if name and kind:
        row["span_attributes"]["name"] = name
    put(row, "input", json_value(get("traceloop.entity.input")))
    put(row, "output", json_value(get("traceloop.entity.output")))
    put_in(row, "metadata", {
        "workflow": get("traceloop.workflow.name"),
        "request_type": get("llm.request.type"),
        "top_k": get("llm.top_k"),
        "frequency_penalty": get("llm.frequency_penalty"),
        "presence_penalty": get("llm.presence_penalty"),
        **{k[len("traceloop.association.properties."):]: v for k, v in attrs.items()
           if k.startswith("traceloop.association.properties.")},
    })
    put_in(row, "metrics", {
        "tokens": number(get("llm.usage.total_tokens")),
        "completion_reasoning_tokens": number(get("llm.usage.reasoning_tokens")),
    })
