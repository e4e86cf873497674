"""What a broadcast says, and how it becomes the messages a messenger sends.

`Content` is stored as JSON on the broadcast. `render_parts` turns it into transport-neutral
`Part`s: text over 4096 units (caption over 1024) is split cleanly, the buttons go on the last part.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from broadcasts import html
from common.errors import DomainError
from outbox.parts import Button, Markup, Part, PartKind

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_LIMIT = 64
ACK_LABEL = "✅ Đã nhận"
ACK_PREFIX = "bc:ack:"


class ContentError(DomainError, ValueError):
    status = 422
    code = "bad_content"


@dataclass
class Content:
    kind: PartKind = PartKind.text
    html: str = ""
    media: str | None = None
    filename: str | None = None
    buttons: list[list[dict[str, str]]] = field(default_factory=list)  # [[{"text", "url"}]]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Content:
        content = cls(
            kind=PartKind(data.get("kind", PartKind.text)),
            html=str(data.get("html", "")),
            media=data.get("media"),
            filename=data.get("filename"),
            buttons=[list(row) for row in data.get("buttons", [])],
        )
        content.validate()
        return content

    @classmethod
    def from_plain(cls, text: str, **kwargs: Any) -> Content:
        return cls(html=html.plain(text), **kwargs)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    def validate(self) -> None:
        self.html = html.sanitize(self.html)
        if self.kind is PartKind.text and not self.html:
            raise ContentError("Nội dung tin trống.")
        if self.kind is not PartKind.text and not self.media:
            raise ContentError("Thiếu tệp ảnh hoặc văn bản đính kèm.")
        for row in self.buttons:
            for button in row:
                url = button.get("url", "")
                if not button.get("text") or not url.startswith(("https://", "http://", "tg://")):
                    raise ContentError("Nút liên kết cần có chữ và đường dẫn http(s).")


def ack_callback(broadcast_id: int) -> str:
    data = f"{ACK_PREFIX}{broadcast_id}"
    assert len(data.encode()) <= CALLBACK_LIMIT
    return data


def parse_ack_callback(data: str) -> int | None:
    if not data.startswith(ACK_PREFIX) or not data[len(ACK_PREFIX) :].isdigit():
        return None
    return int(data[len(ACK_PREFIX) :])


def ack_label(count: int | None = None) -> str:
    return f"{ACK_LABEL} ({count})" if count else ACK_LABEL


def build_markup(content: Content, *, ack_for: int | None, ack_count: int | None = None) -> Markup | None:
    rows = [tuple(Button(b["text"], url=b["url"]) for b in row) for row in content.buttons if row]
    if ack_for is not None:
        rows.append((Button(ack_label(ack_count), callback_data=ack_callback(ack_for)),))
    return tuple(rows) or None


def render_parts(content: Content, *, ack_for: int | None = None) -> list[Part]:
    markup = build_markup(content, ack_for=ack_for)
    if content.kind is PartKind.text:
        chunks = html.split(content.html, TEXT_LIMIT)
        parts = [Part(PartKind.text, chunk) for chunk in chunks]
    else:
        chunks = html.split(content.html, TEXT_LIMIT, first_limit=CAPTION_LIMIT) if content.html else [""]
        parts = [Part(content.kind, chunks[0], media=content.media, filename=content.filename)]
        parts += [Part(PartKind.text, chunk) for chunk in chunks[1:]]
    last = parts[-1]
    parts[-1] = Part(last.kind, last.html, last.media, last.filename, markup)
    return parts
