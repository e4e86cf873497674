"""Reading what the bot sent: Telegram HTML back to plain text (demo summaries, logs)."""

from __future__ import annotations

import re

_TAG = re.compile(r"<[^>]+>")


def plain(html: str) -> str:
    return _TAG.sub("", html)


def first_line(html: str, limit: int | None = None) -> str:
    line = plain(html).split("\n")[0]
    return line[:limit] if limit is not None else line
