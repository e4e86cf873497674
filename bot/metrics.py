"""Prometheus metrics, one registry per running application (no module-level collectors)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "loa_updates_total", "Telegram updates handled", ["kind"], registry=self.registry
        )
        self.duplicate_updates = Counter(
            "loa_updates_duplicate_total", "Re-delivered updates skipped", registry=self.registry
        )
        self.update_errors = Counter(
            "loa_update_errors_total", "Updates whose handling raised", registry=self.registry
        )
        self.update_seconds = Histogram(
            "loa_update_seconds", "Time to handle one update", registry=self.registry
        )
        self.webhook_rejected = Counter(
            "loa_webhook_rejected_total", "Webhook calls rejected for a bad secret", registry=self.registry
        )
        self.http_requests = Counter(
            "loa_http_requests_total", "Admin API requests", ["method", "status"], registry=self.registry
        )

        self.job_runs = Counter(
            "loa_job_runs_total", "Scheduled job runs", ["job", "outcome"], registry=self.registry
        )
        self.deliveries = Counter(
            "loa_deliveries_total",
            "Outbox records written back by the delivery engine",
            ["kind", "channel", "outcome"],
            registry=self.registry,
        )
        self.outbox_records = Gauge(
            "loa_outbox_records",
            "Outbox records by kind, channel and status",
            ["kind", "channel", "status"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
