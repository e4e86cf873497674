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
