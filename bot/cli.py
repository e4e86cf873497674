"""The `loa` command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import ValidationError

from config.settings import Settings, UnsafeSettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from archive.models import Document

T = TypeVar("T")


def _settings() -> Settings:
    try:
        settings = load_settings()
    except UnsafeSettingsError as exc:
        raise SystemExit(f"loa: {exc}") from None
    except ValueError as exc:
        raise SystemExit(f"loa: invalid settings: {exc}") from None
    if settings.default_database:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def _settings_problem(exc: ValueError) -> str:
    """One line for a settings error: the missing token in Vietnamese, anything else as pydantic says."""
    if "LOA_TELEGRAM_TOKEN is not set" in str(exc):
        return "chưa đặt LOA_TELEGRAM_TOKEN: hãy đặt mã bot lấy từ @BotFather."
    if isinstance(exc, ValidationError):
        return "cấu hình không hợp lệ: " + "; ".join(
            str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()
        )
    return f"cấu hình không hợp lệ: {exc}"


def _cmd_migrate(_: argparse.Namespace) -> int:
    from storage.db import create_engine
    from storage.migrate import current_revisions, upgrade

    settings = _settings()

    async def go() -> set[str]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await current_revisions(engine)
        finally:
            await engine.dispose()

    revs = asyncio.run(go())
    print(f"Database is at revision {', '.join(sorted(revs))}.")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.logs import configure_logging
    from bot.runner import ALL_ROLES, Role, preflight, run
    from storage.migrate import SchemaOutdatedError

    roles = {Role(r) for r in args.role} if args.role else set(ALL_ROLES)
    try:
        settings = load_settings()
    except ValueError as exc:  # pydantic wraps UnsafeSettingsError in a ValidationError
        print(f"loa: {_settings_problem(exc)}", file=sys.stderr)
        return 2
    problem = preflight(settings, roles)
    if problem is not None:
        print(f"loa: {problem}", file=sys.stderr)
        return 2
    if settings.default_database:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_logging("DEBUG" if args.verbose else settings.log_level, settings.log_format)
    try:
        asyncio.run(run(settings, roles))
    except SchemaOutdatedError as exc:
        print(f"loa: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from common.progress import with_progress
    from storage.backup import BackupError, backup, sqlite_file

    destination = Path(args.file)
    try:
        database = sqlite_file(_settings().database_url)
        size = asyncio.run(
            with_progress(f"Sao lưu {database.name}", asyncio.to_thread(backup, database, destination))
        )
    except BackupError as exc:
        print(f"loa: {exc}", file=sys.stderr)
        return 2
    print(f"Đã sao lưu {database} vào {destination} ({size / 1_048_576:.1f} MB).")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from common.progress import with_progress
    from storage.backup import BackupError, restore, sqlite_file

    source = Path(args.file)
    try:
        database = sqlite_file(_settings().database_url)
        revision = asyncio.run(
            with_progress(f"Khôi phục {source.name}", asyncio.to_thread(restore, source, database))
        )
    except BackupError as exc:
        print(f"loa: {exc}", file=sys.stderr)
        return 2
    print(f"Đã khôi phục {database} từ {source} (phiên bản cấu trúc {revision}). Chạy `loa migrate` nếu cần.")
    return 0


def _cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.limits import LimitsConfig
    from sandbox.server import serve_forever

    limits = LimitsConfig(enabled=not args.no_limits)
    print(f"Telegram sandbox on http://{args.host}:{args.port} (Bot API and /sandbox control API)")
    asyncio.run(serve_forever(args.host, args.port, limits, dev_webhooks=args.dev_webhooks))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    try:
        import vietnam_provinces  # noqa: F401 (the demo's place names; an optional extra)
    except ImportError:
        print('loa: bản trình diễn cần gói bổ sung: pip install -e ".[demo]"', file=sys.stderr)
        return 2
    from demo.run import run_demo

    try:
        return asyncio.run(run_demo(serve_forever=args.serve, workdir=args.workdir))
    except KeyboardInterrupt:
        return 0


def _run_in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from storage.db import Database

    settings = _settings()

    async def go() -> T:
        db = Database(settings)
        try:
            async with db.transaction() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(go())


def _document_line(doc: Document) -> str:
    return f"{doc.kind} {doc.number}".strip() + f" — {doc.subject[:60]}"


def _cmd_archive_import_sample(_: argparse.Namespace) -> int:
    from archive.sample import import_sample

    docs = _run_in_transaction(import_sample)
    print(f"{len(docs)} văn bản mẫu trong kho:")
    print("\n".join(_document_line(d) for d in docs))
    return 0


def _cmd_archive_import(args: argparse.Namespace) -> int:
    from archive.document_numbers import kind_from_text
    from archive.folder_import import FolderImport, import_folder

    folder = Path(args.dir)
    if not folder.is_dir():
        print(f"loa: không thấy thư mục {folder}", file=sys.stderr)
        return 1
    kind = kind_from_text(args.kind) if args.kind else None
    if args.kind and kind is None:
        print(f"loa: không rõ loại văn bản «{args.kind}» (ví dụ: «Công văn», «Kế hoạch»)", file=sys.stderr)
        return 1

    async def work(session: AsyncSession) -> FolderImport:
        return await import_folder(session, folder=folder, kind=kind, issuer=args.issuer)

    result = _run_in_transaction(work)
    print(
        f"Từ {folder}: nhập {len(result.added)} văn bản mới, {len(result.existing)} đã có trong kho, "
        f"bỏ qua {len(result.skipped)} tệp."
    )
    for doc in result.added:
        print(f"  + {_document_line(doc)}")
    for line in result.skipped:
        print(f"  {line}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loa", description="Loa — thông tin và báo cáo Công đoàn")
    parser.add_argument("-v", "--verbose", action="store_true", help="ghi nhật ký chi tiết hơn")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="cập nhật cấu trúc cơ sở dữ liệu").set_defaults(func=_cmd_migrate)

    run_p = sub.add_parser("run", help="chạy dịch vụ (mặc định mọi vai trò trong một tiến trình)")
    run_p.add_argument(
        "--role",
        action="append",
        choices=["api", "bot", "worker", "scheduler"],
        help="chỉ chạy vai trò này (có thể lặp lại)",
    )
    run_p.set_defaults(func=_cmd_run)

    backup_p = sub.add_parser("backup", help="sao lưu cơ sở dữ liệu SQLite khi dịch vụ đang chạy")
    backup_p.add_argument("file", help="tệp sao lưu sẽ tạo")
    backup_p.set_defaults(func=_cmd_backup)
    restore_p = sub.add_parser("restore", help="khôi phục SQLite từ tệp sao lưu (dừng dịch vụ trước)")
    restore_p.add_argument("file", help="tệp sao lưu")
    restore_p.set_defaults(func=_cmd_restore)

    sb = sub.add_parser("sandbox", help="chạy hộp cát Telegram Bot API cục bộ")
    sb.add_argument("--host", default="127.0.0.1")
    sb.add_argument("--port", type=int, default=8081)
    sb.add_argument("--no-limits", action="store_true", help="tắt giới hạn tốc độ")
    sb.add_argument(
        "--dev-webhooks",
        action="store_true",
        help="chấp nhận webhook http:// và mọi cổng (chỉ để phát triển)",
    )
    sb.set_defaults(func=_cmd_sandbox)

    demo = sub.add_parser("demo", help="chạy bản trình diễn với hộp cát")
    demo.add_argument("--serve", action="store_true", help="giữ mọi thứ chạy và in các địa chỉ")
    demo.add_argument("--workdir", default="demo-output", help="thư mục dữ liệu của bản trình diễn")
    demo.set_defaults(func=_cmd_demo)

    archive = sub.add_parser("archive", help="kho văn bản")
    archive_sub = archive.add_subparsers(dest="archive", required=True)
    sample = archive_sub.add_parser("import-sample", help="nhập các văn bản mẫu kèm theo Loa")
    sample.set_defaults(func=_cmd_archive_import_sample)
    own = archive_sub.add_parser("import", help="nhập văn bản của đơn vị (.txt, .docx, .pdf) từ một thư mục")
    own.add_argument("dir", help="thư mục chứa văn bản")
    own.add_argument("--kind", help="loại văn bản cho tệp không ghi loại, ví dụ «Công văn»")
    own.add_argument("--issuer", help="cơ quan ban hành cho mọi tệp (mặc định: theo đầu mỗi văn bản)")
    own.set_defaults(func=_cmd_archive_import)

    from directory.admin_cli import add_commands as add_directory_commands

    add_directory_commands(sub, _settings)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from bot.logs import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging(
        "INFO" if args.verbose else os.environ.get("LOA_LOG_LEVEL", "WARNING").upper(),
        os.environ.get("LOA_LOG_FORMAT", "text"),
    )
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
