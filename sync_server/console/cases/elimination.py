"""The rules that forbid marking a household's risk eliminated (风险消除), as pure functions.

DOMAIN.md: households with no labour at all are never marked eliminated; elimination needs
per-capita income stably above the monitoring threshold for about six months, at least six
months of monitoring, and at least one assistance measure. Decisions:
- "Stably above" means every visit dated within the six months before `today` has a per-capita
  income at or above the threshold, and there is at least one such visit (no income recorded in
  the window is a refusal too: nothing proves stability).
- "No labour" means no resident member (`status == present`) whose `labor_ability` is outside
  the config's `no_labor_codes` (lost / none); a household with no resident member has none.
- Measures count from the case's own recorded measures and the latest visit's `assistance`
  list (the caller merges both into `measures`).
Every refusal carries a code and a zh/en reason that names the numbers involved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sync_server.console.cases.calendar import add_months

STABLE_MONTHS = 6
"""Months of monitoring, and of income above the threshold, before an elimination."""


@dataclass(frozen=True)
class VisitIncome:
    """One visit's date and per-capita income (None: no resident member, income unknown)."""

    visit_date: date
    per_capita: Decimal | None


@dataclass(frozen=True)
class EliminationFacts:
    """Everything the elimination rules read about one household, as plain values."""

    today: date
    threshold: Decimal
    members: Sequence[Mapping[str, Any]]
    visits: Sequence[VisitIncome]
    measures: Sequence[str]
    monitoring_started: date | None
    no_labor_codes: tuple[str, ...] = ("lost", "none")
    months: int = field(default=STABLE_MONTHS)


@dataclass(frozen=True)
class Refusal:
    """Why an elimination is forbidden: a stable code and a reason in both languages."""

    code: str
    message_zh: str
    message_en: str

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def no_labor(facts: EliminationFacts) -> Refusal | None:
    """A household without any labour is never marked eliminated."""
    residents = [m for m in facts.members if m.get("status", "present") == "present"]
    if any(m.get("labor_ability") not in facts.no_labor_codes for m in residents):
        return None
    return Refusal(
        "NO_LABOR",
        "该户无劳动力（无在户成员具有劳动能力），不得标注风险消除",
        "The household has no labour (no resident member able to work); "
        "its risk is never marked eliminated",
    )


def income_below(facts: EliminationFacts) -> Refusal | None:
    """Per-capita income must be at or above the threshold on every visit of the window."""
    since = add_months(facts.today, -facts.months)
    window = [v for v in facts.visits if since <= v.visit_date <= facts.today]
    known = [v.per_capita for v in window if v.per_capita is not None]
    threshold = Decimal(facts.threshold)
    if not known:
        return Refusal(
            "INCOME_BELOW",
            f"近 {facts.months} 个月没有记录人均纯收入的走访，无法证明收入稳定高于监测标准"
            f"（{_money(threshold)} 元）",
            f"No visit in the last {facts.months} months records a per-capita income, so "
            f"nothing shows income stably above the threshold ({_money(threshold)} yuan)",
        )
    lowest = min(known)
    if lowest >= threshold:
        return None
    return Refusal(
        "INCOME_BELOW",
        f"近 {facts.months} 个月人均纯收入最低为 {_money(lowest)} 元，"
        f"低于监测标准 {_money(threshold)} 元",
        f"Per-capita income fell to {_money(lowest)} yuan in the last {facts.months} months, "
        f"below the monitoring threshold of {_money(threshold)} yuan",
    )


def monitored_too_short(facts: EliminationFacts) -> Refusal | None:
    """At least `months` months must have passed since monitoring started."""
    started = facts.monitoring_started
    if started is not None and add_months(started, facts.months) <= facts.today:
        return None
    if started is None:
        return Refusal(
            "MONITORED_TOO_SHORT",
            "该户尚未进入监测帮扶，不能申请风险消除",
            "The household has not been monitored yet; its risk cannot be eliminated",
        )
    return Refusal(
        "MONITORED_TOO_SHORT",
        f"监测自 {started.isoformat()} 起不足 {facts.months} 个月"
        f"（最早 {add_months(started, facts.months).isoformat()} 可消除）",
        f"Monitored since {started.isoformat()}, less than {facts.months} months "
        f"(elimination possible from {add_months(started, facts.months).isoformat()})",
    )


def no_measure(facts: EliminationFacts) -> Refusal | None:
    """At least one assistance measure must have been taken."""
    if any(facts.measures):
        return None
    return Refusal(
        "NO_MEASURE",
        "该户没有落实任何帮扶措施，不能标注风险消除",
        "No assistance measure has been taken for the household; its risk cannot be eliminated",
    )


ELIMINATION_RULES: Mapping[str, Callable[[EliminationFacts], Refusal | None]] = {
    "NO_LABOR": no_labor,
    "INCOME_BELOW": income_below,
    "MONITORED_TOO_SHORT": monitored_too_short,
    "NO_MEASURE": no_measure,
}
"""Rule code -> rule, in the order reasons are shown."""


def elimination_refusals(facts: EliminationFacts) -> list[Refusal]:
    """Every reason that forbids eliminating this household's risk (empty: allowed)."""
    return [r for rule in ELIMINATION_RULES.values() if (r := rule(facts)) is not None]
