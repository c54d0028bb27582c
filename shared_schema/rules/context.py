"""What every rule reads: the records of one visit, read defensively, plus derived values.

A visit is evaluated live while it is being filled, so any value may be missing, `None`, or
(in the middle of typing) of the wrong type. Readers here return `None` for anything they
cannot use, and rules return no flag when an input they need is `None`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from shared_schema.computed import (
    CENT,
    NET_INCOME_DEDUCTIONS,
    NET_INCOME_PARTS,
    member_age,
    net_income,
    read_day,
)
from shared_schema.config import RulesConfig
from shared_schema.formatting import money_text
from shared_schema.rules.flag import Flag

INCOME_KEYS: tuple[str, ...] = NET_INCOME_PARTS + NET_INCOME_DEDUCTIONS
INCOME_FIELDS: tuple[str, ...] = tuple(f"income.{k}" for k in INCOME_KEYS)
EMPTY: Mapping[str, Any] = {}
READABLE_LIMIT = Decimal(10) ** 15
"""Numbers at or beyond this magnitude are not read (`None`): far past every field's bound,
and the sums and cents of the rules stay exact (Decimal's 28 digits) below it. A value
stored before the bounds existed (10**400) then gives no flag instead of an error."""


def read_number(value: Any) -> Decimal | None:
    """A finite number (yuan, litres, minutes) as a Decimal; `None` for missing or junk, and
    for a magnitude of `READABLE_LIMIT` or more."""
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, int | float | Decimal | str):
        return None
    if isinstance(value, int) and not -READABLE_LIMIT < value < READABLE_LIMIT:
        return None  # before str(): an integer of thousands of digits cannot even be printed
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or not -READABLE_LIMIT < amount < READABLE_LIMIT:
        return None
    return amount


read_date = read_day  # the rules' name for it


def read_codes(value: Any) -> tuple[str, ...] | None:
    """A list of codes as a tuple; `None` when it is not a list of strings."""
    if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
        return None
    return tuple(value)


def read_map(value: Any) -> Mapping[str, Any]:
    """A nested object, or an empty one when it is missing or not an object."""
    return value if isinstance(value, Mapping) else EMPTY


def member_id(member: Mapping[str, Any]) -> str:
    """A member's id as used in flag field paths (`members.<id>.<field>`)."""
    return str(member.get("id", ""))


def member_field(member: Mapping[str, Any], name: str) -> str:
    """Dotted path of one field of a member."""
    return f"members.{member_id(member)}.{name}"


def member_name(member: Mapping[str, Any], lang: str) -> str:
    """The member's name for messages, or a placeholder while it is not typed yet."""
    name = member.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    return "(未填姓名)" if lang == "zh" else "(no name)"


yuan = money_text  # an amount in a rule's message: `5,400.00`


def whole(amount: int | float | Decimal) -> str:
    """A threshold or limit with thousands separators and no needless decimals: `7,500`."""
    number = Decimal(str(amount))
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number:,f}"


def percent(ratio: Decimal | float) -> str:
    """A ratio as a percentage with one decimal: `37.5%`."""
    return f"{Decimal(str(ratio)) * 100:.1f}%"


def ratio(value: float | int) -> Decimal:
    """A config ratio or limit as an exact Decimal (1.2 means 1.2, not its binary neighbour)."""
    return Decimal(str(value))


@dataclass(frozen=True, eq=False)
class RuleContext:
    """The inputs of one evaluation and the values several rules derive from them."""

    household: Mapping[str, Any]
    members: tuple[Mapping[str, Any], ...]
    visit: Mapping[str, Any]
    previous_visit: Mapping[str, Any] | None
    config: RulesConfig

    @cached_property
    def present(self) -> tuple[Mapping[str, Any], ...]:
        """Resident members (status `present`; a member without a status yet counts)."""
        return tuple(m for m in self.members if m.get("status", "present") == "present")

    @cached_property
    def visit_date(self) -> date | None:
        """The visit date, the day ages are computed on."""
        return read_date(self.visit.get("visit_date"))

    @cached_property
    def income(self) -> Mapping[str, Any]:
        """The visit's income object (empty while not entered)."""
        return read_map(self.visit.get("income"))

    @cached_property
    def risks(self) -> tuple[str, ...]:
        """The risk codes ticked on the visit."""
        return read_codes(self.visit.get("risks")) or ()

    def age(self, member: Mapping[str, Any]) -> int | None:
        """Age in whole years on the visit date; `None` without both dates."""
        return member_age(member, self.visit_date)

    @cached_property
    def net_income(self) -> Decimal | None:
        """Net income, only when every part of it is recorded."""
        return income_net(self.income)

    @cached_property
    def per_capita(self) -> Decimal | None:
        """Per-capita net income over the resident members."""
        return per_capita(self.net_income, len(self.present))

    @cached_property
    def previous_per_capita(self) -> Decimal | None:
        """The previous visit's net income over today's residents (see `income.income_drop`)."""
        if self.previous_visit is None:
            return None
        previous = income_net(read_map(self.previous_visit.get("income")))
        return per_capita(previous, len(self.present))


def income_net(income: Mapping[str, Any]) -> Decimal | None:
    """`computed.net_income` of an income object, or `None` when a part is missing."""
    parts = {k: read_number(income.get(k)) for k in INCOME_KEYS}
    if any(v is None for v in parts.values()):
        return None
    return net_income(parts)


def per_capita(net: Decimal | None, residents: int) -> Decimal | None:
    """Net income per resident, rounded to cents like `computed.per_capita_income`."""
    if net is None or residents <= 0:
        return None
    return (net / residents).quantize(CENT, rounding=ROUND_HALF_UP)


def make_context(
    household: Mapping[str, Any] | None,
    members: Sequence[Mapping[str, Any]] | None,
    visit: Mapping[str, Any] | None,
    *,
    previous_visit: Mapping[str, Any] | None = None,
    config: RulesConfig,
) -> RuleContext:
    """Bundle one evaluation's inputs; non-object members and inputs are dropped, never raised."""
    return RuleContext(
        household=read_map(household),
        members=tuple(m for m in (members or ()) if isinstance(m, Mapping)),
        visit=read_map(visit),
        previous_visit=previous_visit if isinstance(previous_visit, Mapping) else None,
        config=config,
    )


def make_flag(
    ctx: RuleContext,
    code: str,
    fields: tuple[str, ...] | list[str],
    message_zh: str,
    message_en: str,
    details: tuple[str, ...] = (),
) -> Flag:
    """A flag of a rule, with the severity the config gives that rule."""
    return Flag(
        code=code,
        severity=ctx.config.severity(code),
        fields=tuple(dict.fromkeys(fields)),
        message_zh=message_zh,
        message_en=message_en,
        details=details,
    )
