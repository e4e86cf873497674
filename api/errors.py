"""Every failure the API returns has the same shape: {"error": {"code", "message", ...details}}.

Domain exceptions (common.errors.DomainError: every domain's errors, access denials, ApiError) are mapped
here once, with their own 4xx status; routes let them propagate."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from common.errors import DomainError

log = logging.getLogger(__name__)


class ApiError(DomainError):
    """An error found by the API layer itself (a missing row, a malformed parameter)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code, status=status)


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        status = exc.status if 400 <= exc.status < 500 else 400  # a domain error is never a server fault
        headers: dict[str, str] | None = getattr(exc, "headers", None)  # e.g. Retry-After on a 429
        return JSONResponse(
            error_body(exc.code, exc.message, **exc.details), status_code=status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]
        return JSONResponse(
            error_body("validation_error", "Dữ liệu gửi lên không hợp lệ.", details=details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled API error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "Lỗi hệ thống."), status_code=500)
