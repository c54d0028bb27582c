"""Moments on the phone's screens, on the deployment's wall clock (`shared_schema.timefmt`,
default China Standard Time) like the home screen's last sync — never on the device's own
zone setting, which may be UTC (a CI machine, a phone set up abroad) and then showed the
same moment eight hours apart on two screens. Stamps are stored in UTC."""

from __future__ import annotations

from datetime import datetime, tzinfo

from shared_schema.timefmt import DEFAULT_TIME_ZONE, parse_zone, to_local

ZONE_NAME = DEFAULT_TIME_ZONE


def zone() -> tzinfo:
    return parse_zone(ZONE_NAME)


def parse_stamp(stamp: str) -> datetime | None:
    """A stored ISO stamp (`Z` or an offset) as an aware datetime; None when unreadable."""
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def clock_text(stamp: str) -> str:
    """`HH:MM:SS` on the deployment's clock (an unreadable stamp is shown as it is)."""
    moment = parse_stamp(stamp)
    return to_local(moment, zone()).strftime("%H:%M:%S") if moment else stamp


def minute_text(stamp: str) -> str:
    """`YYYY-MM-DD HH:MM` on the deployment's clock (an unreadable stamp as it is)."""
    moment = parse_stamp(stamp)
    return to_local(moment, zone()).strftime("%Y-%m-%d %H:%M") if moment else stamp
