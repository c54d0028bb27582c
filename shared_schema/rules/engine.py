"""The rule registry and the entry point both the phone and the server call.

`evaluate` runs every rule of `RULES` in registry order, so the same inputs always give the
same list of flags in the same order (the console and the phone show them as returned, and the
server compares lists to see whether a visit's flags changed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from shared_schema.config import RulesConfig
from shared_schema.rules.consistency import (
    chk_dibao_no_transfer,
    chk_disaster_no_subtype,
    chk_healthy_adult_no_labor,
    chk_illness_no_ill_member,
    chk_wage_suspicious,
    chk_work_no_worker,
    members_head,
)
from shared_schema.rules.context import RuleContext, make_context
from shared_schema.rules.flag import Flag
from shared_schema.rules.guarantees import (
    edu_dropout,
    housing_unsafe,
    med_double,
    med_uninsured,
    no_labor_household,
    water_unsafe,
)
from shared_schema.rules.income import income_drop, income_low, income_near, rigid_medical

Rule = Callable[[RuleContext], Flag | None]

RULES: Mapping[str, Rule] = MappingProxyType(
    {
        "INCOME_LOW": income_low,
        "INCOME_NEAR": income_near,
        "INCOME_DROP": income_drop,
        "RIGID_MEDICAL": rigid_medical,
        "EDU_DROPOUT": edu_dropout,
        "MED_UNINSURED": med_uninsured,
        "MED_DOUBLE": med_double,
        "HOUSING_UNSAFE": housing_unsafe,
        "WATER_UNSAFE": water_unsafe,
        "NO_LABOR_HOUSEHOLD": no_labor_household,
        "CHK_ILLNESS_NO_ILL_MEMBER": chk_illness_no_ill_member,
        "CHK_WORK_NO_WORKER": chk_work_no_worker,
        "CHK_DIBAO_NO_TRANSFER": chk_dibao_no_transfer,
        "CHK_DISASTER_NO_SUBTYPE": chk_disaster_no_subtype,
        "CHK_WAGE_SUSPICIOUS": chk_wage_suspicious,
        "CHK_HEALTHY_ADULT_NO_LABOR": chk_healthy_adult_no_labor,
        "MEMBERS_HEAD": members_head,
    }
)
"""Rule code -> rule function, in evaluation (and display) order."""

RULE_CODES: tuple[str, ...] = tuple(RULES)


def evaluate(
    household: Mapping[str, Any] | None,
    members: Sequence[Mapping[str, Any]] | None,
    visit: Mapping[str, Any] | None,
    *,
    previous_visit: Mapping[str, Any] | None = None,
    config: RulesConfig,
) -> list[Flag]:
    """Every flag the rules raise on one visit, in `RULES` order; missing data raises nothing."""
    ctx = make_context(household, members, visit, previous_visit=previous_visit, config=config)
    return [flag for rule in RULES.values() if (flag := rule(ctx)) is not None]
