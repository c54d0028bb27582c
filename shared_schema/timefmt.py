"""Moments shown to people: the deployment's time zone and one human format, in zh and en.

Everything is stored in UTC; people see local time. The deployment's zone is a setting
(`TIME_ZONE` on the server, default China Standard Time, UTC+8), passed in as a `tzinfo`: this
module never reads the clock. A zone is an IANA name (`Asia/Shanghai`) or a fixed offset
(`UTC+8`, `+08:00`); fixed offsets need no time-zone database, so they also work on a phone
whose Python lacks one (`tzdata` is a dependency for IANA names there).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Asia/Shanghai"

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class TimeZoneError(ValueError):
    """A zone setting that names no zone."""


def parse_zone(name: str) -> tzinfo:
    """`Asia/Shanghai`, `UTC`, `UTC+8`, `+08:00` → a tzinfo; anything else is a TimeZoneError."""
    text = (name or "").strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    match = _OFFSET.match(text)
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        if hours > 14 or minutes > 59:
            raise TimeZoneError(f"offset out of range: {name!r}")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TimeZoneError(f"unknown time zone: {name!r}") from exc


def as_utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC datetime (naive values are UTC by the house rule)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_local(moment: datetime, zone: tzinfo) -> datetime:
    """The moment on the deployment's wall clock."""
    return as_utc(moment).astimezone(zone)


def local_date(moment: datetime, zone: tzinfo) -> date:
    """The calendar day it is (or was) at `moment` in the deployment's zone."""
    return to_local(moment, zone).date()


def zone_label(zone: tzinfo, at: datetime) -> str:
    """`UTC+8`, `UTC+5:30`, `UTC`: the offset in force at `at`, for headers and tooltips."""
    offset = to_local(at, zone).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_date(day: date, lang: str = "zh") -> str:
    """`2026年12月3日` / `3 Dec 2026`."""
    if lang == "en":
        return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def format_datetime(moment: datetime, zone: tzinfo, lang: str = "zh") -> str:
    """`2026年12月3日 14:05` / `3 Dec 2026, 14:05`, on the deployment's wall clock."""
    local = to_local(moment, zone)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if lang == "en":
        return f"{format_date(local.date(), 'en')}, {clock}"
    return f"{format_date(local.date(), 'zh')} {clock}"


def export_timestamp(moment: datetime, zone: tzinfo) -> str:
    """`2026-12-03 14:05:09`: local wall-clock time for spreadsheets, sortable; the column
    header states the zone (`zone_label`)."""
    return to_local(moment, zone).strftime("%Y-%m-%d %H:%M:%S")
