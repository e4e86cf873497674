"""report templates belong to a unit: only that subtree's officers publish new versions

Revision ID: 0008_security_template_owner
Revises: 0007_outbox
Create Date: 2026-12-01 21:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_security_template_owner"
down_revision = "0007_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_templates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_report_templates_owner_unit_id_org_units"), "org_units", ["owner_unit_id"], ["id"]
        )
        batch_op.create_index(
            batch_op.f("ix_report_templates_owner_unit_id"), ["owner_unit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("report_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_templates_owner_unit_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_report_templates_owner_unit_id_org_units"), type_="foreignkey"
        )
        batch_op.drop_column("owner_unit_id")
