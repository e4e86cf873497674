"""Gives the demo province a messenger presence: sandbox accounts for its officers and leaders
(registered, with private chats) and one bound sandbox group per upper union and block.

Registration through invitation links is shown person by person in the directory scene; doing it
for all ~500 people would only repeat that scene, so here the records are written directly."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import insert, select, update

from demo.province import DemoProvince
from directory.models import Block, Chat, ChatKind, Person
from sandbox.client import SandboxClient
from storage.db import Database


@dataclass
class DemoWorld:
    telegram_of: dict[int, int] = field(default_factory=dict)  # person id → sandbox user id
    groups: dict[tuple[int, str], int] = field(default_factory=dict)  # (upper union id, block) → chat id


async def populate_world(
    *, sandbox: SandboxClient, db: Database, province: DemoProvince, skip_person_ids: set[int] | None = None
) -> DemoWorld:
    world = DemoWorld()
    skip = skip_person_ids or set()
    people: list[Person] = [p for ps in province.officers.values() for p in ps]
    people += list(province.leaders.values())
    async with db.transaction() as session:
        already = set(await session.scalars(select(Person.id).where(Person.telegram_user_id.is_not(None))))
        block_names = {b.code: b.name for b in await session.scalars(select(Block))}
        bound = set(
            (
                await session.execute(
                    select(Chat.unit_id, Chat.block).where(Chat.kind == ChatKind.group.value, Chat.is_active)
                )
            ).tuples()
        )
        chats: list[dict[str, object]] = []
        for person in people:
            if person.id in skip or person.id in already:
                continue
            user = await sandbox.create_user(first_name=person.full_name)
            world.telegram_of[person.id] = user["id"]
            await session.execute(
                update(Person).where(Person.id == person.id).values(telegram_user_id=user["id"])
            )
            chats.append(
                {
                    "telegram_chat_id": user["id"],
                    "kind": ChatKind.private.value,
                    "title": person.full_name,
                    "person_id": person.id,
                    "is_active": True,
                    "bot_status": "member",
                }
            )
        for upper, block in province.block_groups:
            if (upper.id, block) in bound:
                continue
            officer_ids = [
                world.telegram_of[p.id]
                for p in province.officers.get(upper.id, [])
                if p.id in world.telegram_of
            ]
            title = f"{upper.name} — {block_names.get(block, block)}"
            group = await sandbox.create_group(title=title, member_ids=officer_ids, type="supergroup")
            world.groups[(upper.id, block)] = group["id"]
            chats.append(
                {
                    "telegram_chat_id": group["id"],
                    "kind": ChatKind.group.value,
                    "title": title,
                    "unit_id": upper.id,
                    "block": block,
                    "is_active": True,
                    "bot_status": "member",
                }
            )
        if chats:
            await session.execute(insert(Chat), chats)
    return world
