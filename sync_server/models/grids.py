"""Grids (网格): the unit of a worker's scope; a township groups grids for supervisors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, utcnow


class Grid(Base):
    """A grid of one village, assigned to at most one worker."""

    __tablename__ = "grids"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    village: Mapped[str] = mapped_column(String(100))
    township: Mapped[str] = mapped_column(String(100), index=True)
    worker_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
