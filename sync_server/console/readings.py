"""Stored values read for the console's computations, defensively.

A record stored before the bounds of PROTOCOL.md existed (or written straight into the
database) may hold anything: `visit_date` 9999-12-31 or "yesterday", `10**400`, an income that
is a string. The console still shows such a record (`values.format_value` shows the value and
marks it out of range); what it computes from it — net and per-capita income, the next
visit, the case facts — is `None` when an input cannot be read (shown as a blank), never an
exception (a member's age: `computed.member_age`, defensive the same way).
Pure: no Flask, no session.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from shared_schema.computed import resident_members
from shared_schema.rules.context import income_net, per_capita, read_date, read_map


def day_of(value: Any) -> date | None:
    """A stored date (`YYYY-MM-DD…` or a date) or None when it is not one."""
    return read_date(value)


def net_income_of(income: Any) -> Decimal | None:
    """Net income of a stored income object; None when a part is missing or unreadable."""
    return income_net(read_map(income))


def per_capita_of(income: Any, members: Iterable[Mapping[str, Any]]) -> Decimal | None:
    """Per-capita net income over the resident members (None: nobody, or no readable income)."""
    residents = resident_members(m for m in members if isinstance(m, Mapping))
    return per_capita(net_income_of(income), len(residents))
