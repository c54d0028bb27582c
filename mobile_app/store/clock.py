"""The device's hybrid logical clock, persisted so stamps keep increasing across restarts."""

from __future__ import annotations

from datetime import UTC, datetime

from mobile_app.store.database import Connection
from mobile_app.store.meta import get_meta, set_meta
from shared_schema.sync import Hlc, tick


def to_ms(now: datetime) -> int:
    """Milliseconds since the epoch of an aware (or UTC-naive) datetime."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return int(now.timestamp() * 1000)


def iso(now: datetime) -> str:
    """ISO 8601 UTC text for created_at/updated_at columns."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def next_hlc(conn: Connection, now: datetime, node: str) -> str:
    """Tick the stored clock at `now` and return the new stamp (inside the caller's transaction)."""
    prev_text = get_meta(conn, "hlc")
    now_ms = to_ms(now)
    stamp = str(tick(Hlc.parse(prev_text) if prev_text else None, now_ms, node))
    set_meta(conn, "hlc", stamp)
    return stamp
