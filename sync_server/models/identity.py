"""Users, their API tokens, the app installs (clients) they sync from, login attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sync_server.models.base import Base, new_id, utcnow


class User(Base):
    """A worker, supervisor (scoped to a township) or admin."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(50))
    township: Mapped[str | None] = mapped_column(String(100), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token, stored as the sha256 of its text, bound to one user and one client."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Client(Base):
    """One app install: its user, progress (last mutation id, pull cursor) and reported state."""

    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_name: Mapped[str] = mapped_column(String(100))
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seen: Mapped[datetime | None]
    last_pull_cursor: Mapped[int | None] = mapped_column(BigInteger)
    last_pull_at: Mapped[datetime | None]
    last_push_at: Mapped[datetime | None]
    pending_count: Mapped[int | None] = mapped_column(Integer)
    clock_skew_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_hlc: Mapped[str | None] = mapped_column(String(64))
    app_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
