"""`loa demo`: the sandbox, the bot and the API in one process on SQLite, a scripted scene with
simulated people, and a readable summary. Nothing outside this machine is contacted."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.app import Loa
from bot.runner import ALL_ROLES, serve
from common.text import first_line
from config.settings import Environment, Settings
from sandbox.client import SandboxClient
from sandbox.server import SandboxServer
from sandbox.zalo.client import ZaloSandboxClient
from sandbox.zalo.server import ZaloSandboxServer
from sandbox.zalo.state import ZaloLimits
from storage.migrate import upgrade

DEMO_ZALO_TOKEN = SecretStr("8800001:demo-zalo-sandbox")


@dataclass
class DemoContext:
    loa: Loa
    sandbox: SandboxClient
    workdir: Path
    api_base: str
    facts: dict[str, Any] = field(default_factory=dict)
    zalo: Any = None  # the Zalo sandbox's client


Scene = Callable[[DemoContext], Awaitable[list[str]]]


async def scene_first_contact(ctx: DemoContext) -> list[str]:
    """Members open the bot and get a Vietnamese welcome and menu; a group adds the bot."""
    sb = ctx.sandbox
    lines: list[str] = []
    for name in ("Nguyễn Thị Lan", "Trần Văn Minh"):
        user = await sb.create_user(first_name=name)
        await sb.send_user_message(user["id"], text="/start")
        msgs = await sb.wait_for_messages(user["id"], count=2, timeout=15)
        menu = [b["text"] for row in msgs[0]["reply_markup"]["keyboard"] for b in row]
        lines.append(f"{name} mở Loa → «{_first_line(msgs[0]['text'])}», menu: {', '.join(menu)}")
    officer = await sb.create_user(first_name="Lê Văn Hùng")
    group = await sb.create_group(
        title="LĐLĐ — Khối trường học", member_ids=[officer["id"]], bot_status="left"
    )
    await sb.add_bot(group["id"], by_user_id=officer["id"])
    hello = await sb.wait_for_messages(group["id"], count=1, timeout=15)
    lines.append(f"Nhóm «{group['title']}» thêm Loa → «{_first_line(hello[0]['text'])}»")
    return lines


async def scene_directory(ctx: DemoContext) -> list[str]:
    """A realistic province from real place names; invitations used; a block group bound."""
    from demo.directory_scene import play_directory_scene
    from demo.province import build_demo_province
    from demo.world import populate_world

    async with ctx.loa.db.transaction() as session:
        province = await build_demo_province(session)
    ctx.facts["province"] = province
    lines = [
        f"{province.root.name}: {len(province.upper_unions)} công đoàn cấp trên cơ sở, "
        f"{len(province.grassroots)} CĐCS, {province.people_count} người, "
        f"{len(province.block_groups)} nhóm theo khối (địa danh thật của {len(province.wards)} xã/phường)"
    ]
    lines += await play_directory_scene(sandbox=ctx.sandbox, db=ctx.loa.db, province=province)
    world = await populate_world(sandbox=ctx.sandbox, db=ctx.loa.db, province=province)
    ctx.facts["world"] = world
    lines.append(
        f"Các cán bộ và Chủ tịch CĐCS còn lại đã đăng ký ({len(world.telegram_of)} người); "
        f"{len(world.groups)} nhóm khối đã gắn với đơn vị"
    )
    return lines


async def scene_broadcast(ctx: DemoContext) -> list[str]:
    """The seed directive goes down to every block group and asks for «Đã nhận»."""
    from demo.broadcast_scene import play_broadcast_scene

    return await play_broadcast_scene(sandbox=ctx.sandbox, db=ctx.loa.db, province=ctx.facts["province"])


async def scene_reports(ctx: DemoContext) -> list[str]:
    """A monthly report round: chairs answer three ways, reminders, escalation, roll-up, XLSX and chart."""
    from demo.report_scene import play_report_scene

    return await play_report_scene(
        sandbox=ctx.sandbox,
        loa=ctx.loa,
        province=ctx.facts["province"],
        world=ctx.facts["world"],
        workdir=ctx.workdir,
    )


async def scene_zalo(ctx: DemoContext) -> list[str]:
    """Most chairs and groups of one union on Zalo: registering by code, linking, a directive, a reply."""
    from demo.zalo_scene import play_zalo_scene

    return await play_zalo_scene(
        sandbox=ctx.sandbox, zalo=ctx.zalo, db=ctx.loa.db, province=ctx.facts["province"]
    )


async def scene_archive(ctx: DemoContext) -> list[str]:
    """Members search the archive without diacritics; a petition travels up and is answered."""
    from demo.archive_scene import play_archive_scene

    return await play_archive_scene(sandbox=ctx.sandbox, loa=ctx.loa, province=ctx.facts["province"])


SCENES: list[tuple[str, Scene]] = [
    ("Làm quen", scene_first_contact),
    ("Tổ chức: cây đơn vị, lời mời, gắn nhóm", scene_directory),
    ("Phát văn bản chỉ đạo xuống cơ sở", scene_broadcast),
    ("Kỳ báo cáo: yêu cầu, trả lời, nhắc, tổng hợp", scene_reports),
    ("Kho văn bản và kiến nghị của đoàn viên", scene_archive),
    ("Zalo: phần lớn CĐCS và nhóm khối dùng Zalo, cùng một Loa", scene_zalo),
]


async def _print_console(ctx: DemoContext) -> None:
    from demo.console_scene import give_demo_login

    login, password = await give_demo_login(ctx.loa.db, root_unit_id=ctx.facts["province"].root.id)
    print(f"  Bàn làm việc cán bộ: {ctx.api_base}/console/   (đăng nhập: {login} / mật khẩu: {password})")


def _first_line(text: str) -> str:
    return first_line(text, 90)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def run_demo(*, serve_forever: bool = False, workdir: str = "demo-output") -> int:
    started = time.perf_counter()
    root = Path(workdir).resolve()
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    api_sock = _free_socket()
    api_base = "http://{}:{}".format(*api_sock.getsockname()[:2])

    async with SandboxServer() as sandbox, ZaloSandboxServer(limits=ZaloLimits(enabled=False)) as zalo_sb:
        settings = Settings(
            zalo_token=DEMO_ZALO_TOKEN,
            zalo_api_base=zalo_sb.base_url,
            _env_file=None,
            environment=Environment.development,
            database_url=f"sqlite+aiosqlite:///{root / 'loa-demo.db'}",
            redis_url=None,
            telegram_api_base=sandbox.base_url,
        )
        loa = await Loa.create(settings, check_schema=False)
        await upgrade(loa.db.engine)
        stop = asyncio.Event()
        runner = asyncio.create_task(serve(loa, ALL_ROLES, stop, sockets=[api_sock]))
        client = SandboxClient(sandbox.base_url)
        ctx = DemoContext(
            loa=loa, sandbox=client, workdir=root, api_base=api_base, zalo=ZaloSandboxClient(zalo_sb.base_url)
        )
        print(
            "Loa demo — sandbox Telegram và Zalo, bot và API chạy trong một tiến trình, "
            "cơ sở dữ liệu SQLite.\n"
        )
        try:
            for title, scene in SCENES:
                print(f"■ {title}")
                for line in await scene(ctx):
                    print(f"  • {line}")
                print()
            stats = await client.get_stats()
            zalo_stats = await ctx.zalo.get_stats()
            print(
                f"Tổng kết: {stats.get('messages_delivered', 0)} tin Loa đã gửi qua Telegram và "
                f"{zalo_stats.get('sent_ok', 0)} tin qua Zalo, "
                f"{sum(stats.get('calls', {}).values()) + zalo_stats.get('calls', 0)} lệnh Bot API; "
                f"dữ liệu tại {root}; {time.perf_counter() - started:.1f} giây."
            )
            if serve_forever:
                print("\nĐang chạy (Ctrl-C để dừng):")
                print(f"  API quản trị: {api_base}/docs   (OpenAPI: {api_base}/openapi.json)")
                print(f"  Sức khoẻ: {api_base}/healthz, {api_base}/readyz, số liệu: {api_base}/metrics")
                print(f"  Sandbox Telegram: {sandbox.base_url}/sandbox/stats")
                print(f"  Sandbox Zalo: {zalo_sb.base_url}/sandbox/stats")
                await _print_console(ctx)
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.Event().wait()
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runner, timeout=15)
            await client.close()
            await ctx.zalo.close()
            await loa.close()
    return 0
