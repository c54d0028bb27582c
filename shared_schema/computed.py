"""Computed values of a visit: net income, per-capita income, member ages.

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


def member_ages(members: Iterable[Mapping[str, Any]], on: date | str) -> dict[str, int]:
    """Age of each member (by member id) on a day; members without a birth date are left out."""
    return {
        str(m["id"]): age_on(m["birth_date"], on)
        for m in members
        if m.get("birth_date") and m.get("id") is not None
    }
