"""HTTP errors and the checks that turn bad request input into a 4xx with a message."""

from __future__ import annotations

from typing import Any, Optional

from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = ["HTTPError", "base_url", "error", "int_param", "object_body",
           "optional_str", "rejected_text", "required_str", "version_param"]

# SQLite integers are 64-bit; a bigger offset or version would overflow there.
_MAX_INT = (1 << 63) - 1


class HTTPError(Exception):
    """An error answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str, headers: Optional[dict[str, str]] = None
                 ) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def error(status: int, message: str, headers: Optional[dict[str, str]] = None) -> JSONResponse:
    """A JSON error response: ``{"error": message}``."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def object_body(body: Any) -> dict[str, Any]:
    """``body`` when it is a JSON object.

    Raises:
        HTTPError: 400 for arrays, strings, numbers and null.
    """
    if not isinstance(body, dict):
        raise HTTPError(400, f"the body must be a JSON object, not {_json_type(body)}")
    return body


def base_url(request: Request) -> str:
    """The server's URL as this client reaches it, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def rejected_text(rejected: list[tuple[tuple[str, str, dict[str, Any]], Exception]]) -> str:
    """Names the first row the store set aside and why (for an error message)."""
    (_, _, row), exc = rejected[0]
    return f"row {str(row.get('id'))[:100]!r}: {type(exc).__name__}: {str(exc)[:300]}"


def required_str(body: dict[str, Any], field: str) -> str:
    """``body[field]`` when it is a non-empty string, else a 400 naming the field."""
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise HTTPError(400, f"{field} is required and must be a non-empty string")
    return value


def optional_str(body: dict[str, Any], field: str) -> Optional[str]:
    """``body[field]`` when it is a string or absent (None), else a 400 naming the field."""
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise HTTPError(400, f"{field} must be a string, not {_json_type(value)}")
    return value


# The SDKs show a transaction id as 16 hex digits: the id times an odd
# constant modulo 2**64 (so it looks random). Multiplying by the constant's
# inverse undoes it; the service's ids carry 0x0DE1 in their top 16 bits,
# which are dropped so both kinds of id read back as the number stored.
_PRETTY_INVERSE = 1522336535492693385
_LOW_48 = (1 << 48) - 1


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _from_pretty(text: str) -> int:
    return (int(text, 16) * _PRETTY_INVERSE) % (1 << 64) & _LOW_48


def version_param(value: Any, field: str = "version") -> Optional[int]:
    """A version (transaction id): a whole number, a string of digits, or the 16 hex digits
    the SDKs show it as; None if absent.

    Raises:
        HTTPError: 400 for anything else (``"abc"``, ``1.5``, objects, negative numbers).
    """
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) == 16 and _is_hex(value):
        value = _from_pretty(value)
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_INT:
        raise HTTPError(400, f"{field} must be a transaction id (a whole number), "
                        f"not {value!r:.80}")
    return value


def int_param(value: Optional[str], field: str, default: int, maximum: int = _MAX_INT) -> int:
    """A query parameter that must be a whole number from 0 to ``maximum`` (clamped there).

    Raises:
        HTTPError: 400 when it is not a whole number (``abc``, ``1e9``, ``-1``).
    """
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit():
        raise HTTPError(400, f"{field} must be a whole number, not {value!r:.80}")
    # Huge digit strings are clamped without int(): Python refuses over 4,300 digits.
    return maximum if len(value) > 18 else min(int(value), maximum)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string", int: "a number", float: "a number",
            list: "an array", dict: "an object"}.get(type(value), type(value).__name__)
