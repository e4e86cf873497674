"""`loa admin create`, `loa units import`, `loa units export`: bootstrap and bulk work from a shell."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from common.progress import summarize, with_progress
from config.settings import Settings
from directory import people, spreadsheet, tree, unit_import
from directory.errors import DirectoryError, ImportRejected
from directory.models import Role, UnitKind
from storage.db import Database

CLI_ACTOR = "cli"
ROOT_CODE, ROOT_NAME = "TLD", "Tổng Liên đoàn Lao động Việt Nam"


async def create_admin(
    settings: Settings, *, login: str, name: str, password: str, unit_code: str | None
) -> str:
    db = Database(settings)
    try:
        async with db.transaction() as session:
            roots = await tree.root_units(session)
            if unit_code:
                unit = await tree.find_by_code(session, code=unit_code)
                if unit is None and not roots:
                    unit = await tree.create_unit(
                        session, actor=CLI_ACTOR, code=unit_code, name=ROOT_NAME,
                        kind=UnitKind.confederation.value, parent=None,
                    )  # fmt: skip
                elif unit is None:
                    raise DirectoryError(f"Không tìm thấy đơn vị mã {unit_code}.")
            elif roots:
                unit = roots[0]
            else:
                unit = await tree.create_unit(
                    session, actor=CLI_ACTOR, code=ROOT_CODE, name=ROOT_NAME,
                    kind=UnitKind.confederation.value, parent=None,
                )  # fmt: skip
            person = await people.create_person(
                session, actor=CLI_ACTOR, full_name=name, login=login, password=password, unit_path=unit.path
            )
            await people.assign_role(session, actor=CLI_ACTOR, person=person, unit=unit, role=Role.admin)
            return f"Đã tạo quản trị viên {login} (id {person.id}) tại đơn vị {unit.code} — {unit.name}."
    finally:
        await db.dispose()


def describe(result: unit_import.ImportResult, *, limit: int | None = 10) -> str:
    """A short summary; each kind of change lists its first ``limit`` units (None: all of them)."""
    head = "Chạy thử (chưa ghi gì): " if result.dry_run else ""
    lines = [
        f"{head}thêm {len(result.created)}, sửa {len(result.updated)}, chuyển {len(result.moved)}, "
        f"đổi chủ tịch {len(result.leaders)}, giữ nguyên {result.unchanged} đơn vị."
    ]
    updated = [
        f"  ~ {item['code']}: "
        + "; ".join(f"{k}: {old!r} → {new!r}" for k, (old, new) in item["changes"].items())
        for item in result.updated
    ]
    groups = [
        [f"  + {code}" for code in result.created],
        updated,
        [f"  → {m['code']}: {m['from']} → {m['to']}" for m in result.moved],
        [f"  ★ {x['code']}: chủ tịch {x['name']} {x['phone']}".rstrip() for x in result.leaders],
    ]
    for group in groups:
        lines += group if limit is None else summarize(group, limit=limit, noun="đơn vị")
    return "\n".join(lines)


def describe_errors(exc: DirectoryError) -> str:
    lines = [exc.message]
    for error in exc.details.get("errors", []):
        column = f" ({error['column']})" if error.get("column") else ""
        lines.append(f"  Dòng {error['row']}{column}: {error['message']}")
    return "\n".join(lines)


async def import_file(settings: Settings, *, path: Path, dry_run: bool, full: bool = False) -> str:
    rows = spreadsheet.read_table(path.read_bytes(), filename=path.name)
    db = Database(settings)
    try:
        async with db.transaction() as session:
            result = await with_progress(
                f"Nhập {len(rows):,} dòng từ {path.name}".replace(",", "."),
                unit_import.import_units(session, actor=CLI_ACTOR, rows=rows, dry_run=dry_run),
            )
        return describe(result, limit=None if full else 10)
    finally:
        await db.dispose()


async def export_file(
    settings: Settings, *, path: Path, unit_code: str | None, include_inactive: bool
) -> str:
    fmt: spreadsheet.Format = "csv" if path.suffix.lower() == ".csv" else "xlsx"
    db = Database(settings)
    try:
        async with db.transaction() as session:
            roots = await tree.root_units(session)
            if unit_code:
                root = await tree.resolve_code(session, code=unit_code)
            elif roots:
                root = roots[0]
            else:
                raise DirectoryError("Cây đơn vị đang trống.")
            data = await with_progress(
                f"Xuất đơn vị {root.code} ra {path.name}",
                spreadsheet.export_units(session, root=root, fmt=fmt, include_inactive=include_inactive),
            )
        path.write_bytes(data)
        return f"Đã xuất đơn vị {root.code} và cấp dưới ra {path}."
    finally:
        await db.dispose()


def _run(args: argparse.Namespace, coro: Any) -> int:
    try:
        print(asyncio.run(coro))
    except (ImportRejected, DirectoryError) as exc:
        print(describe_errors(exc), file=sys.stderr)
        return 1
    return 0


def add_commands(sub: Any, load_settings: Any) -> None:
    """Register the subcommands; `load_settings` is the CLI's own settings loader."""

    def admin_create(args: argparse.Namespace) -> int:
        password = os.environ.get("LOA_ADMIN_PASSWORD") or getpass.getpass("Mật khẩu: ")
        if not os.environ.get("LOA_ADMIN_PASSWORD") and getpass.getpass("Nhập lại mật khẩu: ") != password:
            print("Hai lần nhập mật khẩu không khớp.", file=sys.stderr)
            return 1
        coro = create_admin(
            load_settings(), login=args.login, name=args.name, password=password, unit_code=args.unit_code
        )
        return _run(args, coro)

    def units_import(args: argparse.Namespace) -> int:
        coro = import_file(load_settings(), path=Path(args.file), dry_run=args.dry_run, full=args.full)
        return _run(args, coro)

    def units_export(args: argparse.Namespace) -> int:
        coro = export_file(
            load_settings(), path=Path(args.file), unit_code=args.unit_code, include_inactive=args.all
        )
        return _run(args, coro)

    admin = sub.add_parser("admin", help="manage administrators").add_subparsers(
        dest="admin_cmd", required=True
    )
    create = admin.add_parser("create", help="create an admin (password from LOA_ADMIN_PASSWORD or prompt)")
    create.add_argument("--login", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--unit-code", help="unit the admin manages (default: the root, created if missing)")
    create.set_defaults(func=admin_create)

    units = sub.add_parser("units", help="import or export the unit list").add_subparsers(
        dest="units_cmd", required=True
    )
    imp = units.add_parser("import", help="import units from XLSX or CSV (all or nothing)")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    imp.add_argument(
        "--full", action="store_true", help="liệt kê mọi đơn vị thay đổi (mặc định: 10 đơn vị đầu)"
    )
    imp.set_defaults(func=units_import)
    exp = units.add_parser("export", help="export units to XLSX or CSV (by file extension)")
    exp.add_argument("file")
    exp.add_argument("--unit-code", help="export this unit's subtree (default: the whole tree)")
    exp.add_argument("--all", action="store_true", help="include inactive and merged units")
    exp.set_defaults(func=units_export)
