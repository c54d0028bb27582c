"""records: an index in the exports' order (entity, grid, household, id)

Exports read every live record of an entity grid by grid, household by household; without
this index SQLite and PostgreSQL sort the whole entity in a temporary B-tree before the first
row (minutes for a 100,000-household county, found by `bench export`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_records_export_order",
        "records",
        ["entity", "grid_id", "household_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_records_export_order", table_name="records")
