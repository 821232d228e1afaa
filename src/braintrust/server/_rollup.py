"""Roll-ups the UI shows: a trace's totals, estimated LLM cost, and a project's daily overview.

Pure functions over rows (no I/O), so each is tested on plain dicts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Optional

__all__ = ["PRICES", "estimated_cost", "overview", "trace_summary"]

# Published list prices in US dollars per million tokens (input, output). An estimate: the
# provider's bill (cached tokens, batch discounts) can differ. Matched by the longest prefix
# of the model name, any "provider/" prefix removed.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60), "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40), "gpt-4.1-mini": (0.40, 1.60), "gpt-4.1": (2.00, 8.00),
    "gpt-4-turbo": (10.00, 30.00), "gpt-4": (30.00, 60.00), "gpt-3.5-turbo": (0.50, 1.50),
    "o1-mini": (1.10, 4.40), "o1": (15.00, 60.00), "o3-mini": (1.10, 4.40), "o3": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
    "claude-3-5-haiku": (0.80, 4.00), "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00), "claude-3-haiku": (0.25, 1.25),
    "claude-3-opus": (15.00, 75.00), "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00), "claude-haiku-4": (1.00, 5.00),
    "gemini-1.5-flash": (0.075, 0.30), "gemini-1.5-pro": (1.25, 5.00),
    "gemini-2.0-flash": (0.10, 0.40), "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-pro": (1.25, 10.00),
    "text-embedding-3-small": (0.02, 0.0), "text-embedding-3-large": (0.13, 0.0),
}


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def estimated_cost(model: Any, prompt_tokens: Any, completion_tokens: Any) -> Optional[float]:
    """Dollars a call would cost at list price, or None for a model not in :data:`PRICES`.

    Args:
        model: The model name (``gpt-4o-mini``, ``openai/gpt-4o``, ``gpt-4o-2024-08-06``).
        prompt_tokens, completion_tokens: The call's token counts (missing counts as 0).
    """
    if not isinstance(model, str) or not model:
        return None
    name = model.rsplit("/", 1)[-1].lower()
    best = max((k for k in PRICES if name.startswith(k)), key=len, default=None)
    if best is None:
        return None
    price_in, price_out = PRICES[best]
    return ((_number(prompt_tokens) or 0.0) * price_in
            + (_number(completion_tokens) or 0.0) * price_out) / 1e6


def _duration(row: dict[str, Any]) -> Optional[float]:
    m = row.get("metrics") or {}
    start, end = _number(m.get("start")), _number(m.get("end"))
    return end - start if start is not None and end is not None else None


def trace_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Totals of one trace's rows: what the logs list shows per trace.

    Returns:
        ``duration`` (seconds, root's end - start), ``spans``, ``tokens``, ``prompt_tokens``,
        ``completion_tokens`` (summed over spans), ``cost`` (estimated dollars, None when no
        span's model is priced), ``cost_by_model``, ``errors`` (failed spans), ``error`` (the
        first failure's message) and ``models``.
    """
    root = next((r for r in rows if not r.get("span_parents")), rows[0] if rows else {})
    out: dict[str, Any] = {"duration": _duration(root), "spans": len(rows), "tokens": 0,
                           "prompt_tokens": 0, "completion_tokens": 0, "cost": None,
                           "cost_by_model": {}, "errors": 0, "error": None, "models": []}
    for row in rows:
        m = row.get("metrics") or {}
        tokens = _number(m.get("tokens"))
        prompt, completion = _number(m.get("prompt_tokens")), _number(m.get("completion_tokens"))
        if tokens is None and (prompt is not None or completion is not None):
            tokens = (prompt or 0.0) + (completion or 0.0)
        out["tokens"] += int(tokens or 0)
        out["prompt_tokens"] += int(prompt or 0)
        out["completion_tokens"] += int(completion or 0)
        model = (row.get("metadata") or {}).get("model") if isinstance(
            row.get("metadata"), dict) else None
        if isinstance(model, str) and model:
            if model not in out["models"]:
                out["models"].append(model)
            cost = estimated_cost(model, prompt, completion)
            if cost is not None:
                out["cost_by_model"][model] = out["cost_by_model"].get(model, 0.0) + cost
                out["cost"] = (out["cost"] or 0.0) + cost
        if row.get("error") is not None:
            out["errors"] += 1
            if out["error"] is None:
                error = row["error"]
                out["error"] = error if isinstance(error, str) else str(error)
    return out


def _percentile(values: list[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def overview(roots: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A project's traces grouped by UTC day (from :meth:`Store.daily_roots` rows).

    Returns:
        One dict per day with traces: ``day``, ``traces``, ``p50`` and ``p95`` latency
        (seconds), ``tokens``, ``cost`` (estimated dollars), ``error_rate`` (share of traces
        with a failed span) and ``scores`` (name to mean).
    """
    days: dict[str, dict[str, Any]] = {}
    for root in roots:
        day = str(root.get("created") or "")[:10]
        d = days.setdefault(day, {"day": day, "traces": 0, "durations": [], "tokens": 0,
                                  "cost": 0.0, "failed": 0, "score_lists": {}})
        d["traces"] += 1
        if _number(root.get("duration")) is not None:
            d["durations"].append(float(root["duration"]))
        if root.get("errors"):
            d["failed"] += 1
        for model, prompt, completion, tokens in root.get("llm") or []:
            d["tokens"] += int(_number(tokens) or 0)
            d["cost"] += estimated_cost(model, prompt, completion) or 0.0
        for name, value in (root.get("scores") or {}).items():
            if _number(value) is not None:
                d["score_lists"].setdefault(name, []).append(float(value))
    out = []
    for day in sorted(days):
        d = days[day]
        out.append({"day": day, "traces": d["traces"], "p50": _percentile(d["durations"], 0.5),
                    "p95": _percentile(d["durations"], 0.95), "tokens": d["tokens"],
                    "cost": d["cost"], "error_rate": d["failed"] / d["traces"],
                    "scores": {n: sum(v) / len(v) for n, v in d["score_lists"].items()}})
    return out
