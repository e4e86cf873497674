"""Prometheus metrics, one registry per running application (no module-level collectors).

Counters are incremented where the event happens (the dispatcher, the Bot API session, the job
wrapper, the delivery engine); gauges that describe stored state (the outbox) are read from the
database when ``/metrics`` is scraped, so every process reports the same truth.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.outbox_metrics import OutboxSpec, outbox_stats
from storage.db import Database


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, outbox: OutboxSpec | None = None) -> None:
        self.registry = CollectorRegistry()
        self.outbox_spec = outbox or OutboxSpec()
        registry = self.registry
        self.updates = Counter("loa_updates_total", "Telegram updates handled", ["kind"], registry=registry)
        self.duplicate_updates = Counter(
            "loa_updates_duplicate_total", "Re-delivered updates skipped", registry=registry
        )
        self.update_errors = Counter(
            "loa_update_errors_total", "Updates whose handling raised", registry=registry
        )
        self.update_seconds = Histogram("loa_update_seconds", "Time to handle one update", registry=registry)
        self.last_update = Gauge(
            "loa_last_update_timestamp_seconds", "Unix time of the last update received", registry=registry
        )
        self.webhook_rejected = Counter(
            "loa_webhook_rejected_total", "Webhook calls rejected for a bad secret", registry=registry
        )
        self.http_requests = Counter(
            "loa_http_requests_total", "Admin API requests", ["method", "status"], registry=registry
        )
        # Scheduled jobs: the job wrapper calls job_runs.labels(job=..., outcome="ok"|"error").inc()
        self.job_runs = Counter(
            "loa_job_runs_total", "Scheduled job runs by outcome", ["job", "outcome"], registry=registry
        )
        self.job_seconds = Histogram("loa_job_seconds", "Duration of a job run", ["job"], registry=registry)
        # Outbox records written back by the delivery engine: kind (broadcast, report_request, …),
        # channel (telegram, …), outcome (sent, retrying, blocked, failed, …)
        self.deliveries = Counter(
            "loa_deliveries_total",
            "Outbox records written back by the delivery engine",
            ["kind", "channel", "outcome"],
            registry=registry,
        )
        self.messenger_calls = Counter(
            "loa_messenger_requests_total",
            "Messenger API calls by method and outcome",
            ["channel", "method", "outcome"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "loa_messenger_429_total",
            "429 answers from the messenger API",
            ["channel", "method"],
            registry=registry,
        )
        self.retry_after_seconds = Counter(
            "loa_messenger_retry_after_seconds_total",
            "Sum of retry_after seconds asked by the messenger API",
            ["channel"],
            registry=registry,
        )
        self.outbox_depth = Gauge(
            "loa_outbox_depth", "Outgoing messages waiting to be sent", registry=registry
        )
        self.outbox_oldest_age = Gauge(
            "loa_outbox_oldest_age_seconds",
            "Age of the oldest waiting outgoing message (0 when none)",
            registry=registry,
        )
        self.outbox_records = Gauge(
            "loa_outbox_records",
            "Outbox records by kind, channel and status (kept current by the worker)",
            ["kind", "channel", "status"],
            registry=registry,
        )
        self.outbox_scrape_errors = Counter(
            "loa_outbox_scrape_errors_total", "Failed outbox queries at scrape time", registry=registry
        )

    async def refresh(self, db: Database) -> None:
        """Read the gauges that live in the database; a failing query leaves them as they were."""
        try:
            async with db.sessions() as session:
                depth, age = await outbox_stats(session, self.outbox_spec)
        except Exception:
            self.outbox_scrape_errors.inc()
            return
        self.outbox_depth.set(depth)
        self.outbox_oldest_age.set(age)

    def render(self) -> bytes:
        return generate_latest(self.registry)
