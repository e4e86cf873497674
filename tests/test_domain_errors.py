"""Every domain error is a common.errors.DomainError, and the API maps it once: its code, message, details
and 4xx status — never a 500."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

import archive.documents
import archive.news
import archive.petitions
import broadcasts.audience
import broadcasts.content
import broadcasts.errors
import broadcasts.recurrence
import directory.auth
import directory.errors
import directory.invitations
import directory.linking
import reports.errors
import reports.figures
import reports.forms
from api.errors import ApiError, install_error_handlers
from common.errors import DomainError
from directory.access import AccessDenied
from reports.validation import Issue

DOMAIN_BASES: list[type[Exception]] = [
    archive.documents.ArchiveError,
    archive.news.SubscriptionError,
    archive.petitions.PetitionError,
    broadcasts.audience.AudienceError,
    broadcasts.content.ContentError,
    broadcasts.errors.BroadcastError,
    broadcasts.recurrence.RuleError,
    directory.auth.AuthError,
    directory.errors.DirectoryError,
    directory.invitations.InvitationError,
    directory.linking.LinkError,
    reports.errors.ReportError,
    reports.forms.TemplateDefinitionError,
    reports.figures.FigureError,
    AccessDenied,
    ApiError,
]


def _subclasses(cls: type[DomainError]) -> set[type[DomainError]]:
    found: set[type[DomainError]] = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_domain_error_shares_the_base_and_a_4xx_status() -> None:
    assert all(issubclass(cls, DomainError) for cls in DOMAIN_BASES)
    bad = {c.__qualname__: c.status for c in _subclasses(DomainError) if not 400 <= c.status < 500}
    assert bad == {}


def _app(error: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


async def _get(error: Exception) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app(error))
    async with httpx.AsyncClient(transport=transport, base_url="http://loa.test") as http:
        return await http.get("/boom")


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (AccessDenied(), 403, {"code": "forbidden", "message": "Không có quyền với đơn vị này."}),
        (
            directory.errors.ImportRejected("Tệp có lỗi.", errors=["Dòng 3: thiếu mã"]),
            422,
            {"code": "import_invalid", "message": "Tệp có lỗi.", "errors": ["Dòng 3: thiếu mã"]},
        ),
        (
            archive.petitions.PetitionError("not_open", "Kiến nghị đã đóng.", 409),
            409,
            {"code": "not_open", "message": "Kiến nghị đã đóng."},
        ),
        (
            archive.documents.ArchiveError("unknown_unit", "Không tìm thấy đơn vị."),
            404,
            {"code": "unknown_unit", "message": "Không tìm thấy đơn vị."},
        ),
        (
            reports.errors.InvalidReply([Issue("kn", "Số kết nạp vượt tổng số.")]),
            422,
            {"code": "invalid_values", "message": "Có giá trị chưa hợp lệ: • Số kết nạp vượt tổng số."},
        ),
        (
            directory.auth.AuthError("bad_token", "Mã truy cập không hợp lệ."),
            401,
            {"code": "bad_token", "message": "Mã truy cập không hợp lệ."},
        ),
        (ApiError(404, "not_found", "Không có."), 404, {"code": "not_found", "message": "Không có."}),
        (DomainError("Lỗi lạ.", status=500), 400, {"code": "domain_error", "message": "Lỗi lạ."}),
    ],
)
async def test_api_maps_domain_errors_in_one_place(
    error: Exception, status: int, body: dict[str, object]
) -> None:
    response = await _get(error)
    assert response.status_code == status
    assert response.json() == {"error": body}
