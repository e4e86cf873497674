"""outbox: one table for every message Loa sends on its own initiative (broadcast recipients included);
job_locks: the schedulers' leadership lease without Redis

Revision ID: 0007_outbox
Revises: 0006_one_head
Create Date: 2026-12-01 21:40:00

The broadcast delivery records move into `outbox` (a new table, so every constraint and index carries the
new name on SQLite and PostgreSQL alike); their columns keep their meaning: `telegram_chat_id` is now the
messenger-neutral `address`, `telegram_user_id` is `user_id`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = "0007_outbox"
down_revision = "0006_one_head"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = storage.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_locks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_locks")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("broadcast_id", ID, nullable=True),
        sa.Column("chat_id", ID, nullable=True),
        sa.Column("person_id", ID, nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.BigInteger(), nullable=False),
        sa.Column("chat_kind", sa.String(length=16), nullable=False),
        sa.Column("unit_id", ID, nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("ref", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", WHEN, nullable=True),
        sa.Column("next_attempt_at", WHEN, nullable=True),
        sa.Column("deferred_until", WHEN, nullable=True),
        sa.Column("message_ids", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_outbox_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_outbox_chat_id_chats")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_outbox_person_id_people")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"], name=op.f("fk_outbox_unit_id_org_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("broadcast_id", "chat_id", name="uq_outbox_broadcast_chat"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_queue", ["broadcast_id", "status", "id"], unique=False)
        batch_op.create_index("ix_outbox_kind_status", ["kind", "status"], unique=False)
        batch_op.create_index("ix_outbox_status_claimed", ["status", "claimed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_unit_id"), ["unit_id"], unique=False)
    op.execute(
        "INSERT INTO outbox (id, kind, broadcast_id, chat_id, channel, address, chat_kind, unit_id, user_id,"
        " status, attempts, claim_token, claimed_at, next_attempt_at, deferred_until, message_ids, error,"
        " sent_at, created_at, updated_at)"
        " SELECT id, 'broadcast', broadcast_id, chat_id, 'telegram', telegram_chat_id, chat_kind, unit_id,"
        " telegram_user_id, status, attempts, claim_token, claimed_at, next_attempt_at, deferred_until,"
        " message_ids, error, sent_at, updated_at, updated_at FROM broadcast_deliveries"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('outbox', 'id'), COALESCE(MAX(id), 0) + 1, false)"
            " FROM outbox"
        )
    with op.batch_alter_table("broadcast_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_deliveries_unit_id"))
        batch_op.drop_index("ix_broadcast_deliveries_queue")
    op.drop_table("broadcast_deliveries")


def downgrade() -> None:
    raise NotImplementedError("the outbox cannot be split back into broadcast deliveries")
