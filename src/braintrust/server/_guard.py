"""Who may talk to the server: Host names (DNS rebinding), Origins and content types
(cross-site writes), and the security headers every response carries.

Browsers are the threat here. A page on another site can send "simple" POSTs
(``text/plain``, form encodings, or no type) without a CORS preflight, and a
rebound DNS name makes that page same-origin with us; so the Host must be one
of ours, a state-changing request from a browser must come from our own
origin, and its body must be of a type the API speaks. SDKs and OTLP
exporters send no Origin and API content types, so they are unaffected.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from typing import Optional

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "Guard", "host_allowed"]

# The UI is static files from this server and JSON from it: nothing else.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
# Bodies the API reads. text/plain, form encodings and multipart (what a page may send
# cross-site without a preflight) are not among them.
API_TYPES = frozenset({"application/json", "application/x-protobuf", "application/protobuf"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_HEADERS = [(b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin")]


def host_allowed(host: str, public_hosts: Iterable[str] = ()) -> bool:
    """Whether a Host header value names this server.

    Loopback names (``localhost``, ``*.localhost``) and IP literals always do (an IP
    literal cannot be rebound to another machine); any other name only when listed in
    ``public_hosts``.
    """
    if not host:
        return True  # HTTP/1.0 without a Host: not a browser, so not a rebinding
    name = _hostname(host)
    if name is None:
        return False
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name in {h.lower().rstrip(".") for h in public_hosts}


def _hostname(host: str) -> Optional[str]:
    host = host.strip().lower()
    if host.startswith("["):  # [v6]:port
        end = host.find("]")
        rest = host[end + 1:]
        if end < 0 or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        return host[1:end]
    name, _, port = host.partition(":")
    if port and not port.isdigit():
        return None
    name = name.rstrip(".")
    return name if name and all(c.isalnum() or c in "-._" for c in name) else None


class Guard:
    """ASGI middleware: refuses foreign Hosts (400), foreign Origins on state-changing
    requests (403) and request bodies of a type the API does not read (415), and adds
    ``nosniff``, a Referrer-Policy and a strict Content-Security-Policy to every response.

    Args:
        app: The application behind it.
        public_hosts: Names besides loopback names and IP addresses this server answers to.
    """

    def __init__(self, app: ASGIApp, public_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.public_hosts = frozenset(h.lower().rstrip(".") for h in public_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _HEADERS if k not in names]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            status, text = refusal
            await _reply(send_with_headers, status, text)
            return
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope) -> Optional[tuple[int, str]]:
        headers: dict[bytes, bytes] = {}
        for key, value in scope["headers"]:
            headers.setdefault(key.lower(), value)
        host = headers.get(b"host", b"").decode("latin-1")
        if not host_allowed(host, self.public_hosts):
            return 400, (f"Host {host!r:.100} is not a name of this server (a DNS rebinding "
                         "guard); start it with --public-host NAME to serve another name")
        if scope["method"] in SAFE_METHODS:
            return None
        origin = headers.get(b"origin")
        if origin is not None and not _same_origin(origin.decode("latin-1"), host):
            return 403, (f"requests from origin {origin.decode('latin-1')!r:.100} are not "
                         "allowed (cross-site request)")
        ctype = headers.get(b"content-type", b"").decode("latin-1")
        media = ctype.split(";", 1)[0].strip().lower()
        if scope["method"] == "POST" and media and media not in API_TYPES:
            return 415, (f"Content-Type {media!r:.60} is not accepted; send application/json "
                         "(or OTLP's application/x-protobuf)")
        return None


def _same_origin(origin: str, host: str) -> bool:
    # "null" (sandboxed frames, file: pages) is never ours.
    scheme, sep, netloc = origin.strip().lower().partition("://")
    return bool(sep) and scheme in ("http", "https") and netloc == host.strip().lower()


async def _reply(send: Send, status: int, text: str) -> None:
    body = json.dumps({"error": text}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
