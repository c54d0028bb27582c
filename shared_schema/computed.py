"""Computed values of a visit: net income, per-capita income, member ages.

`member_age` is the one "age on the visit date" rule: the phone's forms, the risk rules, the
record schemas, the console and the exports all call it.

Records are plain wire-format dicts (dates as ISO strings). Money is handled as `Decimal` so
that sums of amounts with two decimals stay exact; results are rounded to cents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
NET_INCOME_PARTS: tuple[str, ...] = ("wage", "operating", "property", "transfer")
NET_INCOME_DEDUCTIONS: tuple[str, ...] = ("costs",)
RESIDENT_STATUSES: frozenset[str] = frozenset({"present"})


def to_decimal(value: Any) -> Decimal:
    """A yuan amount as an exact Decimal; `None` and missing count as zero."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def as_date(value: date | str) -> date:
    """Accepts a `date` or an ISO `YYYY-MM-DD` string (the wire format)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def net_income(income: Mapping[str, Any] | None) -> Decimal:
    """`wage + operating + property + transfer − costs`, in yuan, rounded to cents."""
    income = income or {}
    total = sum((to_decimal(income.get(k)) for k in NET_INCOME_PARTS), Decimal(0))
    total -= sum((to_decimal(income.get(k)) for k in NET_INCOME_DEDUCTIONS), Decimal(0))
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def resident_members(members: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Members who count for per-capita income: those living in the household."""
    return [m for m in members if m.get("status", "present") in RESIDENT_STATUSES]


def per_capita_income(
    income: Mapping[str, Any] | None, members: Iterable[Mapping[str, Any]]
) -> Decimal | None:
    """Net income divided by resident members; `None` when nobody lives there."""
    residents = resident_members(members)
    if not residents:
        return None
    return (net_income(income) / len(residents)).quantize(CENT, rounding=ROUND_HALF_UP)


def age_on(birth_date: date | str, on: date | str) -> int:
    """Age in whole years on a given day (a birthday on 29 February counts from 1 March)."""
    born, day = as_date(birth_date), as_date(on)
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


def read_day(value: Any) -> date | None:
    """A `date` from a date or an ISO `YYYY-MM-DD…` string; `None` for anything else."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def member_age(member: Mapping[str, Any], on: date | str | None) -> int | None:
    """A member's age in whole years on a day (the visit date; today for a plain register).

    `None` when the birth date or the day is missing or unreadable, or when the day is before
    the birth: a form opened on partial or odd data never shows a made-up or negative age.
    """
    born, day = read_day(member.get("birth_date")), read_day(on)
    if born is None or day is None or day < born:
        return None
    return age_on(born, day)


def member_ages(members: Iterable[Mapping[str, Any]], on: date | str) -> dict[str, int]:
    """Age of each member (by member id) on a day; members without a known age are left out."""
    return {
        str(m["id"]): age
        for m in members
        if m.get("id") is not None and (age := member_age(m, on)) is not None
    }
