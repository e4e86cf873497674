"""Bounded types for what the API accepts, so no value reaches the database that it cannot store.

Every identifier is a positive int64 (PostgreSQL BIGINT); a larger one answered 500 before."""

from __future__ import annotations

from typing import Annotated

import annotated_types as at

INT64_MAX = 2**63 - 1
MAX_OFFSET = 10_000_000

Id = Annotated[int, at.Ge(1), at.Le(INT64_MAX)]
Offset = Annotated[int, at.Ge(0), at.Le(MAX_OFFSET)]
Count = Annotated[int, at.Ge(0), at.Le(100_000_000)]
