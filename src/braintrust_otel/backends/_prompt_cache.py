"""The disk copy of loaded prompts and functions: it answers a load when the service does not.

Each one the service returns is kept as a JSON file under ``BRAINTRUST_PROMPT_CACHE_DIR``
(``~/.braintrust/prompt_cache`` by default), keyed by where it came from.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from .. import diagnostics
from ..api import ServiceUnreachableError
from ..api_errors import BraintrustAPIError, BraintrustTransportError
from ..settings import get_settings


def _keep(path: Path, data: dict[str, Any]) -> None:
    # Written whole then renamed: a reader never sees half a file.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
    except OSError as exc:
        diagnostics.report("prompt_cache", "could not cache a loaded prompt", exc)


def _prompt_cache_dir() -> Path:
    explicit = get_settings().prompt_cache_dir
    return explicit if explicit is not None else Path.home() / ".braintrust" / "prompt_cache"


def _cache_key(*parts: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "__".join(str(p) for p in parts)) + ".json"


def _cached(exc: Exception, cached: Path, kind: str, url: str) -> dict[str, Any]:
    # The copy on disk answers only when the service did not: no answer, or a
    # transient status. A refusal (401, 403, 404...) is raised as it came.
    unanswered = isinstance(exc, (BraintrustTransportError, ServiceUnreachableError))
    if not (unanswered or getattr(exc, "retryable", False)):
        raise exc
    if cached.exists():
        diagnostics.report("prompt_cache", f"service unreachable; using the cached {kind} "
                           f"{cached.name}", exc)
        return dict(json.loads(cached.read_text()))
    if isinstance(exc, BraintrustAPIError):
        exc.args = (f"{exc} (and it is not cached)",)
        raise exc
    raise BraintrustTransportError(
        method="GET", url=url, attempts=1, retryable=True,
        detail=f"{type(exc).__name__}: {exc}; and it is not cached") from None
