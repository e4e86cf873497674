"""The `loa` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from config.settings import Settings, UnsafeSettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from archive.models import Document

T = TypeVar("T")


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
    from sandbox.limits import LimitsConfig
    from sandbox.server import serve_forever

    limits = LimitsConfig(enabled=not args.no_limits)
    print(f"Telegram sandbox on http://{args.host}:{args.port} (Bot API and /sandbox control API)")
    asyncio.run(serve_forever(args.host, args.port, limits))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
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

    sb = sub.add_parser("sandbox", help="run the local Telegram Bot API sandbox")
    sb.add_argument("--host", default="127.0.0.1")
    sb.add_argument("--port", type=int, default=8081)
    sb.add_argument("--no-limits", action="store_true", help="turn rate limits off")
    sb.set_defaults(func=_cmd_sandbox)

    demo = sub.add_parser("demo", help="play the scripted demo against the sandbox")
    demo.add_argument("--serve", action="store_true", help="keep everything running and print the URLs")
    demo.add_argument("--workdir", default="demo-output", help="where the demo keeps its database and files")
    demo.set_defaults(func=_cmd_demo)

    archive = sub.add_parser("archive", help="the document archive")
    archive_sub = archive.add_subparsers(dest="archive", required=True)
    sample = archive_sub.add_parser("import-sample", help="import the sample documents shipped with Loa")
    sample.set_defaults(func=_cmd_archive_import_sample)
    own = archive_sub.add_parser("import", help="import your own documents (.txt, .docx, .pdf) from a folder")
    own.add_argument("dir", help="the folder holding the documents")
    own.add_argument("--kind", help="kind for files whose header states none, e.g. «Công văn»")
    own.add_argument("--issuer", help="issuing body for every file (default: from each header)")
    own.set_defaults(func=_cmd_archive_import)

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
