"""A message as every messenger adapter receives it: a text, photo or document part with optional buttons.

Parts are stored as JSON on outbox records (`to_dict` / `from_dict`); each messenger's transport renders
them its own way (Telegram HTML and inline buttons; plain text and numbered choices on Zalo).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class PartKind(StrEnum):
    text = "text"
    photo = "photo"
    document = "document"


@dataclass(frozen=True)
class Button:
    text: str
    url: str | None = None
    callback_data: str | None = None


Markup = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Part:
    kind: PartKind
    html: str
    media: str | None = None  # a file_id, an URL, or a local path the transport uploads
    filename: str | None = None
    markup: Markup | None = None


def to_dict(part: Part) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": part.kind.value, "html": part.html}
    if part.media:
        out["media"] = part.media
    if part.filename:
        out["filename"] = part.filename
    if part.markup:
        out["markup"] = [
            [
                {k: v for k, v in (("text", b.text), ("url", b.url), ("callback_data", b.callback_data)) if v}
                for b in row
            ]
            for row in part.markup
        ]
    return out


def from_dict(data: dict[str, Any]) -> Part:
    markup = data.get("markup")
    return Part(
        PartKind(data.get("kind", "text")),
        data.get("html", ""),
        media=data.get("media"),
        filename=data.get("filename"),
        markup=tuple(tuple(Button(**b) for b in row) for row in markup) if markup else None,
    )


def text(html: str, markup: Markup | None = None) -> Part:
    return Part(PartKind.text, html, markup=markup)


def buttons(*rows: list[tuple[str, str]]) -> Markup:
    """Callback buttons from rows of (label, callback_data)."""
    return tuple(tuple(Button(label, callback_data=data) for label, data in row) for row in rows)
