"""The tree: deep paths, subtree queries, move with subtree, merge with history, deactivate."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from directory import people, tree
from directory.errors import Conflict, InvalidMove, NotFound
from directory.models import AuditEntry, Chat, OrgUnit, Role, RoleAssignment
from storage.db import Database
from tests.directory.conftest import ACTOR, make_person, make_unit


async def test_deep_tree_paths_and_subtree(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "TLD", kind="confederation")
        chain = [root]
        for level in range(1, 13):
            chain.append(await make_unit(s, f"L{level}", chain[-1]))
        side = await make_unit(s, "SIDE", root)
        deepest = chain[-1]
        assert deepest.depth == 12
        assert tree.path_ids(deepest.path) == [u.id for u in chain]
        below_l6 = await tree.subtree(s, unit=chain[6])
        assert [u.code for u in below_l6] == [f"L{i}" for i in range(6, 13)]
        assert [u.code for u in await tree.ancestors(s, unit=deepest)] == ["TLD"] + [
            f"L{i}" for i in range(1, 12)
        ]
        assert {u.code for u in await tree.children(s, unit=root)} == {"L1", "SIDE"}
        assert len(await tree.subtree(s, unit=root)) == 14
        assert len(await tree.subtree(s, unit=chain[6], max_depth=2)) == 3
        assert side.path == f"/{root.id}/{side.id}/"


async def test_subtree_prefix_does_not_match_sibling_with_longer_id(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        units = [await make_unit(s, f"U{i}", root) for i in range(12)]
        # ids 2 and 12 share the digit prefix "1"; the trailing slash keeps them apart
        one = next(u for u in units if str(u.id) == "2")
        assert [u.code for u in await tree.subtree(s, unit=one)] == [one.code]


async def test_second_root_and_duplicate_code_refused(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        with pytest.raises(Conflict):
            await make_unit(s, "R", root)
        with pytest.raises(Exception, match="gốc"):
            await make_unit(s, "R2", None)


async def test_move_rewrites_whole_subtree(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        a = await make_unit(s, "A", root, kind="province_federation")
        b = await make_unit(s, "B", root, kind="province_federation")
        d = await make_unit(s, "D", a, kind="district_federation")
        g = await make_unit(s, "G", d)
        grp = await make_unit(s, "GRP", g, kind="union_group")
        await tree.move_unit(s, actor=ACTOR, unit=d, new_parent=b)
    async with db.transaction() as s:
        d2, g2, grp2 = [await tree.find_by_code(s, code=c) for c in ("D", "G", "GRP")]
        assert d2 is not None and g2 is not None and grp2 is not None
        assert d2.parent_id == b.id and d2.path == f"/{root.id}/{b.id}/{d.id}/" and d2.depth == 2
        assert g2.path == f"/{root.id}/{b.id}/{d.id}/{g.id}/" and g2.depth == 3
        assert grp2.path.endswith(f"/{g.id}/{grp.id}/") and grp2.depth == 4
        assert [u.code for u in await tree.subtree(s, unit=a)] == ["A"]
        assert {u.code for u in await tree.subtree(s, unit=b)} == {"B", "D", "G", "GRP"}
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "unit.move"))
        assert entry is not None and entry.before and entry.after
        assert entry.before["parent_id"] == a.id and entry.after["parent_id"] == b.id


async def test_move_into_own_subtree_refused(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        a = await make_unit(s, "A", root)
        b = await make_unit(s, "B", a)
        with pytest.raises(InvalidMove):
            await tree.move_unit(s, actor=ACTOR, unit=a, new_parent=b)
        with pytest.raises(InvalidMove):
            await tree.move_unit(s, actor=ACTOR, unit=a, new_parent=a)


async def test_merge_moves_children_roles_chats_and_keeps_history(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        old = await make_unit(s, "HUYEN-CU", root, kind="district_federation", member_count=120)
        new = await make_unit(s, "CUM-XA", root, kind="district_federation", member_count=80)
        child = await make_unit(s, "CDCS-1", old)
        grandchild = await make_unit(s, "TO-1", child, kind="union_group")
        officer = await make_person(s, "Nguyễn Văn An", unit=old, role=Role.officer)
        both = await make_person(s, "Trần Thị Bình", unit=old, role=Role.officer)
        await people.assign_role(s, actor=ACTOR, person=both, unit=new, role=Role.officer)
        s.add(Chat(telegram_chat_id=-100123, kind="group", title="Khối xã", unit_id=old.id))
        await tree.merge_units(s, actor=ACTOR, source=old, survivor=new)
    async with db.transaction() as s:
        old2 = await tree.get_unit(s, unit_id=old.id)
        new2 = await tree.get_unit(s, unit_id=new.id)
        assert not old2.is_active and old2.merged_into_id == new.id and old2.path == old.path
        assert new2.member_count == 200
        assert (await tree.resolve_code(s, code="HUYEN-CU")).id == new.id
        child2 = await tree.get_unit(s, unit_id=child.id)
        assert child2.parent_id == new.id and child2.path == f"/{root.id}/{new.id}/{child.id}/"
        gc = await tree.get_unit(s, unit_id=grandchild.id)
        assert gc.path == f"/{root.id}/{new.id}/{child.id}/{grandchild.id}/" and gc.depth == 3
        roles = (await s.scalars(select(RoleAssignment).where(RoleAssignment.role == "officer"))).all()
        assert {(r.person_id, r.unit_id) for r in roles} == {(officer.id, new.id), (both.id, new.id)}
        chat = await s.scalar(select(Chat))
        assert chat is not None and chat.unit_id == new.id
        assert [u.code for u in await tree.subtree(s, unit=old2, include_inactive=True)] == ["HUYEN-CU"]
        actions = set((await s.scalars(select(AuditEntry.action))).all())
        assert {"unit.merge", "unit.absorb"} <= actions


async def test_merge_chain_resolves_to_last_survivor(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        a, b, c = [await make_unit(s, code, root) for code in "ABC"]
        await tree.merge_units(s, actor=ACTOR, source=a, survivor=b)
        await tree.merge_units(s, actor=ACTOR, source=b, survivor=c)
        assert (await tree.resolve_code(s, code="A")).code == "C"
        with pytest.raises(NotFound):
            await tree.resolve_code(s, code="NOPE")
        with pytest.raises(InvalidMove):
            await tree.merge_units(s, actor=ACTOR, source=root, survivor=c)


async def test_deactivate_needs_cascade_when_children_active(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        a = await make_unit(s, "A", root)
        await make_unit(s, "A1", a)
        with pytest.raises(Conflict):
            await tree.deactivate_unit(s, actor=ACTOR, unit=a)
        await tree.deactivate_unit(s, actor=ACTOR, unit=a, cascade=True)
        assert await tree.subtree(s, unit=a) == []
        assert len(await tree.subtree(s, unit=a, include_inactive=True)) == 2
        units = (await s.scalars(select(OrgUnit).where(OrgUnit.is_active.is_(True)))).all()
        assert [u.code for u in units] == ["R"]
