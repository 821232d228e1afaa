"""Reading request bodies within a bound, before and after decompression."""

from __future__ import annotations

import zlib
from typing import Any

from starlette.requests import Request

from braintrust_otel.serialize import decode

from ._http import HTTPError, object_body

__all__ = ["MAX_BODY", "json_body", "read_body"]

MAX_BODY = 64 * 1024 * 1024
# Output is produced in steps of this size, so a small compressed body that
# expands without end (a "zip bomb") is stopped at the limit, not in memory.
_STEP = 1024 * 1024
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request's body, decoded per ``Content-Encoding`` (gzip, deflate or none).

    Raises:
        HTTPError: 413 when the body, as sent or decompressed, is over ``limit`` bytes; 400
            when it is not valid for its encoding; 415 for an encoding we do not speak.
    """
    declared = request.headers.get("content-length", "").strip()
    if declared and not declared.isdigit():
        raise HTTPError(400, "Content-Length must be a whole number")
    if declared and (len(declared) > 18 or int(declared) > limit):
        raise HTTPError(413, f"request body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPError(413, f"request body over {limit} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in _WBITS:
        raise HTTPError(415, f"Content-Encoding {encoding!r:.40} is not supported (use gzip, "
                        "deflate or none)")
    try:
        return inflate(raw, _WBITS[encoding], limit)
    except zlib.error:
        raise HTTPError(400, f"body is not valid {encoding}") from None


def inflate(raw: bytes, wbits: int, limit: int) -> bytes:
    """Decompresses ``raw`` (every concatenated member) without producing over ``limit`` bytes.

    Raises:
        HTTPError: 413 past ``limit``.
        zlib.error: When ``raw`` is not valid for ``wbits``, or ends early.
    """
    out: list[bytes] = []
    size, data = 0, raw
    while data:
        inflater = zlib.decompressobj(wbits)
        while True:
            piece = inflater.decompress(data, _STEP)
            size += len(piece)
            if size > limit:
                raise HTTPError(413, f"request body over {limit} bytes once decompressed")
            out.append(piece)
            data = inflater.unconsumed_tail
            if inflater.eof or (not data and not piece):
                break
        if not inflater.eof:
            raise zlib.error("the compressed body ends early")
        data = inflater.unused_data  # a further gzip member, if any
    return b"".join(out)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object (``{}`` when empty), read as :func:`read_body` does.

    Raises:
        HTTPError: 400 when it is not JSON or not an object (and as :func:`read_body`).
    """
    raw = await read_body(request)
    try:
        body = decode(raw) if raw else {}
    except ValueError:
        raise HTTPError(400, "body is not valid JSON") from None
    return object_body(body)
