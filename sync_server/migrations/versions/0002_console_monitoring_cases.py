"""console: monitoring cases, their steps and assistance measures (sync_server.models.case)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:16:15.180159
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "monitoring_cases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("household_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("notice_started", sa.Date(), nullable=True),
        sa.Column("monitoring_started", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("elimination_mode", sa.String(length=16), nullable=True),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_cases")),
    )
    with op.batch_alter_table("monitoring_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitoring_cases_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index("ix_monitoring_cases_state", ["state"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["monitoring_cases.id"],
            name=op.f("fk_case_events_case_id_monitoring_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_measures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["monitoring_cases.id"],
            name=op.f("fk_case_measures_case_id_monitoring_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_measures")),
    )
    with op.batch_alter_table("case_measures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_measures_case_id"), ["case_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("case_measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_measures_case_id"))

    op.drop_table("case_measures")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("monitoring_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_cases_state")
        batch_op.drop_index(batch_op.f("ix_monitoring_cases_household_id"))

    op.drop_table("monitoring_cases")
