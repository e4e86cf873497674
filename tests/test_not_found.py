"""One NotFound: every domain's is a common.errors.NotFound (404) and still its own domain's error."""

from __future__ import annotations

import inspect

import pytest

import broadcasts.errors
import directory.errors
import reports.errors
from common.errors import NotFound

DOMAIN_NOT_FOUND = [
    (directory.errors.NotFound, directory.errors.DirectoryError, "not_found"),
    (reports.errors.NotFound, reports.errors.ReportError, "not_found"),
    (broadcasts.errors.NotFound, broadcasts.errors.BroadcastError, "broadcast_not_found"),
]


@pytest.mark.parametrize(("cls", "base", "code"), DOMAIN_NOT_FOUND)
def test_domain_not_found_is_the_common_one(cls: type[NotFound], base: type[Exception], code: str) -> None:
    assert issubclass(cls, NotFound) and issubclass(cls, base)
    assert inspect.signature(cls) == inspect.signature(NotFound)
    exc = cls("Không tìm thấy đơn vị.", code="unit_not_found", details={"id": 7})
    assert (exc.status, exc.code, exc.message, exc.details) == (
        404,
        "unit_not_found",
        "Không tìm thấy đơn vị.",
        {"id": 7},
    )
    default = cls()
    assert (default.status, default.code) == (404, code) and default.message.startswith("Không tìm thấy")


def test_broadcasts_keep_their_own_default_message() -> None:
    assert broadcasts.errors.NotFound().message == "Không tìm thấy tin phát."
