"""Media helpers: image dimensions, MIME guesses and Telegram media objects."""

from __future__ import annotations

import mimetypes
import struct
from typing import Any

from sandbox.state import FileRecord

MEDIA_KINDS = ("photo", "document", "video", "audio", "voice", "animation")


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG image; ``(0, 0)`` when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return 0, 0


def guess_mime(file_name: str | None, default: str = "application/octet-stream") -> str:
    if not file_name:
        return default
    guessed, _ = mimetypes.guess_type(file_name)
    return guessed or default


def media_object(record: FileRecord, kind: str) -> Any:
    """The object Telegram puts in a Message for ``kind`` (a list of sizes for photos)."""
    base: dict[str, Any] = {
        "file_id": record.file_id,
        "file_unique_id": record.file_unique_id,
        "file_size": record.file_size,
    }
    if kind == "photo":
        return [{**base, "width": record.width or 1, "height": record.height or 1}]
    if record.file_name and kind in ("document", "video", "audio", "animation"):
        base["file_name"] = record.file_name
    if record.mime_type:
        base["mime_type"] = record.mime_type
    if kind in ("video", "animation"):
        base.update({"width": record.width, "height": record.height, "duration": 0})
    elif kind in ("audio", "voice"):
        base["duration"] = 0
    return base
