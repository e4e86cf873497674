"""Domain exceptions of the directory. Mapped to HTTP statuses in api/errors.py, to chat replies by handlers.

Each carries a machine `code`, a Vietnamese `message` and the HTTP `status` it stands for.
"""

from __future__ import annotations

from typing import Any

from common import errors
from common.errors import DomainError


class DirectoryError(DomainError):
    status = 400
    code = "directory_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message, code=code, details=details)


class NotFound(errors.NotFound, DirectoryError):
    """404; constructed as common.errors.NotFound(message, *, code, details)."""


class Conflict(DirectoryError):
    status = 409
    code = "conflict"


class InvalidInput(DirectoryError):
    status = 422
    code = "invalid_input"


class InvalidMove(DirectoryError):
    status = 409
    code = "invalid_move"


class ImportRejected(DirectoryError):
    """A spreadsheet failed validation; `details["errors"]` lists every bad row."""

    status = 422
    code = "import_invalid"
