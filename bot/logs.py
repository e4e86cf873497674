"""Process logging: LOA_LOG_LEVEL, LOA_LOG_FORMAT=text|json, one start-up line, and no bot token ever.

A JSON line per record lets a log shipper (Loki, journald → Elasticsearch) index fields instead of
parsing text. Bot tokens can reach a log through a library's error message (the Bot API URL carries
the token), so every record is passed through a redacting filter before it is written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url

from config.settings import Settings

TOKEN_RE = re.compile(r"(?<!\d)\d{5,20}:[A-Za-z0-9_-]{30,}")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    return TOKEN_RE.sub("<token>", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO 8601), level, logger, message, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            data["exc_info"] = redact(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Replace the root handlers with one stderr handler in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactTokens())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric if isinstance(numeric, int) else logging.WARNING)
    # aiogram logs every handled update at INFO; keep that for DEBUG only.
    logging.getLogger("aiogram.event").setLevel(
        logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING
    )


def safe_url(url: str | None) -> str:
    """A database or Redis URL with its password hidden."""
    if not url:
        return "none"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable url>"


def startup_fields(settings: Settings, roles: list[str]) -> dict[str, str]:
    """What the start-up line says: role, database, Redis and messenger mode; never a secret."""
    if settings.webhook_enabled:
        messenger = f"telegram webhook {settings.webhook_url}{settings.webhook_path}"
    else:
        messenger = "telegram polling"
    if settings.telegram_api_base.rstrip("/") != "https://api.telegram.org":
        messenger += f" via {settings.telegram_api_base}"
    return {
        "role": ",".join(sorted(roles)),
        "environment": settings.environment.value,
        "database": safe_url(settings.database_url),
        "redis": safe_url(settings.redis_url),
        "messenger": messenger,
    }


def log_startup(log: logging.Logger, settings: Settings, roles: list[str]) -> None:
    fields = startup_fields(settings, roles)
    log.info(
        "Loa started: role=%s environment=%s database=%s redis=%s messenger=%s",
        *fields.values(),
        extra={"event": "startup", **fields},
    )
