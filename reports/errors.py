"""Domain exceptions of the reports package, mapped to chat replies and HTTP statuses in one place each."""

from __future__ import annotations

from common import errors
from common.errors import DomainError
from reports.validation import Issue


class ReportError(DomainError):
    status = 400
    code = "report_error"


class NotFound(errors.NotFound, ReportError):
    """404; constructed as common.errors.NotFound(message, *, code, details)."""


class RoundClosed(ReportError):
    status = 409
    code = "round_closed"


class NotTargeted(ReportError):
    status = 409
    code = "not_targeted"


class Conflict(ReportError):
    status = 409
    code = "conflict"


class InvalidReply(ReportError):
    """The reply has invalid values; nothing was stored."""

    status = 422
    code = "invalid_values"

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("Có giá trị chưa hợp lệ: " + "\n".join(f"• {i.message}" for i in issues))
        self.issues = issues
