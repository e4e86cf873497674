"""`loa admin create` and `loa units import/export` through their service functions and the parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import build_parser
from config.settings import Settings
from directory import admin_cli, tree
from directory.access import scope_for_person
from directory.auth import authenticate
from directory.errors import ImportRejected
from directory.models import Role
from storage.db import Database


def test_parser_knows_the_commands() -> None:
    args = build_parser().parse_args(["admin", "create", "--login", "a", "--name", "A", "--unit-code", "TLD"])
    assert (args.login, args.name, args.unit_code) == ("a", "A", "TLD")
    assert build_parser().parse_args(["units", "import", "x.xlsx", "--dry-run"]).dry_run
    assert build_parser().parse_args(["units", "export", "x.csv", "--all"]).all


async def test_bootstrap_admin_then_import_and_export(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    message = await admin_cli.create_admin(
        settings, login="admin", name="Quản trị", password="mat-khau-rat-dai", unit_code=None
    )
    assert "TLD" in message
    async with db.transaction() as s:
        person = await authenticate(s, login="admin", password="mat-khau-rat-dai")
        root = (await tree.root_units(s))[0]
        assert (await scope_for_person(s, person=person)).allows(Role.admin, root.path)

    source = tmp_path / "don-vi.csv"
    source.write_text(
        "Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Loại\nQNA,LĐLĐ tỉnh Quảng Nam,TLD,ldld tinh\n",
        encoding="utf-8",
    )
    dry = await admin_cli.import_file(settings, path=source, dry_run=True)
    assert dry.startswith("Chạy thử") and "+ QNA" in dry
    assert "thêm 1" in await admin_cli.import_file(settings, path=source, dry_run=False)
    out = tmp_path / "ra.xlsx"
    await admin_cli.export_file(settings, path=out, unit_code=None, include_inactive=False)
    assert "thêm 0, sửa 0, chuyển 0" in await admin_cli.import_file(settings, path=out, dry_run=False)

    source.write_text("Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Loại\nX,,NOPE,?\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        await admin_cli.import_file(settings, path=source, dry_run=False)
    assert admin_cli.describe_errors(caught.value).count("Dòng 2") == 3
