"""zalo: chat channel and native address, people's Zalo identity, synthetic ids, numbered choices,
invitation short codes, identity link codes

Revision ID: 0009_zalo_identities
Revises: 0008_security_template_owner
Create Date: 2026-12-01 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = "0009_zalo_identities"
down_revision = "0008_security_template_owner"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=16), server_default="telegram", nullable=False)
        )
        batch.add_column(sa.Column("address", sa.String(length=128), nullable=True))
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("zalo_user_id", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint("uq_people_zalo_user_id", ["zalo_user_id"])
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("short_code_hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_invitations_short_code_hash", ["short_code_hash"])
    op.create_table(
        "messenger_addresses",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("native_id", sa.String(length=128), nullable=False),
        sa.Column("messenger_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messenger_addresses")),
        sa.UniqueConstraint("channel", "kind", "native_id", name="uq_messenger_addresses_native"),
        sa.UniqueConstraint("messenger_id", name=op.f("uq_messenger_addresses_messenger_id")),
    )
    op.create_table(
        "numbered_choices",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_numbered_choices")),
    )
    op.create_table(
        "identity_link_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("expires_at", storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_identity_link_codes_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_identity_link_codes")),
    )


def downgrade() -> None:
    op.drop_table("identity_link_codes")
    op.drop_table("numbered_choices")
    op.drop_table("messenger_addresses")
    with op.batch_alter_table("invitations") as batch:
        batch.drop_constraint("uq_invitations_short_code_hash", type_="unique")
        batch.drop_column("short_code_hash")
    with op.batch_alter_table("people") as batch:
        batch.drop_constraint("uq_people_zalo_user_id", type_="unique")
        batch.drop_column("zalo_user_id")
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("address")
        batch.drop_column("channel")
