"""The one place that says "in this subtree": `tree.in_subtree(s)` in SQL (each database's indexable form)
and `tree.is_within` in Python, agreeing with each other on sibling ids that share digits."""

from __future__ import annotations

from sqlalchemy import literal, select
from sqlalchemy.dialects import postgresql, sqlite

from directory import tree
from directory.models import AuditEntry, OrgUnit
from storage.db import Database
from tests.directory.conftest import make_unit


def test_is_within_keeps_siblings_with_longer_ids_apart() -> None:
    assert tree.is_within("/1/7/42/", "/1/7/") and tree.is_within("/1/7/", "/1/7/")
    assert not tree.is_within("/1/70/", "/1/7/") and not tree.is_within("/1/", "/1/7/")


def test_each_database_gets_its_indexable_form() -> None:
    sql_lite = str(tree.in_subtree(OrgUnit.path, "/1/7/", dialect="sqlite").compile(dialect=sqlite.dialect()))
    assert "LIKE" not in sql_lite and ">=" in sql_lite and "<" in sql_lite
    pg = str(
        tree.in_subtree(OrgUnit.path, "/1/7/", dialect="postgresql").compile(dialect=postgresql.dialect())
    )
    assert "LIKE" in pg and ">=" not in pg


async def test_sql_filter_agrees_with_the_python_predicate(db: Database) -> None:
    async with db.transaction() as s:
        root = await make_unit(s, "R", kind="confederation")
        units = [await make_unit(s, f"U{i}", root) for i in range(12)]
        for parent in units[:3]:
            units.append(await make_unit(s, f"C{parent.id}", parent))
        everyone = [root, *units]
        for roots in ([units[1].path], [units[0].path, units[2].path], [root.path], []):
            found = set(
                await s.scalars(select(OrgUnit.id).where(tree.in_subtrees(OrgUnit.path, roots, dialect=s)))
            )
            assert found == {u.id for u in everyone if any(tree.is_within(u.path, r) for r in roots)}, roots
        # a column as the root: which units' subtrees contain unit C?
        child = units[-1]
        holder = OrgUnit.__table__.alias("holder")
        holders = set(
            await s.scalars(
                select(holder.c.id).where(tree.in_subtree(literal(child.path), holder.c.path, dialect=s))
            )
        )
        assert holders == {u.id for u in everyone if tree.is_within(child.path, u.path)} and len(holders) == 3
        # any path column, not only org_units.path: the audit log of a subtree
        logged = set(
            await s.scalars(
                select(AuditEntry.unit_path).where(
                    tree.in_subtrees(AuditEntry.unit_path, [units[0].path], dialect=s)
                )
            )
        )
        assert logged and all(p is not None and tree.is_within(p, units[0].path) for p in logged)
