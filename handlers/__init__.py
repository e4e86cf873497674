"""Routers, built fresh for each dispatcher and registered in one place, in this order:
errors first, specific features next, the fallback last."""

from __future__ import annotations

from aiogram import Router


def build_routers() -> list[Router]:
    from handlers import basics, directory, errors, fallback, groups, registration

    return [
        errors.build_router(),
        basics.build_router(),
        groups.build_router(),
        registration.build_router(),
        directory.build_router(),
        fallback.build_router(),  # must stay last: it answers whatever nobody else took
    ]
