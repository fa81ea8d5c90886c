"""The one exception type the backend raises, rendered by the wire layer in the official shape."""
from __future__ import annotations

from .error_codes import ERROR_CODES


def default_status(code: str) -> int:
    """The HTTP status of a code in no table (for example an injected fault): 404 for a missing resource."""
    if code.startswith("ResourceNotFound.") or code.endswith(".NotFound"):
        return 404
    return 400


class ApiError(Exception):
    """An SLB API error: `code` as the real service spells it, its HTTP status and message."""

    def __init__(self, code: str, message: str | None = None, status: int | None = None,
                 headers: dict | None = None):
        default_status_code, default_message = ERROR_CODES.get(code, (default_status(code), "The request is invalid."))
        self.code = code
        self.message = message or default_message
        self.status = status or default_status_code
        self.headers = dict(headers or {})
        super().__init__(f"{code}: {self.message}")


def missing(name: str) -> ApiError:
    return ApiError("MissingParameter",
                    f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def invalid(message: str) -> ApiError:
    return ApiError("InvalidParameter", message)
