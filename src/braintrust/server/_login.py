"""What a client learns first: the local organisation, its API URL, the payload limit."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._http import base_url

__all__ = ["ORG_ID", "PAYLOAD_LIMIT", "login_routes"]

PAYLOAD_LIMIT = 6 * 1024 * 1024
# The one organisation a local server has.
ORG_ID = "00000000-0000-4000-8000-000000000001"


async def _login(request: Request) -> Response:
    url = base_url(request)
    return JSONResponse({"org_info": [{"id": ORG_ID, "name": "local", "api_url": url,
                                       "proxy_url": url, "realtime_url": None,
                                       "git_metadata": None, "is_universal_api": False}]})


async def _version(request: Request) -> Response:
    return JSONResponse({"version": "braintrust-otel", "logs3_payload_max_bytes": PAYLOAD_LIMIT})


def login_routes() -> list[Route]:
    """``POST /api/apikey/login`` and ``GET /version``."""
    return [
        Route("/api/apikey/login", _login, methods=["POST"]),
        Route("/version", _version, methods=["GET"]),
    ]
