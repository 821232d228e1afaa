"""Errors of the Braintrust REST calls, under the official SDK's names and hierarchy.

``BraintrustAPIError`` is the base; ``BraintrustHTTPError`` is an answer with a
failing status, ``BraintrustJSONDecodeError`` a successful answer that is not
JSON, ``BraintrustTransportError`` a request that got no answer at all.

The REST backend raises them where the official SDK does (loading prompts and
parameters, invoking functions). Before they existed those calls raised
``ValueError`` or ``RuntimeError``; each class here is also both, so code that
catches either keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Optional

__all__ = [
    "RETRYABLE_STATUSES",
    "BraintrustAPIError",
    "BraintrustHTTPError",
    "BraintrustJSONDecodeError",
    "BraintrustTransportError",
    "http_error",
    "json_answer",
    "transport_error",
]

#: Statuses worth trying again later (and worth answering from a cached copy).
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# Only these response headers are kept on an error: the rest may carry cookies
# or other values that do not belong in a log line or a traceback.
_KEPT_HEADERS = frozenset({"content-type", "retry-after", "x-bt-internal-trace-id",
                           "x-vercel-id", "request-id", "x-request-id"})
_REQUEST_ID_HEADERS = ("x-bt-internal-trace-id", "x-vercel-id", "x-request-id", "request-id")


def _kept(headers: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType({name.lower(): value for name, value in headers.items()
                             if name.lower() in _KEPT_HEADERS})


def _with_detail(message: str, detail: Optional[str]) -> str:
    return f"{message} ({detail})" if detail else message


class BraintrustAPIError(Exception):
    """The base of every error a Braintrust REST call raises."""


class BraintrustHTTPError(BraintrustAPIError, ValueError, RuntimeError):
    """The service answered with a failing HTTP status.

    Args:
        method: The request's method.
        url: The request's URL.
        status_code: The answer's status.
        response_body: The answer's text.
        response_headers: The answer's headers (only a few harmless ones are kept).
        attempts: How many times the request was sent.
        retryable: Whether sending it again later may succeed.
        retry_after: Seconds the service asked to wait, when it said.
        detail: What the caller was doing, added to the message.
    """

    def __init__(self, *, method: str, url: str, status_code: int, response_body: str,
                 response_headers: Mapping[str, str], attempts: int, retryable: bool,
                 retry_after: Optional[float] = None, detail: Optional[str] = None) -> None:
        headers = _kept(response_headers)
        self.method = method
        self.url = url
        self.status_code = status_code
        self.response_body = response_body
        self.response_headers = headers
        self.request_id_header = next((h for h in _REQUEST_ID_HEADERS if headers.get(h)), None)
        self.request_id = headers.get(self.request_id_header) if self.request_id_header \
            else None
        self.attempts = attempts
        self.retryable = retryable
        self.retry_after = retry_after
        self.retry_after_header = headers.get("retry-after")
        message = f"{method} {url} failed with HTTP {status_code} after {attempts} attempt(s)"
        if self.request_id:
            message += f" (request ID: {self.request_id})"
        if response_body:
            message += f": {response_body}"
        super().__init__(_with_detail(message, detail))


class BraintrustTransportError(BraintrustAPIError, ValueError, RuntimeError):
    """The request got no HTTP answer (no connection, a timeout, a broken stream).

    Args:
        method: The request's method.
        url: The request's URL.
        attempts: How many times the request was sent.
        retryable: Whether sending it again later may succeed.
        detail: What went wrong, added to the message.
    """

    def __init__(self, *, method: str, url: str, attempts: int, retryable: bool,
                 detail: Optional[str] = None) -> None:
        self.method = method
        self.url = url
        self.attempts = attempts
        self.retryable = retryable
        super().__init__(_with_detail(
            f"{method} {url} failed after {attempts} attempt(s) without an HTTP response",
            detail))


class BraintrustJSONDecodeError(BraintrustAPIError, ValueError, RuntimeError):
    """The service answered with a successful status, but not with JSON.

    Args:
        method, url, status_code, response_body, response_headers, attempts:
            As for :class:`BraintrustHTTPError`.
        message: The message; by default it names the request.
    """

    def __init__(self, *, method: str, url: str, status_code: int, response_body: str,
                 response_headers: Mapping[str, str], attempts: int,
                 message: Optional[str] = None) -> None:
        self.method = method
        self.url = url
        self.status_code = status_code
        self.response_body = response_body
        self.response_headers = _kept(response_headers)
        self.attempts = attempts
        super().__init__(message or f"Could not decode the response from {method} {url} "
                                    "as JSON")


def http_error(resp: Any, detail: Optional[str] = None) -> BraintrustHTTPError:
    """The error for a failing ``requests`` response (sent once).

    Args:
        resp: The ``requests.Response``.
        detail: What the caller was doing.
    """
    retry_after: Optional[float]
    try:
        retry_after = float(resp.headers.get("retry-after", ""))
    except ValueError:
        retry_after = None
    return BraintrustHTTPError(
        method=str(resp.request.method if resp.request is not None else "GET"),
        url=str(resp.url), status_code=int(resp.status_code), response_body=resp.text,
        response_headers=dict(resp.headers), attempts=1,
        retryable=resp.status_code in RETRYABLE_STATUSES, retry_after=retry_after,
        detail=detail)


def with_detail(err: BraintrustHTTPError, detail: str) -> BraintrustHTTPError:
    """The same failure with ``detail`` (what the caller was looking for) in its message."""
    return BraintrustHTTPError(
        method=err.method, url=err.url, status_code=err.status_code,
        response_body=err.response_body, response_headers=err.response_headers,
        attempts=err.attempts, retryable=err.retryable, retry_after=err.retry_after,
        detail=detail)


def transport_error(method: str, url: str, exc: BaseException) -> BraintrustTransportError:
    """The error for a request that raised ``exc`` before any answer came (sent once)."""
    return BraintrustTransportError(method=method, url=url, attempts=1, retryable=True,
                                    detail=f"{type(exc).__name__}: {exc}")


def json_answer(resp: Any) -> Any:
    """The JSON of a successful response.

    Raises:
        BraintrustJSONDecodeError: When the body is not JSON.
    """
    try:
        return resp.json()
    except ValueError:
        raise BraintrustJSONDecodeError(
            method=str(resp.request.method if resp.request is not None else "GET"),
            url=str(resp.url), status_code=int(resp.status_code), response_body=resp.text,
            response_headers=dict(resp.headers), attempts=1) from None
