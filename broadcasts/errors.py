"""Domain errors; the chat handlers and the API map them to a reply or an HTTP status in one place."""

from __future__ import annotations

from common import errors
from common.errors import DomainError


class BroadcastError(DomainError):
    status = 409

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class NotFound(errors.NotFound, BroadcastError):
    """404; constructed as common.errors.NotFound(message, *, code, details)."""

    code = "broadcast_not_found"
    default_message = "Không tìm thấy tin phát."


class InvalidState(BroadcastError):
    status = 409


class Forbidden(BroadcastError):
    status = 403
