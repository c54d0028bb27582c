"""Calendar arithmetic the case rules need: working days and whole months. Pure, no clock.

Working days are Monday to Friday minus the `holidays` a caller passes in (public holidays are
data; the console reads none by default). Weekend make-up working days (调休) can be passed as
`extra_workdays`.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection
from datetime import date, timedelta


def is_working_day(
    day: date, holidays: Collection[date] = (), extra_workdays: Collection[date] = ()
) -> bool:
    """True for a Monday–Friday that is not a holiday, or for a declared make-up working day."""
    if day in extra_workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def working_days_between(
    start: date,
    end: date,
    holidays: Collection[date] = (),
    extra_workdays: Collection[date] = (),
) -> int:
    """Working days after `start` up to and including `end` (0 when `end <= start`).

    The day a lead arrives does not count, like a procedural deadline: a lead on a Monday has
    used one working day by Tuesday evening.
    """
    if end <= start:
        return 0
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_working_day(day, holidays, extra_workdays):
            count += 1
        day += timedelta(days=1)
    return count


def add_months(day: date, months: int) -> date:
    """The same day `months` later; clamped to the month's last day (31 Aug + 6 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))
