"""one head: joins the reports and archive branches so `alembic upgrade head` works

Revision ID: 0006_one_head
Revises: 0004_reports, 0005_archive
Create Date: 2026-12-01 21:15:00
"""

from __future__ import annotations

revision = "0006_one_head"
down_revision = ("0004_reports", "0005_archive")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
