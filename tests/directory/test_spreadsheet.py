"""Import and export of the unit list: validation first, all-or-nothing, idempotent, round-trip."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from directory import people, spreadsheet, tree
from directory.errors import ImportRejected
from directory.models import AuditEntry, OrgUnit, Person, RoleAssignment
from directory.unit_import import import_units
from storage.db import Database

HEADER = "Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Loại,Khối,Số đoàn viên,Họ tên chủ tịch,Điện thoại\n"
GOOD = HEADER + (
    "TLD,Tổng Liên đoàn Lao động Việt Nam,,Tổng Liên đoàn,,0,,\n"
    "QNA,LĐLĐ tỉnh Quảng Nam,TLD,LĐLĐ tỉnh/thành phố,,0,,\n"
    "CDGD,Công đoàn ngành Giáo dục Quảng Nam,QNA,Công đoàn ngành,,0,,\n"
    "THPT-TK,CĐCS Trường THPT Trần Cao Vân,CDGD,CĐCS,Khối trường học,1.234,Nguyễn Thị Hoa,0905 123 456\n"
    "TAMKY,LĐLĐ thành phố Tam Kỳ,QNA,ldld huyen,,0,,\n"
    "UBND-TK,CĐCS Cơ quan UBND thành phố Tam Kỳ,TAMKY,grassroots_union,co quan,85,Trần Văn Nam,\n"
)


def rows_of(text: str) -> list[spreadsheet.RawRow]:
    return spreadsheet.read_table(text.encode("utf-8"), filename="units.csv")


async def count(db: Database, model: type) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_import_creates_tree_with_chairs(db: Database) -> None:
    async with db.transaction() as s:
        result = await import_units(s, actor="test", rows=rows_of(GOOD))
    assert result.created == ["TLD", "QNA", "CDGD", "THPT-TK", "TAMKY", "UBND-TK"]
    async with db.transaction() as s:
        school = await tree.find_by_code(s, code="THPT-TK")
        assert school is not None and school.member_count == 1234 and school.block == "truong_hoc"
        assert school.kind == "grassroots_union" and school.depth == 3
        root = await tree.find_by_code(s, code="TLD")
        assert root is not None and len(await tree.subtree(s, unit=root)) == 6
        chairs = await people.leaders_of(s, unit=school)
        assert [(p.full_name, p.phone) for p in chairs] == [("Nguyễn Thị Hoa", "+84905123456")]


async def test_reimport_changes_nothing_and_dry_run_writes_nothing(db: Database) -> None:
    async with db.transaction() as s:
        dry = await import_units(s, actor="test", rows=rows_of(GOOD), dry_run=True)
    assert dry.created and await count(db, OrgUnit) == 0 and await count(db, AuditEntry) == 0
    async with db.transaction() as s:
        first = await import_units(s, actor="test", rows=rows_of(GOOD))
    assert first.as_dict() | {"dry_run": True} == dry.as_dict()
    audit_before = await count(db, AuditEntry)
    async with db.transaction() as s:
        again = await import_units(s, actor="test", rows=rows_of(GOOD))
    assert not again.changed and again.unchanged == 6
    assert await count(db, AuditEntry) == audit_before
    assert await count(db, Person) == 2 and await count(db, RoleAssignment) == 2


async def test_every_bad_row_reported_and_nothing_written(db: Database) -> None:
    bad = HEADER + (
        "TLD,Tổng Liên đoàn,,Tổng Liên đoàn,,0,,\n"  # 2: fine
        ",Thiếu mã,TLD,CĐCS,,0,,\n"  # 3: no code
        "A,Đơn vị A,TLD,hợp tác xã,,0,,\n"  # 4: bad kind
        "B,Đơn vị B,KHONG-CO,CĐCS,,0,,\n"  # 5: unknown parent
        "C,Đơn vị C,TLD,CĐCS,Khối vũ trụ,mười,,\n"  # 6: bad block and bad count
        "D,Đơn vị D,TLD,CĐCS,,0,Lê Văn Tư,12345\n"  # 7: bad phone
        "A,Trùng mã,TLD,CĐCS,,0,,\n"  # 8: duplicate code
        "E,Đơn vị E,F,CĐCS,,0,,\n"  # 9: cycle E → F → E
        "F,Đơn vị F,E,CĐCS,,0,,\n"  # 10: cycle
        "G,,TLD,CĐCS,,0,,0905123456\n"  # 11: no name, phone without chair name
    )
    with pytest.raises(ImportRejected) as caught:
        async with db.transaction() as s:
            await import_units(s, actor="test", rows=rows_of(bad))
    errors = caught.value.details["errors"]
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e["row"], []).append(e["column"])
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert by_row[6] == ["Khối", "Số đoàn viên"]
    assert by_row[11] == ["Tên đơn vị", "Họ tên chủ tịch"]
    assert all(e["message"] for e in errors)
    assert "chưa nhập dòng nào" in caught.value.message
    assert await count(db, OrgUnit) == 0 and await count(db, AuditEntry) == 0


async def test_missing_columns_and_headers_without_diacritics(db: Database) -> None:
    with pytest.raises(ImportRejected) as caught:
        rows_of("Mã đơn vị,Tên đơn vị\nX,Y\n")
    assert caught.value.code == "missing_columns"
    plain = "ma don vi;ten don vi;ma don vi cap tren;loai\nR;Gốc;;Tổng Liên đoàn\nX;Con;R;cdcs\n"
    async with db.transaction() as s:
        result = await import_units(s, actor="test", rows=rows_of(plain))
    assert result.created == ["R", "X"]


async def test_reimport_with_changes_moves_renames_and_replaces_chair(db: Database) -> None:
    async with db.transaction() as s:
        await import_units(s, actor="test", rows=rows_of(GOOD))
    changed = GOOD.replace(
        "UBND-TK,CĐCS Cơ quan UBND thành phố Tam Kỳ,TAMKY,grassroots_union,co quan,85,Trần Văn Nam,",
        "UBND-TK,CĐCS UBND TP Tam Kỳ,TAMKY,grassroots_union,co quan,90,Phạm Thị Lan,0912345678",
    ).replace("TAMKY,LĐLĐ thành phố Tam Kỳ,QNA", "TAMKY,LĐLĐ thành phố Tam Kỳ,CDGD")
    async with db.transaction() as s:
        dry = await import_units(s, actor="test", rows=rows_of(changed), dry_run=True)
    assert {m["code"] for m in dry.moved} == {"TAMKY"}
    assert dry.updated == [
        {"code": "UBND-TK", "changes": {"name": ["CĐCS Cơ quan UBND thành phố Tam Kỳ", "CĐCS UBND TP Tam Kỳ"],
                                        "member_count": [85, 90]}}
    ]  # fmt: skip
    assert [x["code"] for x in dry.leaders] == ["UBND-TK"]
    async with db.transaction() as s:
        unit = await tree.find_by_code(s, code="UBND-TK")
        assert unit is not None and unit.name.startswith("CĐCS Cơ quan")  # dry run wrote nothing
        await import_units(s, actor="test", rows=rows_of(changed))
    async with db.transaction() as s:
        unit = await tree.find_by_code(s, code="UBND-TK")
        gd = await tree.find_by_code(s, code="CDGD")
        assert unit is not None and gd is not None
        assert unit.path.startswith(gd.path) and unit.depth == 4 and unit.member_count == 90
        assert [p.full_name for p in await people.leaders_of(s, unit=unit)] == ["Phạm Thị Lan"]
        again = await import_units(s, actor="test", rows=rows_of(changed))
        assert not again.changed


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_export_round_trips_and_escapes_formulas(db: Database, fmt: spreadsheet.Format) -> None:
    evil = GOOD + 'EVIL,=HYPERLINK("http://x";"bấm"),QNA,CĐCS,,0,@Chủ tịch,\n'
    async with db.transaction() as s:
        await import_units(s, actor="test", rows=rows_of(evil))
        root = await tree.find_by_code(s, code="TLD")
        assert root is not None
        data = await spreadsheet.export_units(s, root=root, fmt=fmt)
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        assert [c.value for c in sheet[1]][:3] == ["Mã đơn vị", "Tên đơn vị", "Mã đơn vị cấp trên"]
        names = [row[1].value for row in sheet.iter_rows(min_row=2)]
        assert '\'=HYPERLINK("http://x";"bấm")' in names
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    else:
        assert "'=HYPERLINK" in data.decode("utf-8-sig") and "'@Chủ tịch" in data.decode("utf-8-sig")
    async with db.transaction() as s:
        result = await import_units(s, actor="test", rows=spreadsheet.read_table(data, filename=f"x.{fmt}"))
        assert not result.changed and result.unchanged == 7
        evil_unit = await tree.find_by_code(s, code="EVIL")
        assert evil_unit is not None and evil_unit.name == '=HYPERLINK("http://x";"bấm")'
        qna = await tree.find_by_code(s, code="QNA")
        assert qna is not None
        province = await spreadsheet.export_units(s, root=qna, fmt=fmt)
        again = await import_units(
            s, actor="test", rows=spreadsheet.read_table(province, filename=f"x.{fmt}")
        )
        assert not again.changed and again.unchanged == 6
