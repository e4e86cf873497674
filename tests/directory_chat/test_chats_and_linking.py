from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from directory.access import AccessDenied
from directory.chats import find_chat, list_chats, migrate_group, record_bot_membership, register_private_chat
from directory.linking import LinkError, bind_group, create_link_code
from directory.models import Chat, ChatLinkCode
from storage.db import Database
from tests.directory_chat.factories import make_tree, scope_of


async def _chat_count(s) -> int:  # type: ignore[no-untyped-def]
    return int(await s.scalar(select(func.count()).select_from(Chat)) or 0)


async def test_group_lifecycle_add_promote_remove_readd(db: Database) -> None:
    async with db.transaction() as s:
        chat = await record_bot_membership(
            s, telegram_chat_id=-100, chat_type="group", title="Khối trường học", status="member"
        )
        assert chat is not None and chat.is_active and chat.unit_id is None
        await record_bot_membership(
            s, telegram_chat_id=-100, chat_type="group", title="Khối trường học", status="administrator"
        )
        assert chat.bot_status == "administrator" and chat.is_active
        await record_bot_membership(s, telegram_chat_id=-100, chat_type="group", title="", status="kicked")
        assert not chat.is_active and chat.title == "Khối trường học"
        await record_bot_membership(s, telegram_chat_id=-100, chat_type="group", title="", status="left")
        assert not chat.is_active
        await record_bot_membership(
            s, telegram_chat_id=-100, chat_type="group", title="Khối TH", status="member"
        )
        assert chat.is_active and chat.title == "Khối TH"
        assert await _chat_count(s) == 1


