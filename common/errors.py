"""The one base of every domain exception: a machine `code`, a Vietnamese `message`, the 4xx HTTP `status`
it stands for and optional `details`. The API maps it once (api/errors.py); chat handlers reply with
`message`. Each domain keeps its own subclasses and constructors."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "domain_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details: dict[str, Any] = dict(details or {})


class NotFound(DomainError):
    """What the caller named does not exist: 404 in every domain. Each domain's `NotFound` subclasses this
    and its own error base, so `except ReportError` still catches it; all share this constructor."""

    status = 404
    code = "not_found"
    default_message = "Không tìm thấy."

    def __init__(
        self, message: str | None = None, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        # not super(): in a domain subclass the next class in line is that domain's base, whose
        # constructor may take other arguments
        DomainError.__init__(self, message or self.default_message, code=code, details=details)
