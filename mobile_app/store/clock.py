"""The device's hybrid logical clock, persisted so stamps keep increasing across restarts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mobile_app.store.database import Connection
from mobile_app.store.meta import get_meta, set_meta
from shared_schema.sync import Hlc, tick
from shared_schema.timefmt import DEFAULT_TIME_ZONE, local_date, parse_zone


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


def local_day(now: datetime) -> date:
    """The calendar day at `now` on the deployment's clock (`shared_schema.timefmt`'s zone,
    the one every time on the phone's screens is shown in and the server bounds visit dates
    with), not on the device's zone setting: at 07:00 in Beijing a phone set to UTC must not
    date the morning's visit yesterday."""
    return local_date(now, parse_zone(DEFAULT_TIME_ZONE))


def next_hlc(conn: Connection, now: datetime, node: str) -> str:
    """Tick the stored clock at `now` and return the new stamp (inside the caller's transaction)."""
    prev_text = get_meta(conn, "hlc")
    now_ms = to_ms(now)
    stamp = str(tick(Hlc.parse(prev_text) if prev_text else None, now_ms, node))
    set_meta(conn, "hlc", stamp)
    return stamp