async def test_private_block_and_unblock(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        assert (
            await record_bot_membership(
                s, telegram_chat_id=42, chat_type="private", title="", status="kicked"
            )
            is None
        )
        chat = await register_private_chat(s, person=t.officer_a, telegram_chat_id=5001, title="An")
        await record_bot_membership(s, telegram_chat_id=5001, chat_type="private", title="", status="kicked")
        assert not chat.is_active and chat.blocked_at is not None
        await record_bot_membership(s, telegram_chat_id=5001, chat_type="private", title="", status="member")
        assert chat.is_active and chat.blocked_at is None


async def _bound_group(s, t, chat_id: int = -200) -> Chat:  # type: ignore[no-untyped-def]
    code = await create_link_code(
        s, scope=await scope_of(s, t.officer_a), unit=t.district_a, block="truong_hoc"
    )
    await record_bot_membership(
        s, telegram_chat_id=chat_id, chat_type="group", title="Nhóm TH", status="member"
    )
    bound = await bind_group(
        s,
        scope=await scope_of(s, t.officer_a),
        raw_code=code.code.lower(),
        telegram_chat_id=chat_id,
        title="Nhóm TH",
    )
    return bound.chat


@pytest.mark.parametrize("order", ["migrate_first", "member_update_first"])
async def test_migration_to_supergroup_keeps_one_row_and_binding(db: Database, order: str) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        chat = await _bound_group(s, t)
        if (
            order == "member_update_first"
        ):  # the new supergroup may announce itself before the migrate message
            await record_bot_membership(
                s, telegram_chat_id=-1009, chat_type="supergroup", title="Nhóm TH", status="member"
            )
        moved = await migrate_group(s, old_chat_id=-200, new_chat_id=-1009, title="Nhóm TH")
        # the second service message (migrate_from in the new chat) is harmless
        again = await migrate_group(s, old_chat_id=-200, new_chat_id=-1009)
        assert moved is not None and again is not None and moved.id == again.id == chat.id
        assert moved.telegram_chat_id == -1009 and moved.migrated_from_chat_id == -200
        assert moved.unit_id == t.district_a.id and moved.block == "truong_hoc" and moved.is_active
        assert await _chat_count(s) == 1
        assert (await find_chat(s, telegram_chat_id=-200)) is moved  # late updates for the old id still land
        rows = await list_chats(s, roots=[t.district_a.path], active=True)
        assert [c.telegram_chat_id for c in rows] == [-1009]


async def test_removed_group_leaves_audiences(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        await _bound_group(s, t)
        await record_bot_membership(s, telegram_chat_id=-200, chat_type="group", title="", status="kicked")
        assert await list_chats(s, roots=[t.province.path], active=True) == []
        assert len(await list_chats(s, roots=[t.province.path])) == 1
        assert await list_chats(s, roots=[t.district_b.path]) == []


async def test_link_codes_single_use_expiry_and_officer_only(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        scope_a = await scope_of(s, t.officer_a)
        scope_b = await scope_of(s, t.officer_b)
        with pytest.raises(AccessDenied):
            await create_link_code(s, scope=scope_a, unit=t.district_b, block=None)
        with pytest.raises(LinkError):
            await create_link_code(s, scope=scope_a, unit=t.district_a, block="khong_co")
        code = await create_link_code(s, scope=scope_a, unit=t.district_a, block="xa_phuong")
        assert len(code.code) == 8
        with pytest.raises(LinkError) as err:
            await bind_group(s, scope=None, raw_code=code.code, telegram_chat_id=-1, title="g")
        assert err.value.code == "not_officer"
        with pytest.raises(LinkError) as err:
            await bind_group(s, scope=scope_b, raw_code=code.code, telegram_chat_id=-1, title="g")
        assert err.value.code == "not_officer"
        with pytest.raises(LinkError) as err:
            await bind_group(s, scope=scope_a, raw_code="ZZZZZZZZ", telegram_chat_id=-1, title="g")
        assert err.value.code == "bad_code"
        bound = await bind_group(s, scope=scope_a, raw_code=code.code, telegram_chat_id=-1, title="g")
        assert (
            bound.unit.id == t.district_a.id and bound.block is not None and bound.block.code == "xa_phuong"
        )
        with pytest.raises(LinkError) as err:
            await bind_group(s, scope=scope_a, raw_code=code.code, telegram_chat_id=-2, title="h")
        assert err.value.code == "used_code" and "đã được dùng" in err.value.message
        old = await create_link_code(s, scope=scope_a, unit=t.school_a, block=None, ttl=timedelta(seconds=-1))
        with pytest.raises(LinkError) as err:
            await bind_group(s, scope=scope_a, raw_code=old.code, telegram_chat_id=-3, title="k")
        assert err.value.code == "expired_code"
        link = await s.get(ChatLinkCode, old.code)
        assert link is not None and link.used_at is None


async def test_both_migration_messages_handled_at_once_keep_one_bound_row(db: Database) -> None:
    """Telegram sends migrate_to (old group) and migrate_from (new supergroup) together; the bot
    handles them concurrently, each in its own transaction."""
    async with db.transaction() as s:
        t = await make_tree(s)
    for i in range(8):
        old_id, new_id = -300 - i, -100300 - i
        async with db.transaction() as s:
            await _bound_group(s, t, chat_id=old_id)

        async def handle(old: int, new: int) -> None:
            async with db.transaction() as s:
                await migrate_group(s, old_chat_id=old, new_chat_id=new, title="Nhóm TH")

        await asyncio.gather(handle(old_id, new_id), handle(old_id, new_id))
        async with db.transaction() as s:
            rows = list(await s.scalars(select(Chat).where(Chat.migrated_from_chat_id == old_id)))
            assert [(c.telegram_chat_id, c.unit_id) for c in rows] == [(new_id, t.district_a.id)]


async def test_bot_added_and_lienket_handled_at_once_share_one_row(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        scope = await scope_of(s, t.officer_a)
        codes = [
            (await create_link_code(s, scope=scope, unit=t.district_a, block=None)).code for _ in range(6)
        ]

    async def added(chat_id: int) -> None:
        async with db.transaction() as s:
            await record_bot_membership(
                s, telegram_chat_id=chat_id, chat_type="group", title="g", status="member"
            )

    async def bind(chat_id: int, code: str) -> None:
        async with db.transaction() as s:
            await bind_group(s, scope=scope, raw_code=code, telegram_chat_id=chat_id, title="g")

    for i, code in enumerate(codes):
        await asyncio.gather(added(-500 - i), bind(-500 - i, code))
    async with db.transaction() as s:
        rows = list(await s.scalars(select(Chat).order_by(Chat.telegram_chat_id.desc())))
        assert [(c.telegram_chat_id, c.unit_id, c.is_active) for c in rows] == [
            (-500 - i, t.district_a.id, True) for i in range(6)
        ]
