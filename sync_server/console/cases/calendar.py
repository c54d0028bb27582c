"""Calendar arithmetic the case rules need: working days and whole months. Pure, no clock.

Working days are Monday to Friday minus the `holidays` a caller passes in, plus weekend
make-up working days (调休, `extra_workdays`). Public holidays are data, not code: the State
Council publishes each year's schedule in November/December, and an administrator enters it on
the console's working-calendar page (`WorkCalendar`, stored as the `work_calendar` setting).
Nothing is built in, so a wrong guess can never move a deadline.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any


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


@dataclass(frozen=True)
class WorkCalendar:
    """The public holidays and the weekend make-up working days a deployment declared."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def working_days_between(self, start: date, end: date) -> int:
        """`working_days_between` with this calendar."""
        return working_days_between(start, end, self.holidays, self.workdays)

    def to_setting(self) -> dict[str, list[str]]:
        """The stored form: sorted ISO dates."""
        return {
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": sorted(d.isoformat() for d in self.workdays),
        }

    @classmethod
    def from_setting(cls, value: Any) -> WorkCalendar:
        """The calendar of a stored setting (empty when unset)."""
        if not isinstance(value, dict):
            return cls()
        return cls(
            frozenset(date.fromisoformat(d) for d in value.get("holidays") or ()),
            frozenset(date.fromisoformat(d) for d in value.get("workdays") or ()),
        )


EMPTY_CALENDAR = WorkCalendar()
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def parse_dates(text: str) -> tuple[list[date], list[str]]:
    """Dates written as `YYYY-MM-DD` separated by spaces, commas or new lines, and ranges
    `YYYY-MM-DD..YYYY-MM-DD` (both ends included, at most 31 days); also the tokens that
    are not (for the error message)."""
    days: list[date] = []
    bad: list[str] = []
    for token in _SEPARATORS.split(text.strip()):
        if not token:
            continue
        first, sep, last = token.partition("..")
        try:
            start = date.fromisoformat(first)
            end = date.fromisoformat(last) if sep else start
        except ValueError:
            bad.append(token)
            continue
        if end < start or (end - start).days > 30:
            bad.append(token)
            continue
        days.extend(start + timedelta(days=n) for n in range((end - start).days + 1))
    return days, bad


def build_calendar(
    holidays: Iterable[date], workdays: Iterable[date]
) -> tuple[WorkCalendar, dict[str, list[date]]]:
    """A calendar, and the conflicts that make it invalid: a make-up working day that is not
    on a weekend, a holiday on a weekend is allowed (it changes nothing), a day in both lists."""
    hol, work = frozenset(holidays), frozenset(workdays)
    problems: dict[str, list[date]] = {}
    both = sorted(hol & work)
    if both:
        problems["both"] = both
    weekday_makeups = sorted(d for d in work if d.weekday() < 5)
    if weekday_makeups:
        problems["weekday_workday"] = weekday_makeups
    return WorkCalendar(hol, work), problems
