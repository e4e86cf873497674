"""Zalo's pieces without a network: rendering and splitting, short codes on the printed invitations,
numbers and labels read back as choices, synthetic ids."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook
from PIL import Image

from directory.identities import ZALO_ID_BASE, channel_of, messenger_id_for
from directory.invitation_export import InvitationRow, invitations_qr_zip, invitations_xlsx
from directory.invitations import (
    create_bulk_invitations,
    format_short_code,
    invite_link,
    looks_like_short_code,
    new_short_code,
    normalize_short_code,
)
from directory.models import Channel, Role
from messengers.zalo.inbound import Inbound, _label_key
from messengers.zalo.render import Choice, choices_block, html_to_text, split_text, with_choices
from storage.base import utcnow
from storage.db import Database
from tests.directory_chat.factories import make_tree, scope_of


def test_html_becomes_plain_text_with_links_written_out() -> None:
    text = html_to_text('<b>Chỉ thị 07</b> &amp; <a href="https://x.vn/a">văn bản</a><br>Dòng 2')
    assert text == "Chỉ thị 07 & văn bản (https://x.vn/a)\nDòng 2"


def test_split_at_2000_on_sentence_ends() -> None:
    sentence = "Công đoàn cơ sở triển khai kế hoạch tháng này. "
    parts = split_text(sentence * 100)
    assert len(parts) == 3 and all(len(p) <= 2000 for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert "".join(p + " " for p in parts).strip() == (sentence * 100).strip()
    assert split_text("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]  # no boundary: a hard cut


def test_choices_are_numbered_and_go_last() -> None:
    block = choices_block([Choice("✅ Đã nhận", data="bc:ack:1")], [("Xem văn bản", "https://x.vn")])
    assert block == "Xem văn bản: https://x.vn\nGõ 1 để chọn «✅ Đã nhận»."
    many = choices_block([Choice("A", data="a"), Choice("B", data="b")], [], in_form=True)
    assert many == "Gõ «số N» để chọn:\n1. A\n2. B"
    parts = with_choices("y" * 1990, block)
    assert len(parts) == 2 and parts[1] == block


def test_short_codes_and_labels() -> None:
    assert normalize_short_code("abcde-23456") == "ABCDE23456"
    assert looks_like_short_code("abcde 23456") and not looks_like_short_code("camonbanlm")
    assert not looks_like_short_code("1234567890")  # figures, not a code
    assert format_short_code("ABCDE23456") == "ABCDE-23456"
    assert _label_key("✅ Đã nhận") == _label_key("da nhan") == "da nhan"
    assert Inbound._registration("DK abcde-23456") == "/start ABCDE23456"
    assert Inbound._registration("120 12 300") == "120 12 300"
    assert all(looks_like_short_code(new_short_code()) for _ in range(2000))  # every code is recognised


async def test_invitation_sheet_and_qr_carry_the_zalo_code(db: Database) -> None:
    async with db.transaction() as s:
        t = await make_tree(s)
        made = await create_bulk_invitations(s, scope=await scope_of(s, t.officer_a), root=t.district_a)
    assert all(looks_like_short_code(m.short_code) for m in made)
    rows = [
        InvitationRow(
            m.unit.code, m.unit.name, Role.leader, invite_link("loa_bot", m.token), utcnow(), m.short_code
        )
        for m in made
    ]
    wb = load_workbook(io.BytesIO(invitations_xlsx(rows)))
    assert wb.active is not None
    values = [[c.value for c in r] for r in wb.active.iter_rows(min_row=2)]
    assert values[0][5] == f"DK {format_short_code(made[0].short_code)}"
    with zipfile.ZipFile(io.BytesIO(invitations_qr_zip(rows))) as zf:
        image = Image.open(io.BytesIO(zf.read(zf.namelist()[0])))
        assert image.height > image.width - 200  # the card has room for the Zalo line


async def test_synthetic_ids_are_stable_and_disjoint_from_telegram(db: Database) -> None:
    async with db.transaction() as s:
        a = await messenger_id_for(s, channel=Channel.zalo, kind="user", native_id="abc")
        g = await messenger_id_for(s, channel=Channel.zalo, kind="group", native_id="abc")
        again = await messenger_id_for(s, channel=Channel.zalo, kind="user", native_id="abc")
    assert (a == again and a > ZALO_ID_BASE and g < -ZALO_ID_BASE and a != -g) or a == -g
    assert channel_of(a) is Channel.zalo and channel_of(g) is Channel.zalo
    assert (
        channel_of(7_000_000_000) is Channel.telegram and channel_of(-1_001_234_567_890) is Channel.telegram
    )
