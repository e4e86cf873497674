"""One safe `Content-Disposition` for every download (RFC 6266 with the RFC 5987 `filename*`).

File names come from data (unit codes, uploaded names): a `"`, a line break or a non-Latin-1 letter once
gave a 500, an injected `filename=` or a dropped connection. The ASCII fallback keeps only harmless
characters; the UTF-8 form is percent-encoded, so nothing in a name can end the header."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")


def ascii_fallback(filename: str) -> str:
    decomposed = unicodedata.normalize("NFKD", filename.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    safe = _UNSAFE_ASCII.sub("_", plain).strip("._") or "tep"
    return safe[:150]


def attachment(filename: str) -> dict[str, str]:
    """Headers for a download named `filename` (any text)."""
    cleaned = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C")[:200] or "tep"
    return {
        "Content-Disposition": (
            f"attachment; filename=\"{ascii_fallback(cleaned)}\"; filename*=UTF-8''{quote(cleaned, safe='')}"
        )
    }
