"""Bytes that travel through the service's signed URLs: ``/logs3`` overflow
bodies and attachments.

The service hands out a signed URL (S3, GCS or Azure) that carries its own
authorization, so these requests go through a plain ``requests`` session,
never with the bearer token of the API connection.
"""

from __future__ import annotations

from typing import Any

import requests

from ..api import ApiConnection
from ..merge import OBJECT_ID_KEYS

__all__ = ["post_overflow", "read_attachment", "upload_attachment"]

Row = dict[str, Any]


def _blob_headers(url: str, headers: dict[str, Any]) -> dict[str, Any]:
    if ".blob.core.windows.net" in url:
        headers.setdefault("x-ms-blob-type", "BlockBlob")
    return headers


def post_overflow(conn: ApiConnection, body: bytes, sizes: list[int], rows: list[Row],
                  api_version: int) -> requests.Response:
    """Sends a ``/logs3`` body too large for one request through an upload.

    Asks ``/logs3/overflow`` for a signed URL (with each row's ids and size),
    uploads the body there, then posts a ``logs3_overflow`` reference to
    ``/logs3``.

    Args:
        conn: The API connection.
        body: The whole ``/logs3`` request body.
        sizes: Each row's size in the body, in UTF-8 bytes.
        rows: The rows (for their object ids).
        api_version: The ``api_version`` of the final ``/logs3`` request.

    Returns:
        The last answer: the final ``/logs3`` one, or the first that failed.

    Raises:
        RuntimeError: When the service's upload answer is not understood.
        requests.RequestException: When a request cannot be made.
    """
    meta = [
        {
            "object_ids": {k: row[k] for k in OBJECT_ID_KEYS if k in row},
            "has_comment": "comment" in row,
            "is_delete": row.get("_object_delete") is True,
            "input_row": {"byte_size": size},
        }
        for row, size in zip(rows, sizes)
    ]
    resp = conn.request("POST", "/logs3/overflow", json={
        "content_type": "application/json", "size_bytes": len(body), "rows": meta})
    if not resp.ok:
        return resp
    upload = resp.json()
    method, url, key = upload.get("method"), upload.get("signedUrl"), upload.get("key")
    if method not in ("PUT", "POST") or not isinstance(url, str) or not isinstance(key, str):
        raise RuntimeError(f"unexpected overflow upload answer: {upload!r}")
    plain = requests.Session()
    try:
        if method == "PUT":
            headers = _blob_headers(url, dict(upload.get("headers") or {}))
            done = plain.put(url, data=body, headers=headers, timeout=conn.timeout)
        else:
            fields = dict(upload.get("fields") or {})
            ctype = fields.get("Content-Type", "application/json")
            done = plain.post(url, data=fields, timeout=conn.timeout,
                              files={"file": ("logs3.json", body, ctype)})
    finally:
        plain.close()
    if not done.ok:
        return done
    return conn.request("POST", "/logs3", json={
        "rows": {"type": "logs3_overflow", "key": key, "size_bytes": len(body)},
        "api_version": api_version})


def upload_attachment(conn: ApiConnection, reference: dict[str, Any], data: bytes) -> None:
    """Uploads an attachment's bytes to the signed URL the service gives, then
    reports the upload's status to the service.

    Args:
        conn: The API connection.
        reference: The attachment reference (``key``, ``filename``, ``content_type``).
        data: The bytes.

    Raises:
        RuntimeError: When the upload failed (its status is reported first).
        requests.RequestException: When the service cannot be asked.
    """
    org_id = conn.login().get("id")
    key = reference["key"]
    resp = conn.request("POST", "/attachment", json={
        "key": key, "filename": reference.get("filename"),
        "content_type": reference.get("content_type"), "org_id": org_id})
    resp.raise_for_status()
    answer = resp.json()
    url = answer["signedUrl"]
    headers = _blob_headers(url, dict(answer.get("headers") or {}))
    status: dict[str, Any] = {"upload_status": "done"}
    plain = requests.Session()
    try:
        put = plain.put(url, data=data, headers=headers, timeout=conn.timeout)
        if not put.ok:
            status = {"upload_status": "error",
                      "error_message": f"HTTP {put.status_code}: {put.text[:300]}"}
    except requests.RequestException as exc:
        status = {"upload_status": "error", "error_message": str(exc)}
    finally:
        plain.close()
    conn.request("POST", "/attachment/status",
                 json={"key": key, "org_id": org_id, "status": status})
    if status["upload_status"] != "done":
        raise RuntimeError(status.get("error_message", "upload failed"))


def read_attachment(conn: ApiConnection, reference: dict[str, Any]) -> bytes:
    """Downloads an attachment's bytes through the URL the service gives.

    Args:
        conn: The API connection.
        reference: The attachment reference (``key``, ``filename``, ``content_type``).

    Returns:
        The bytes.

    Raises:
        requests.RequestException: When the service or the download fails.
    """
    resp = conn.request("GET", "/attachment", params={
        "key": reference["key"], "filename": reference.get("filename"),
        "content_type": reference.get("content_type"),
        "org_id": conn.login().get("id")})
    resp.raise_for_status()
    plain = requests.Session()
    try:
        got = plain.get(resp.json()["downloadUrl"], timeout=conn.timeout)
        got.raise_for_status()
        return got.content
    finally:
        plain.close()
