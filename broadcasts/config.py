"""Tunables of the broadcast domain. Defaults here; `from_settings` reads `broadcast_*` fields
from the settings object when the lead has mapped them (e.g. LOA_BROADCAST_RATE_PER_SEC)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class BroadcastConfig:
    # approval policy
    approval_threshold: int = 200  # more recipients than this needs an approver
    approval_wide_kinds: tuple[str, ...] = ("confederation", "province_federation")
    # rate: Telegram allows ~30 msg/s per bot, 1000 msg/s with allow_paid_broadcast
    rate_per_sec: float = 30.0
    paid_rate_per_sec: float = 1000.0
    paid_broadcast: bool = False
    rate_safety: float = 0.99  # run a hair under the limit so a clock skew never earns a 429
    private_chat_interval: float = 1.0  # seconds between two messages to one private chat
    group_per_min: float = 20.0
    # engine
    batch_size: int = 200
    concurrency: int = 64
    lease_seconds: float = 6.0  # renewed every third of it; a dead worker's records resume after it
    idle_poll_seconds: float = 0.5
    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    busy_recheck_seconds: float = 30.0
    busy_timeout_seconds: float = 900.0
    progress_interval: float = 3.0
    # scheduling
    misfire_grace_seconds: float = 3600.0
    lock_ttl_seconds: float = 30.0
    tick_seconds: float = 15.0
    # after sending
    recall_window_hours: float = 48.0
    ack_reminder_before_hours: float = 24.0

    @property
    def global_rate(self) -> float:
        return (self.paid_rate_per_sec if self.paid_broadcast else self.rate_per_sec) * self.rate_safety

    @classmethod
    def from_settings(cls, settings: Any) -> BroadcastConfig:
        changes = {
            f.name: getattr(settings, f"broadcast_{f.name}")
            for f in fields(cls)
            if getattr(settings, f"broadcast_{f.name}", None) is not None
        }
        return replace(cls(), **changes)
