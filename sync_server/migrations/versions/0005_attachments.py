"""attachments: files of visits by SHA-256, their upload state and storage keys

One row per file (sync_server.models.attachments); the bytes live in the attachment storage
(a directory under instance/ or S3-compatible object storage), see docs/attachments.md.

Revision ID: 0005
Revises: 0008 (written on 0003; chained after main's 0008 when rebasing)
Create Date: 2026-12-03 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=32), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("upload_offset", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("uploader_id", sa.String(length=36), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("thumb_key", sa.String(length=200), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_attachments_uploader_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_attachments")),
    )
    op.create_index(
        "ix_attachments_state_updated", "attachments", ["state", "updated_at"], unique=False
    )
    op.create_index(
        op.f("ix_attachments_uploader_id"), "attachments", ["uploader_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_attachments_uploader_id"), table_name="attachments")
    op.drop_index("ix_attachments_state_updated", table_name="attachments")
    op.drop_table("attachments")
