"""Domain errors; the chat handlers and the API map them to a reply or an HTTP status in one place."""

from __future__ import annotations

from common.errors import DomainError


class BroadcastError(DomainError):
    status = 409

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class NotFound(BroadcastError):
    status = 404

    def __init__(self, message: str = "Không tìm thấy tin phát.") -> None:
        super().__init__("broadcast_not_found", message)


class InvalidState(BroadcastError):
    status = 409


class Forbidden(BroadcastError):
    status = 403
