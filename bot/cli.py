"""The `loa` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from config.settings import Settings, UnsafeSettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except UnsafeSettingsError as exc:
        raise SystemExit(f"loa: {exc}") from None
    except ValueError as exc:
        raise SystemExit(f"loa: invalid settings: {exc}") from None


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
    from bot.runner import ALL_ROLES, Role, run
    from storage.migrate import SchemaOutdatedError

    roles = {Role(r) for r in args.role} if args.role else set(ALL_ROLES)
    try:
        asyncio.run(run(_settings(), roles))
    except SchemaOutdatedError as exc:
        print(f"loa: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_sandbox(args: argparse.Namespace) -> int:
    if args.zalo:
        from sandbox.zalo.server import serve_forever as serve_zalo
        from sandbox.zalo.state import ZaloLimits

        port = args.port if args.port != 8081 else 8082
        print(f"Zalo sandbox on http://{args.host}:{port} (Bot API and /sandbox control API)")
        asyncio.run(serve_zalo(args.host, port, ZaloLimits(enabled=not args.no_limits)))
        return 0
    from sandbox.limits import LimitsConfig
    from sandbox.server import serve_forever

    limits = LimitsConfig(enabled=not args.no_limits)
    print(f"Telegram sandbox on http://{args.host}:{args.port} (Bot API and /sandbox control API)")
    asyncio.run(serve_forever(args.host, args.port, limits))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
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
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_cmd_migrate)

    run_p = sub.add_parser("run", help="run the service (all roles by default)")
    run_p.add_argument(
        "--role",
        action="append",
        choices=["api", "bot", "worker", "scheduler"],
        help="run only this role (repeatable)",
    )
    run_p.set_defaults(func=_cmd_run)

    sb = sub.add_parser("sandbox", help="run the local Telegram (or Zalo) Bot API sandbox")
    sb.add_argument("--host", default="127.0.0.1")
    sb.add_argument("--port", type=int, default=8081, help="default 8081 (Telegram), 8082 with --zalo")
    sb.add_argument("--zalo", action="store_true", help="the Zalo Bot Platform sandbox instead")
    sb.add_argument("--no-limits", action="store_true", help="turn rate limits off")
    sb.set_defaults(func=_cmd_sandbox)

    demo = sub.add_parser("demo", help="play the scripted demo against the sandbox")
    demo.add_argument("--serve", action="store_true", help="keep everything running and print the URLs")
    demo.add_argument("--workdir", default="demo-output", help="where the demo keeps its database and files")
    demo.set_defaults(func=_cmd_demo)

    archive = sub.add_parser("archive", help="the document archive")
    archive_sub = archive.add_subparsers(dest="archive", required=True)
    seeds = archive_sub.add_parser("import-seeds", help="import the seed documents (default ../shared/seeds)")
    seeds.add_argument("dir", nargs="?", default=None, help="seed .txt folder (default LOA_SEEDS_DIR)")
    seeds.set_defaults(func=_cmd_archive_import_seeds)

    from directory.admin_cli import add_commands as add_directory_commands

    add_directory_commands(sub, _settings)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
