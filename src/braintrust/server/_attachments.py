"""Attachments: announcing a key, uploading its bytes, reading them back."""

from __future__ import annotations

from typing import Optional
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from ._auth import signed_url
from ._body import json_body, read_body
from ._http import HTTPError, base_url, error, optional_str

__all__ = ["attachment_routes"]

_MAX_PENDING = 10_000


def _safe_key(key: str) -> bool:
    # Keys name files: nothing but letters, digits and dashes (no traversal).
    return bool(key) and len(key) <= 64 and all(c.isalnum() or c == "-" for c in key)


def attachment_routes(store: Store, token: Optional[str]) -> list[Route]:
    """The attachment endpoints over ``store``; upload URLs are signed with ``token``."""
    pending: dict[str, tuple[Optional[str], Optional[str]]] = {}

    async def attachment(request: Request) -> Response:
        if request.method == "GET":
            key = request.query_params.get("key", "")
            if not key or not store.has_attachment(key):
                return error(404, "no such attachment")
            return JSONResponse({"downloadUrl": f"{base_url(request)}/attachment/data/{key}",
                                 "status": {"upload_status": "done"}})
        body = await json_body(request)
        new_key = body.get("key")
        if not isinstance(new_key, str) or not _safe_key(new_key):
            raise HTTPError(400, "key must be a string of letters, digits and dashes")
        pending[new_key] = (optional_str(body, "filename"), optional_str(body, "content_type"))
        while len(pending) > _MAX_PENDING:  # announced, never uploaded: forget the oldest
            del pending[next(iter(pending))]
        url = signed_url(f"{base_url(request)}/attachment/upload/{new_key}", token, new_key)
        return JSONResponse({"signedUrl": url, "headers": {}})

    async def attachment_upload(request: Request) -> Response:
        key = request.path_params["key"]
        if not _safe_key(key) or key not in pending:
            raise HTTPError(400, "unknown attachment key")
        filename, content_type = pending.pop(key)
        store.put_attachment(key, await read_body(request), filename, content_type)
        return Response(status_code=200)

    async def attachment_data(request: Request) -> Response:
        key = request.path_params["key"]
        if not _safe_key(key) or not store.has_attachment(key):
            return error(404, "no such attachment")
        # Never rendered as a page of ours: a download, sandboxed, its type not sniffed.
        filename = store.attachment_info(key).get("filename") or key
        return Response(store.get_attachment(key), media_type="application/octet-stream",
                        headers={"Content-Disposition": "attachment; filename*=UTF-8''"
                                 + quote(filename, safe=""),
                                 "Content-Security-Policy": "default-src 'none'; sandbox"})

    async def attachment_status(request: Request) -> Response:
        await json_body(request)
        return JSONResponse({})

    return [Route("/attachment", attachment, methods=["GET", "POST"]),
            Route("/attachment/status", attachment_status, methods=["POST"]),
            Route("/attachment/upload/{key}", attachment_upload, methods=["PUT"]),
            Route("/attachment/data/{key}", attachment_data, methods=["GET"])]
