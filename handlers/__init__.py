"""Routers, built fresh for each dispatcher and registered in one place, in this order:
errors first, specific features next, the fallback last."""

from __future__ import annotations

from aiogram import Router


def build_routers() -> list[Router]:
    import handlers.archive
    import handlers.broadcast_ack
    import handlers.broadcast_compose
    import handlers.news
    import handlers.petitions
    import handlers.report_officer
    import handlers.report_reply
    from handlers import basics, directory, errors, fallback, groups, registration

    return [
        errors.build_router(),
        basics.build_router(),
        groups.build_router(),
        registration.build_router(),
        directory.build_router(),
        handlers.broadcast_ack.build_router(),  # broadcasts: before report_reply (it takes any reply)
        handlers.broadcast_compose.build_router(),
        handlers.archive.build_router(),  # archive, news, petitions: before report_reply (it takes any reply)
        handlers.news.build_router(),
        handlers.petitions.build_router(),
        handlers.report_reply.build_router(),
        handlers.report_officer.build_router(),
        fallback.build_router(),  # must stay last: it answers whatever nobody else took
    ]
