"""Records (current state), their full history, removals from a scope, and conflicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, new_id, utcnow


class Record(Base):
    """The latest state of one household, member or visit.

    `grid_id` is the scope key (a member's or visit's is its household's), kept in step by the
    sync service; `version` is the global sequence of the record's last change or re-stamp.
    """

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_version", "version"),
        Index("ix_records_grid_version", "grid_id", "version"),
        Index("ix_records_household", "household_id"),
        # exports read an entity grid by grid, household by household (migration 0003)
        Index("ix_records_export_order", "entity", "grid_id", "household_id", "id"),
    )

    entity: Mapped[str] = mapped_column(String(16), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str | None] = mapped_column(String(64))
    household_id: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(BigInteger)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordVersion(Base):
    """One version of a record as it was written (never changed afterwards)."""

    __tablename__ = "record_versions"

    entity: Mapped[str] = mapped_column(String(16), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_fields: Mapped[list[str]] = mapped_column(JSON)
    author: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(36))
    mutation_id: Mapped[int | None] = mapped_column(BigInteger)
    hlc: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Removal(Base):
    """A record that left a user's scope (grid reassigned): pulled as `removed`."""

    __tablename__ = "removals"
    __table_args__ = (Index("ix_removals_user_version", "user_id", "version"),)

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36))
    entity: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConflictRow(Base):
    """A field changed on both sides (or delete vs edit); the server kept its value for now."""

    __tablename__ = "conflicts"
    __table_args__ = (
        Index("ix_conflicts_record", "entity", "record_id", "status"),
        Index("ix_conflicts_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    entity: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(200))
    base_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    server_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    client_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    client_data: Mapped[Any] = mapped_column(JSON, nullable=True)
    author: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(36))
    mutation_id: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None]
    resolved_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    resolved_version: Mapped[int | None] = mapped_column(BigInteger)
