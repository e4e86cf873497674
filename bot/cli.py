"""The `loa` command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from config.settings import Settings, UnsafeSettingsError, load_settings


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
    from bot.demo import run_demo

    try:
        return asyncio.run(run_demo(serve_forever=args.serve, workdir=args.workdir))
    except KeyboardInterrupt:
        return 0


def _cmd_archive_import_seeds(args: argparse.Namespace) -> int:
    from archive.seeds import default_seeds_dir, import_seed_documents
    from storage.db import Database

    settings = _settings()
    folder = args.dir or str(default_seeds_dir())
    if not os.path.isdir(folder):
        print(f"loa: không thấy thư mục văn bản mẫu {folder}", file=sys.stderr)
        return 1

    async def go() -> list[str]:
        db = Database(settings)
        try:
            async with db.transaction() as session:
                docs = await import_seed_documents(session, folder)
                return [f"{d.kind} {d.number}".strip() + f" — {d.subject[:60]}" for d in docs]
        finally:
            await db.dispose()

    lines = asyncio.run(go())
    print(f"{len(lines)} văn bản mẫu trong kho (từ {folder}):")
    print("\n".join(lines))
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
    seeds = archive_sub.add_parser("import-seeds", help="nhập các văn bản mẫu")
    seeds.add_argument("dir", nargs="?", default=None, help="thư mục tệp .txt mẫu (mặc định LOA_SEEDS_DIR)")
    seeds.set_defaults(func=_cmd_archive_import_seeds)

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
