"""The access token a non-loopback server requires (header, or a cookie set by /login)."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

from ._http import error

__all__ = ["RequireToken", "default_token", "sign", "signed_url"]

# Upload URLs the server hands out like a storage service's signed URLs: clients
# PUT to them with a plain HTTP client, without the Authorization header.
_SIGNED_PUTS = re.compile(r"^/(?:function/code/upload|upload|attachment/upload)/([\w-]{1,64})$")


def sign(token: str, name: str) -> str:
    """A signature of ``name`` by the server's token, for an upload URL it hands out."""
    return hmac.new(token.encode(), name.encode(), hashlib.sha256).hexdigest()


def signed_url(url: str, token: str | None, name: str) -> str:
    """``url`` (an upload URL for ``name``) with its signature when the server has a token."""
    return url if token is None else f"{url}?sig={sign(token, name)}"


class RequireToken(BaseHTTPMiddleware):
    """Rejects requests without ``Authorization: Bearer <token>`` (or the login cookie)."""

    def __init__(self, app: Any, token: str) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        if request.url.path == "/login":
            # The browser's way in: /login?token=... sets a cookie, then opens the UI.
            if request.query_params.get("token") != self.token:
                return error(401, "a valid access token is required")
            redirect = Response(status_code=303, headers={"Location": "/"})
            redirect.set_cookie("bt_token", self.token, httponly=True, samesite="strict")
            return redirect
        signed = _SIGNED_PUTS.match(request.url.path) if request.method == "PUT" else None
        if not (signed and hmac.compare_digest(request.query_params.get("sig", ""),
                                               sign(self.token, signed.group(1)))):
            bearer = request.headers.get("authorization") == f"Bearer {self.token}"
            if not bearer and request.cookies.get("bt_token") != self.token:
                return error(401, "a valid access token is required")
        response: Response = await call_next(request)
        return response


def default_token() -> str:
    """A fresh random access token."""
    return os.urandom(16).hex()
