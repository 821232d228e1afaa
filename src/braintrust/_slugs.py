"""Span export slugs (the format both Braintrust SDKs exchange) and permalinks."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Any, NamedTuple, Optional
from urllib.parse import urlencode

from braintrust_otel.settings import get_settings

__all__ = ["SpanRef", "decode_slug", "encode_slug", "permalink"]

_V3, _V4 = 3, 4
# Object types and their names in links.
EXPERIMENT, PROJECT_LOGS, PLAYGROUND_LOGS = 1, 2, 3
_OBJECT_TYPE_NAMES = {EXPERIMENT: "experiment", PROJECT_LOGS: "project_logs",
                      PLAYGROUND_LOGS: "playground_logs"}
# Field ids of binary entries.
_OBJECT_ID, _ROW_ID, _SPAN_ID, _ROOT_SPAN_ID = 1, 2, 3, 4
_FIELD_NAMES = {_OBJECT_ID: "object_id", _ROW_ID: "row_id", _SPAN_ID: "span_id",
                _ROOT_SPAN_ID: "root_span_id"}


class SpanRef(NamedTuple):
    """What a slug says: the object, and optionally the row and span within it."""

    object_type: int
    object_id: Optional[str] = None
    compute_object_metadata_args: Optional[dict[str, Any]] = None
    row_id: Optional[str] = None
    span_id: Optional[str] = None
    root_span_id: Optional[str] = None
    propagated_event: Optional[dict[str, Any]] = None

    @property
    def parent(self) -> str | None:
        """The ``braintrust.parent`` string of the object, when the slug names one."""
        if self.object_type == EXPERIMENT and self.object_id:
            return f"experiment_id:{self.object_id}"
        if self.object_type == PROJECT_LOGS:
            if self.object_id:
                return f"project_id:{self.object_id}"
            args = self.compute_object_metadata_args or {}
            if args.get("project_id"):
                return f"project_id:{args['project_id']}"
            if args.get("project_name"):
                return f"project_name:{args['project_name']}"
        return None


def _hex_bytes(value: str, length: int) -> bytes | None:
    if len(value) != 2 * length:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def encode_slug(ref: SpanRef) -> str:
    """Encodes a span reference as a version-4 export slug.

    Span and trace ids that are hex of the right length are stored as bytes;
    everything else goes into a compact JSON tail, as the official SDK does.

    Args:
        ref: The reference to encode.

    Returns:
        The base64 slug.
    """
    tail: dict[str, Any] = {}
    if ref.compute_object_metadata_args:
        tail["compute_object_metadata_args"] = ref.compute_object_metadata_args
    if ref.propagated_event:
        tail["propagated_event"] = ref.propagated_event
    entries = b""
    count = 0
    for field, value, size in (
        (_OBJECT_ID, ref.object_id, 0),
        (_ROW_ID, ref.row_id, 0),
        (_SPAN_ID, ref.span_id, 8),
        (_ROOT_SPAN_ID, ref.root_span_id, 16),
    ):
        if not value:
            continue
        raw = _hex_bytes(value, size) if size else None
        if raw is None:
            tail[_FIELD_NAMES[field]] = value
        else:
            entries += bytes([field]) + raw
            count += 1
    data = bytes([_V4, ref.object_type, count]) + entries
    if tail:
        data += json.dumps(tail, separators=(",", ":")).encode()
    return base64.b64encode(data).decode()


def decode_slug(slug: str) -> SpanRef:
    """Decodes an export slug from either SDK (versions 3 and 4).

    Args:
        slug: The base64 string returned by ``span.export()``.

    Returns:
        The :class:`SpanRef` it encodes.

    Raises:
        ValueError: When ``slug`` is not a valid export slug.
    """
    try:
        data = base64.b64decode(slug, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(f"parent: not a span export slug ({exc})") from None
    if len(data) < 3 or data[0] not in (_V3, _V4) or data[1] not in _OBJECT_TYPE_NAMES:
        raise ValueError("parent: not a span export slug (unknown version or object type)")
    version, object_type, count = data[0], data[1], data[2]
    fields: dict[str, Any] = {}
    pos = 3
    for _ in range(count):
        if pos >= len(data):
            raise ValueError("parent: truncated span export slug")
        field = data[pos]
        size = 16 if version == _V3 else {_SPAN_ID: 8, _ROOT_SPAN_ID: 16}.get(field, 16)
        raw = data[pos + 1 : pos + 1 + size]
        if field not in _FIELD_NAMES or len(raw) != size:
            raise ValueError("parent: malformed span export slug")
        fields[_FIELD_NAMES[field]] = str(uuid.UUID(bytes=raw)) if version == _V3 else raw.hex()
        pos += 1 + size
    if pos < len(data):
        try:
            tail = json.loads(data[pos:])
        except ValueError:
            raise ValueError("parent: span export slug has a malformed JSON tail") from None
        if isinstance(tail, dict):
            for key in ("object_id", "row_id", "span_id", "root_span_id",
                        "compute_object_metadata_args", "propagated_event"):
                if key in tail and key not in fields:
                    fields[key] = tail[key]
    return SpanRef(object_type=object_type, **fields)


def app_url() -> str:
    """Where links point: ``BRAINTRUST_APP_URL``, else the local server's address."""
    env = get_settings()
    return (env.app_public_url or env.app_url or "http://127.0.0.1:8000").rstrip("/")


def permalink(slug: str, org_name: str | None = None, app_url_: str | None = None) -> str:
    """Returns a link to the span a slug names.

    Args:
        slug: A span export slug (from ``span.export()``).
        org_name: The organization in the link (``BRAINTRUST_ORG_NAME`` or ``local``).
        app_url_: The app's base URL (see :func:`app_url`).

    Returns:
        ``{app_url}/app/{org}/object?object_type=...&object_id=...&id=...``.
    """
    ref = decode_slug(slug)
    org = org_name or get_settings().org_name or "local"
    object_id = ref.object_id
    if object_id is None:
        args = ref.compute_object_metadata_args or {}
        object_id = args.get("project_id") or args.get("project_name")
    query = {"object_type": _OBJECT_TYPE_NAMES[ref.object_type], "object_id": object_id or ""}
    if ref.row_id:
        query["id"] = ref.row_id
    return f"{app_url_ or app_url()}/app/{org}/object?{urlencode(query)}"
