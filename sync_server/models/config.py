"""Published configurations (forms, enumerations, rules): one row per version, kept forever."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, utcnow


class ConfigVersion(Base):
    """One published configuration: `body` is `{"rules", "forms", "enums"}` as served,
    `etag` its content hash, `summary` what it changed against the version before it.
    Rows are only ever inserted (sync_server.services.config is the one writer)."""

    __tablename__ = "config_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    etag: Mapped[str] = mapped_column(String(80))
    summary: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
