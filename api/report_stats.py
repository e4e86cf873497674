"""Reporting statistics in the admin API: roll-up, completeness and timeliness, ranking, «nhắc lại»,
exports and the chart. Officers only, for their subtree. Included by api.reports.build_router."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import LoaDep, ScopeDep, SessionDep
from api.downloads import attachment
from api.reports import XLSX, _officer_unit, _unit
from api.types import Id
from directory.models import Role
from reports import rollup as rollups
from reports.chart import completeness_chart
from reports.exports import export_csv, export_xlsx
from reports.notify import remind_missing
from reports.services import form_of_round, get_round


def build_router() -> APIRouter:
    router = APIRouter()

    @router.get("/rounds/{round_id}/rollup")
    async def get_rollup(
        round_id: Id,
        scope: ScopeDep,
        session: SessionDep,
        unit_id: Id | None = None,
        group_by: Literal["none", "block", "kind"] = "none",
    ) -> dict[str, Any]:
        round_ = await get_round(session=session, round_id=round_id)
        unit = await _officer_unit(session, scope, round_, unit_id)
        form = await form_of_round(session=session, round_=round_)
        groups = await rollups.rollup(
            session=session, round_id=round_id, form=form, root_path=unit.path, group_by=group_by
        )
        return {
            "round_id": round_id,
            "unit_id": unit.id,
            "group_by": group_by,
            "groups": [
                {
                    "group": g.group,
                    "units": g.units,
                    "fields": {
                        k: {"aggregation": f.aggregation, "value": f.value, "count": f.count}
                        for k, f in g.fields.items()
                    },
                }
                for g in groups
            ],
        }

    @router.get("/rounds/{round_id}/completeness")
    async def get_completeness(
        round_id: Id, scope: ScopeDep, session: SessionDep, unit_id: Id | None = None
    ) -> dict[str, Any]:
        round_ = await get_round(session=session, round_id=round_id)
        unit = await _officer_unit(session, scope, round_, unit_id)
        rows = await rollups.completeness(session=session, round_=round_, parent=unit)
        total = await rollups.totals(session=session, round_=round_, root_path=unit.path)
        missing = await rollups.missing_units(session=session, round_id=round_id, root_path=unit.path)

        def out(c: rollups.Completeness) -> dict[str, Any]:
            return {
                "unit_id": c.unit_id,
                "code": c.code,
                "name": c.name,
                "expected": c.expected,
                "submitted": c.submitted,
                "on_time": c.on_time,
                "completeness": round(c.completeness, 4),
                "timeliness": round(c.timeliness, 4),
            }

        return {
            "round_id": round_id,
            "unit_id": unit.id,
            "total": {k: v for k, v in out(total).items() if k not in ("unit_id", "code", "name")},
            "children": [out(c) for c in rows],
            "missing": [{"id": u.id, "code": u.code, "name": u.name} for u in missing],
        }

    @router.get("/ranking")
    async def get_ranking(
        scope: ScopeDep,
        session: SessionDep,
        loa: LoaDep,
        unit_id: Id,
        year: int = Query(ge=2000, le=2100),
        limit: int = Query(100, ge=1, le=10_000),
    ) -> dict[str, Any]:
        unit = await _unit(session, unit_id)
        scope.require(Role.officer, unit.path)
        tz = loa.settings.tz
        rows = await rollups.ranking(
            session=session,
            root_path=unit.path,
            year_start=datetime(year, 1, 1, tzinfo=tz),
            year_end=datetime(year + 1, 1, 1, tzinfo=tz),
            limit=limit,
        )
        return {
            "year": year,
            "unit_id": unit.id,
            "items": [
                {
                    "rank": r.rank,
                    "unit_id": r.unit_id,
                    "code": r.code,
                    "name": r.name,
                    "expected": r.expected,
                    "submitted": r.submitted,
                    "on_time": r.on_time,
                    "timeliness": round(r.timeliness, 4),
                    "completeness": round(r.completeness, 4),
                }
                for r in rows
            ],
        }

    @router.post("/rounds/{round_id}/remind")
    async def post_remind(
        round_id: Id, scope: ScopeDep, session: SessionDep, loa: LoaDep, unit_id: Id | None = None
    ) -> dict[str, int]:
        round_ = await get_round(session=session, round_id=round_id)
        unit = await _officer_unit(session, scope, round_, unit_id)
        return await remind_missing(session=session, round_=round_, root_path=unit.path, kind="manual")

    @router.get("/rounds/{round_id}/export.xlsx")
    async def get_xlsx(
        round_id: Id, scope: ScopeDep, session: SessionDep, unit_id: Id | None = None
    ) -> Response:
        round_ = await get_round(session=session, round_id=round_id)
        unit = await _officer_unit(session, scope, round_, unit_id)
        content = await export_xlsx(session=session, round_=round_, root=unit)
        headers = attachment(f"bao-cao-{round_id}-{unit.id}.xlsx")
        return Response(content, media_type=XLSX, headers=headers)

    @router.get("/rounds/{round_id}/export.csv")
    async def get_csv(
        round_id: Id, scope: ScopeDep, session: SessionDep, unit_id: Id | None = None
    ) -> Response:
        round_ = await get_round(session=session, round_id=round_id)
        unit = await _officer_unit(session, scope, round_, unit_id)
        content = await export_csv(session=session, round_=round_, root=unit)
        headers = attachment(f"bao-cao-{round_id}-{unit.id}.csv")
        return Response(content, media_type="text/csv; charset=utf-8", headers=headers)

    @router.get("/rounds/{round_id}/chart.png")
    async def get_chart(
        round_id: Id, scope: ScopeDep, session: SessionDep, unit_id: Id | None = None
    ) -> Response:
        round_ = await get_round(session=session, round_id=round_id)
        unit = await _officer_unit(session, scope, round_, unit_id)
        rows = await rollups.completeness(session=session, round_=round_, parent=unit)
        return Response(completeness_chart(rows, f"{round_.title} — {unit.name}"), media_type="image/png")

    return router
