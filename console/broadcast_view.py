"""How a broadcast looks in the console: chat bubbles from the domain's own rendering, status words."""

from __future__ import annotations

from dataclasses import dataclass

from broadcasts.audience import Target
from broadcasts.content import Part

TARGET_LABELS: dict[str, str] = {
    Target.group.value: "Nhóm chat của đơn vị",
    Target.leader.value: "Chủ tịch CĐCS (chat riêng)",
    Target.member.value: "Đoàn viên (chat riêng)",
}

STATUS_LABELS: dict[str, str] = {
    "draft": "đang soạn",
    "submitted": "chờ duyệt",
    "approved": "đã duyệt",
    "scheduled": "đã hẹn giờ",
    "sending": "đang gửi",
    "done": "xong",
    "cancelled": "đã huỷ",
    "failed": "gửi không thành công",
}


@dataclass(frozen=True)
class Bubble:
    number: int
    kind: str
    html: str  # already sanitised by broadcasts.html: only tags Telegram renders
    buttons: list[str]


def parts_view(parts: list[Part]) -> list[Bubble]:
    return [
        Bubble(
            i,
            p.kind.value,
            p.html,
            [b.text for row in (p.markup or ()) for b in row],
        )
        for i, p in enumerate(parts, start=1)
    ]
