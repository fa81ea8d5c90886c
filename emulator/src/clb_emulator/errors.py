"""The one exception type the backend raises, rendered by the wire layer in the official shape."""
from __future__ import annotations

from .error_codes import ERROR_CODES


class ApiError(Exception):
    """An SLB API error: `code` as the real service spells it, its HTTP status and message."""

    def __init__(self, code: str, message: str | None = None, status: int | None = None,
                 headers: dict | None = None):
        default_status, default_message = ERROR_CODES.get(code, (400, "The request is invalid."))
        self.code = code
        self.message = message or default_message
        self.status = status or default_status
        self.headers = dict(headers or {})
        super().__init__(f"{code}: {self.message}")


def missing(name: str) -> ApiError:
    return ApiError("MissingParameter",
                    f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def invalid(message: str) -> ApiError:
    return ApiError("InvalidParameter", message)
