"""Bounded types for what the API accepts, so no value reaches the database that it cannot store.

Every identifier is a positive int64 (PostgreSQL BIGINT); a larger one answered 500 before."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import annotated_types as at
from pydantic import AfterValidator, AwareDatetime

INT64_MAX = 2**63 - 1
MAX_OFFSET = 10_000_000

Id = Annotated[int, at.Ge(1), at.Le(INT64_MAX)]
Offset = Annotated[int, at.Ge(0), at.Le(MAX_OFFSET)]
Count = Annotated[int, at.Ge(0), at.Le(100_000_000)]

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _sane_year(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"năm phải từ {FIRST_YEAR} đến {LAST_YEAR}")
    return value


# Dates and times Loa can schedule, store and show: year 9999 was accepted, and overflowed on arithmetic.
SaneDate = Annotated[date, AfterValidator(_sane_year)]
SaneDateTime = Annotated[datetime, AfterValidator(_sane_year)]
SaneAwareDateTime = Annotated[AwareDatetime, AfterValidator(_sane_year)]
