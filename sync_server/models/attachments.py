"""Attachments: one row per file, named by the SHA-256 of its bytes (PROTOCOL.md "Attachments").

The bytes live in the attachment storage (`sync_server.storage`), never in the database: while
an upload is `uploading` its received bytes are staging pieces keyed by their start offset;
once `complete` the file and its thumbnail are objects under `storage_key` / `thumb_key`.
Written only by `sync_server.services.attachments`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, utcnow

UPLOADING, COMPLETE = "uploading", "complete"


class Attachment(Base):
    """A photo or signature: its declared type and length, how much has arrived, who sent it."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_state_updated", "state", "updated_at"),)

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(32))
    length: Mapped[int] = mapped_column(BigInteger)
    upload_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default=UPLOADING)
    uploader_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    storage_key: Mapped[str | None] = mapped_column(String(200))
    thumb_key: Mapped[str | None] = mapped_column(String(200))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
