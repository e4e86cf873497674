"""One validated settings object, built at start-up from the environment and `.env`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal, Self
from zoneinfo import ZoneInfo

import platformdirs
from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A syntactically valid token that only the local sandbox accepts.
SANDBOX_TOKEN = "1000000001:sandbox-token-not-for-telegram"  # noqa: S105 (not a secret)
TELEGRAM_API_BASE = "https://api.telegram.org"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class UnsafeSettingsError(ValueError):
    """Raised when production settings would be insecure."""


class Settings(BaseSettings):
    # hide_input_in_errors: a refusal must never echo the values it was given (secrets among them)
    model_config = SettingsConfigDict(
        env_prefix="LOA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    environment: Environment = Environment.development
    # Absolute, so the database never depends on the working directory; LOA_DATA_DIR moves it.
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("loa")))
    database_url: str = Field(default="", description="default: SQLite file loa.db in data_dir")
    redis_url: str | None = None

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Worker and scheduler processes (no API role) serve /healthz, /readyz, /metrics here. Unset or 0:
    # none (several workers on one host each need their own port; the deploy files set 9100).
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"

    telegram_token: SecretStr = SecretStr(SANDBOX_TOKEN)
    telegram_api_base: str = TELEGRAM_API_BASE
    webhook_url: str | None = Field(default=None, description="Public base URL; the path is added by Loa")
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/telegram/webhook"

    api_host: str = "127.0.0.1"
    api_port: int = 8080

    timezone: str = "Asia/Ho_Chi_Minh"
    locale: str = "vi"

    jwt_secret: SecretStr = SecretStr("dev-only-jwt-secret-change-me-please-0123456789")
    access_token_minutes: int = 30

    processed_update_retention_hours: int = 48

    # Admin API hardening
    metrics_token: SecretStr | None = Field(
        default=None, description="production: /metrics answers only `Authorization: Bearer <token>`"
    )
    login_max_failures: int = Field(default=5, ge=1, description="failed logins per login or address")
    login_window_seconds: float = Field(default=900.0, gt=0, description="the throttle window")
    api_max_json_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    api_max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)

    # Broadcast delivery (None: the defaults in broadcasts/config.py)
    broadcast_rate_per_sec: float | None = None
    broadcast_paid_broadcast: bool | None = None
    broadcast_approval_threshold: int | None = None
    broadcast_misfire_grace_seconds: float | None = None
    broadcast_busy_timeout_seconds: float | None = None
    broadcast_concurrency: int | None = None
    broadcast_lease_seconds: float | None = None  # a claim's lease, renewed by its holder every third
    broadcast_batch_size: int | None = None  # records one worker claims at a time (it holds at most twice)
    broadcast_idle_poll_seconds: float | None = None
    broadcast_private_chat_interval: float | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.webhook_url)

    @property
    def default_database(self) -> bool:
        """True when the database is the SQLite file in the data directory (which must then exist)."""
        return self.database_url == self.default_database_url()

    def default_database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.data_dir / 'loa.db'}"

    @model_validator(mode="before")
    @classmethod
    def _upper_log_level(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("log_level"), str):
            data = {**data, "log_level": data["log_level"].upper()}
        return data

    @model_validator(mode="after")
    def _check(self) -> Self:
        self.data_dir = self.data_dir.expanduser().absolute()
        if not self.database_url:
            self.database_url = self.default_database_url()
        try:
            ZoneInfo(self.timezone)
        except Exception as exc:
            raise ValueError(f"LOA_TIMEZONE: unknown time zone {self.timezone!r}") from exc
        if not self.webhook_path.startswith("/"):
            raise ValueError("LOA_WEBHOOK_PATH must start with '/'")
        if self.environment is Environment.production:
            self._refuse_unsafe()
        return self

    def _refuse_unsafe(self) -> None:
        problems: list[str] = []
        token = self.telegram_token.get_secret_value()
        if token == SANDBOX_TOKEN:
            problems.append("LOA_TELEGRAM_TOKEN is not set (the sandbox token cannot reach Telegram)")
        if self.telegram_api_base.startswith("http://127.") or "localhost" in self.telegram_api_base:
            problems.append("LOA_TELEGRAM_API_BASE points at a local sandbox")
        if self.webhook_url:
            if not self.webhook_secret or len(self.webhook_secret.get_secret_value()) < 16:
                problems.append("a webhook needs LOA_WEBHOOK_SECRET of at least 16 characters")
            if not self.webhook_url.startswith("https://"):
                problems.append("LOA_WEBHOOK_URL must be https://")
        if (
            self.jwt_secret.get_secret_value().startswith("dev-only")
            or len(self.jwt_secret.get_secret_value()) < 32
        ):
            problems.append("LOA_JWT_SECRET must be set to a random value of at least 32 characters")
        if problems:
            raise UnsafeSettingsError("Unsafe production settings: " + "; ".join(problems))


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; keyword overrides win (used by the CLI and tests).

    Raises UnsafeSettingsError (production refusals) or ValueError naming the variables only."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            cause = (error.get("ctx") or {}).get("error")
            if isinstance(cause, UnsafeSettingsError):
                raise cause from None
        problems = "; ".join(
            f"LOA_{'_'.join(str(p) for p in e['loc']).upper() or 'SETTINGS'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ValueError(problems) from None
