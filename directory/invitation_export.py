"""Printable invitations: an XLSX sheet (one row per unit, with its link) and QR codes for meetings."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import qrcode
from openpyxl import Workbook
from openpyxl.styles import Font
from PIL import Image, ImageDraw, ImageFont

from common.cells import strip_illegal
from common.vietnamese import fold, format_date
from directory.models import ROLE_LABELS, Role

FORMULA_LEADERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class InvitationRow:
    unit_code: str
    unit_name: str
    role: Role
    link: str
    expires_at: datetime


def safe_cell(value: str) -> str:
    """Text that a spreadsheet will never read as a formula (CSV/formula injection)."""
    value = strip_illegal(value)
    return "'" + value if value.startswith(FORMULA_LEADERS) else value


def invitations_xlsx(rows: Sequence[InvitationRow]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Duong dan moi"
    ws.append(["Mã đơn vị", "Tên đơn vị", "Vai trò", "Đường dẫn mời", "Hết hạn"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(
            [
                safe_cell(r.unit_code),
                safe_cell(r.unit_name),
                ROLE_LABELS[r.role],
                r.link,
                format_date(r.expires_at),
            ]
        )
    for col, width in zip("ABCDE", (18, 48, 28, 70, 12), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def qr_card_png(row: InvitationRow) -> bytes:
    """A QR code with the unit's name under it, sized for printing several per page."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=3)
    qr.add_data(row.link)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    label_h = 90
    card = Image.new("RGB", (max(code.width, 480), code.height + label_h), "white")
    card.paste(code, ((card.width - code.width) // 2, 0))
    draw = ImageDraw.Draw(card)
    big, small = _font(22), _font(16)
    name = row.unit_name if len(row.unit_name) <= 40 else row.unit_name[:39] + "…"
    draw.text((card.width // 2, code.height + 8), name, fill="black", font=big, anchor="mt")
    info = f"{row.unit_code} · {ROLE_LABELS[row.role]} · hết hạn {format_date(row.expires_at)}"
    draw.text((card.width // 2, code.height + 44), info, fill="black", font=small, anchor="mt")
    buf = io.BytesIO()
    card.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _file_name(row: InvitationRow) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(f"{row.unit_code} {row.unit_name}")).strip("-")
    return f"{slug[:80] or 'don-vi'}.png"


def invitations_qr_zip(rows: Sequence[InvitationRow]) -> bytes:
    """A ZIP with one labelled QR PNG per invitation."""
    buf = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for row in rows:
            name = _file_name(row)
            while name in seen:
                name = name.removesuffix(".png") + "-1.png"
            seen.add(name)
            zf.writestr(name, qr_card_png(row))
    return buf.getvalue()
