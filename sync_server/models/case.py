"""Monitoring cases (监测对象认定与帮扶): the case, every step taken on it, its assistance measures.

Owned by the console (`sync_server.console`); the lifecycle rules are the pure functions of
`sync_server.console.cases`. A case's scope is its household's current grid (joined through
`records`), so a grid reassignment or a household move carries its cases along.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, new_id, utcnow


class MonitoringCase(Base):
    """One household's monitoring case, from lead to elimination (or dismissal)."""

    __tablename__ = "monitoring_cases"
    __table_args__ = (Index("ix_monitoring_cases_state", "state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    household_id: Mapped[str] = mapped_column(String(36), index=True)
    source: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(24))
    opened_on: Mapped[date] = mapped_column(Date)
    notice_started: Mapped[date | None] = mapped_column(Date)
    monitoring_started: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    elimination_mode: Mapped[str | None] = mapped_column(String(16))
    opened_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseEvent(Base):
    """One step taken on a case: who, when, why, from which state to which."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(
        ForeignKey("monitoring_cases.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[Any] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseMeasure(Base):
    """An assistance measure taken for a case's household (a code of the `assistance` enum)."""

    __tablename__ = "case_measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(
        ForeignKey("monitoring_cases.id", ondelete="CASCADE"), index=True
    )
    measure: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(500), default="")
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
