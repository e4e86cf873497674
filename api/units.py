"""Admin API for the union tree. Reading needs an officer of the subtree; restructuring an admin."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import ScopeDep, SessionDep, unit_in_scope
from api.downloads import attachment
from api.types import Count, Id, Offset
from directory import spreadsheet, tree, unit_import
from directory.access import AccessDenied
from directory.models import OrgUnit, Role, UnitKind

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UnitIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=255)
    kind: UnitKind
    parent_id: Id
    block: str | None = Field(default=None, max_length=32)
    member_count: Count = 0


class UnitPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    kind: UnitKind | None = None
    block: str | None = Field(default=None, max_length=32)
    member_count: Count | None = None


class MoveIn(BaseModel):
    parent_id: Id


class MergeIn(BaseModel):
    into_id: Id


class DeactivateIn(BaseModel):
    cascade: bool = False


def unit_out(unit: OrgUnit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "block": unit.block,
        "member_count": unit.member_count,
        "is_active": unit.is_active,
        "parent_id": unit.parent_id,
        "depth": unit.depth,
        "path": unit.path,
        "merged_into_id": unit.merged_into_id,
    }


def nest(units: list[OrgUnit]) -> list[dict[str, Any]]:
    """Parent-first unit rows → nested dicts with `children`."""
    nodes: dict[int, dict[str, Any]] = {}
    tops: list[dict[str, Any]] = []
    for unit in units:
        node = {**unit_out(unit), "children": []}
        nodes[unit.id] = node
        parent = nodes.get(unit.parent_id) if unit.parent_id is not None else None
        (parent["children"] if parent is not None else tops).append(node)
    return tops


def build_router() -> APIRouter:
    router = APIRouter(prefix="/units", tags=["units"])

    @router.get("/tree")
    async def get_tree(
        scope: ScopeDep,
        session: SessionDep,
        unit_id: Id | None = None,
        depth: int = Query(default=2, ge=0, le=64),
        include_inactive: bool = False,
    ) -> dict[str, Any]:
        if unit_id is not None:
            tops = [await unit_in_scope(session, scope, unit_id, Role.officer)]
        else:
            roots = scope.roots(Role.officer)
            if not roots:
                raise AccessDenied()
            tops = [await tree.get_unit(session, unit_id=tree.path_ids(path)[-1]) for path in roots]
        items: list[dict[str, Any]] = []
        for top in tops:
            units = await tree.subtree(session, unit=top, include_inactive=include_inactive, max_depth=depth)
            items.extend(nest(units))
        return {"items": items}

    @router.get("/by-code/{code}")
    async def by_code(code: str, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        unit = await tree.resolve_code(session, code=code)
        scope.require(Role.officer, unit.path)
        return unit_out(unit)

    @router.get("/{unit_id}")
    async def get_unit(unit_id: Id, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        unit = await unit_in_scope(session, scope, unit_id, Role.officer)
        ancestors = [
            {"id": a.id, "code": a.code, "name": a.name}
            for a in await tree.ancestors(session, unit=unit)
            if scope.allows(Role.officer, a.path)
        ]
        return {**unit_out(unit), "ancestors": ancestors}

    @router.get("/{unit_id}/children")
    async def get_children(
        unit_id: Id, scope: ScopeDep, session: SessionDep, include_inactive: bool = False
    ) -> dict[str, Any]:
        unit = await unit_in_scope(session, scope, unit_id, Role.officer)
        units = await tree.children(session, unit=unit, include_inactive=include_inactive)
        return {"items": [unit_out(u) for u in units]}

    @router.get("/{unit_id}/subtree")
    async def get_subtree(
        unit_id: Id,
        scope: ScopeDep,
        session: SessionDep,
        include_inactive: bool = False,
        limit: int = Query(default=1000, ge=1, le=10_000),
        offset: Offset = 0,
    ) -> dict[str, Any]:
        unit = await unit_in_scope(session, scope, unit_id, Role.officer)
        total = len(await tree.subtree_ids(session, path=unit.path, include_inactive=include_inactive))
        units = await tree.subtree(
            session, unit=unit, include_inactive=include_inactive, limit=limit, offset=offset
        )
        return {"total": total, "items": [unit_out(u) for u in units]}

    @router.post("", status_code=201)
    async def create_unit(body: UnitIn, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        parent = await unit_in_scope(session, scope, body.parent_id, Role.officer)
        unit = await tree.create_unit(
            session,
            actor=scope.actor,
            code=body.code,
            name=body.name,
            kind=body.kind.value,
            parent=parent,
            block=body.block,
            member_count=body.member_count,
        )
        return unit_out(unit)

    @router.patch("/{unit_id}")
    async def update_unit(
        unit_id: Id, body: UnitPatch, scope: ScopeDep, session: SessionDep
    ) -> dict[str, Any]:
        unit = await unit_in_scope(session, scope, unit_id, Role.officer)
        changes = body.model_dump(exclude_unset=True)
        if "kind" in changes and changes["kind"] is not None:
            changes["kind"] = UnitKind(changes["kind"]).value
        changes = {k: v for k, v in changes.items() if v is not None or k == "block"}
        return unit_out(await tree.update_unit(session, actor=scope.actor, unit=unit, **changes))

    @router.post("/{unit_id}/move")
    async def move_unit(unit_id: Id, body: MoveIn, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        unit = await unit_in_scope(session, scope, unit_id, Role.admin)
        parent = await unit_in_scope(session, scope, body.parent_id, Role.admin)
        return unit_out(await tree.move_unit(session, actor=scope.actor, unit=unit, new_parent=parent))

    @router.post("/{unit_id}/merge")
    async def merge_unit(unit_id: Id, body: MergeIn, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
        source = await unit_in_scope(session, scope, unit_id, Role.admin)
        survivor = await unit_in_scope(session, scope, body.into_id, Role.admin)
        survivor = await tree.merge_units(session, actor=scope.actor, source=source, survivor=survivor)
        return {"merged": unit_out(source), "survivor": unit_out(survivor)}

    @router.post("/{unit_id}/deactivate")
    async def deactivate_unit(
        unit_id: Id, scope: ScopeDep, session: SessionDep, body: DeactivateIn | None = None
    ) -> dict[str, Any]:
        unit = await unit_in_scope(session, scope, unit_id, Role.admin)
        cascade = body.cascade if body else False
        return unit_out(await tree.deactivate_unit(session, actor=scope.actor, unit=unit, cascade=cascade))

    @router.post("/import")
    async def import_units(
        file: UploadFile, scope: ScopeDep, session: SessionDep, dry_run: bool = False
    ) -> dict[str, Any]:
        if not scope.roots(Role.admin):  # before a single byte of the file is read
            raise AccessDenied("Chỉ quản trị mới được nhập danh sách đơn vị.")
        data = await file.read(MAX_UPLOAD_BYTES + 1)
        rows = await spreadsheet.read_table_off_loop(
            data, filename=file.filename or "", limits=spreadsheet.ReadLimits(max_bytes=MAX_UPLOAD_BYTES)
        )
        result = await unit_import.import_units(
            session, actor=scope.actor, rows=rows, dry_run=dry_run, scope=scope
        )
        return result.as_dict()

    @router.get("/{unit_id}/export")
    async def export_units(
        unit_id: Id,
        scope: ScopeDep,
        session: SessionDep,
        format: Literal["xlsx", "csv"] = "xlsx",
        include_inactive: bool = False,
    ) -> Response:
        unit = await unit_in_scope(session, scope, unit_id, Role.officer)
        data = await spreadsheet.export_units(
            session, root=unit, fmt=format, include_inactive=include_inactive
        )
        filename = f"don-vi-{unit.code}.{format}"
        return Response(
            content=data,
            media_type=spreadsheet.MEDIA_TYPES[format],
            headers=attachment(filename),
        )

    return router
