"""The bounds every stored value keeps (PROTOCOL.md "Values the server accepts").

Whatever the server accepts it can show, compute on and export, so the schema refuses what a
page, a rule or an export could not handle: dates outside 2000-01-01 … today + one day of
grace, numbers outside each field's documented range (docs/record-schemas.md), control and
bidirectional-control characters in text. Shared code never reads the clock: the caller passes
`today` (the server: its date in the deployment's time zone, `TIME_ZONE`; the phone: its own
date), and without one only the fixed `BACKSTOP_DAY` ceiling applies.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

EARLIEST_DAY = date(2000, 1, 1)
"""No visit (and no visit time) before the programme's records begin."""
GRACE_DAYS = 1
"""A date may be at most this many days after `today` (a phone whose clock runs a little
ahead, a visit just after midnight in another time zone)."""
BACKSTOP_DAY = date(2099, 12, 31)
"""The latest date accepted when the caller gives no `today`: far from `date.max`, so that
no date arithmetic on an accepted value can overflow."""
DEFAULT_UTC_OFFSET = timedelta(hours=8)
"""China Standard Time (UTC+8): the zone of `local_today` when a caller passes none (the
server's services; the API passes its `TIME_ZONE` date)."""

MAX_QUANTITY_LPD = 1000
"""`water.quantity_lpd`: litres per person per day (the standard asks for 20; a household
tap gives a few hundred at most)."""
MAX_ACCURACY_M = 100_000
"""`gps.accuracy_m`: metres (a cell-tower fix can be kilometres off; 100 km is no fix)."""

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Embedding, override and isolate controls: they reorder the text shown around them."""


def latest_day(today: date | None) -> date:
    """The latest date accepted on `today` (None: the fixed backstop)."""
    if today is None:
        return BACKSTOP_DAY
    return min(today + timedelta(days=GRACE_DAYS), BACKSTOP_DAY)


def local_today(now: datetime, utc_offset: timedelta = DEFAULT_UTC_OFFSET) -> date:
    """The calendar date at `now` (an aware datetime) in a zone `utc_offset` from UTC."""
    if now.utcoffset() is None:
        raise ValueError("now must carry a UTC offset")
    return (now - now.utcoffset() + utc_offset).date()  # type: ignore[operator]
