"""Income rules: below the threshold, near it, a sharp drop, a rigid medical burden.

INCOME_DROP compares the previous visit's net income and this visit's over *today's* resident
members: the previous member list is not part of the inputs, and a change of headcount alone
should not read as an income collapse. RIGID_MEDICAL needs a recorded out-of-pocket amount
above zero; a missing insurance payout counts as zero (it is an optional field).
"""

from __future__ import annotations

from decimal import Decimal

from shared_schema.rules.context import (
    INCOME_FIELDS,
    RuleContext,
    make_flag,
    percent,
    ratio,
    read_date,
    read_number,
    whole,
    yuan,
)
from shared_schema.rules.flag import Flag


def income_low(ctx: RuleContext) -> Flag | None:
    """INCOME_LOW: per-capita net income below the monitoring threshold."""
    pc, threshold = ctx.per_capita, ctx.config.monitoring_threshold
    if pc is None or pc >= threshold:
        return None
    return make_flag(
        ctx,
        "INCOME_LOW",
        INCOME_FIELDS,
        f"人均纯收入 {yuan(pc)} 元，低于监测线 {whole(threshold)} 元",
        f"Per-capita net income {yuan(pc)} yuan is below the monitoring threshold of "
        f"{whole(threshold)} yuan",
    )


def income_near(ctx: RuleContext) -> Flag | None:
    """INCOME_NEAR: threshold <= per-capita net income < near_factor x threshold."""
    pc, threshold = ctx.per_capita, ctx.config.monitoring_threshold
    factor = ratio(ctx.config.near_factor)
    upper = threshold * factor
    if pc is None or not threshold <= pc < upper:
        return None
    return make_flag(
        ctx,
        "INCOME_NEAR",
        INCOME_FIELDS,
        f"人均纯收入 {yuan(pc)} 元，接近监测线 {whole(threshold)} 元"
        f"（低于其 {whole(factor)} 倍 {yuan(upper)} 元）",
        f"Per-capita net income {yuan(pc)} yuan is close to the monitoring threshold of "
        f"{whole(threshold)} yuan (below {whole(factor)} × threshold = {yuan(upper)} yuan)",
    )


def income_drop(ctx: RuleContext) -> Flag | None:
    """INCOME_DROP: per-capita net income at least drop_ratio below the previous visit's."""
    now, before = ctx.per_capita, ctx.previous_per_capita
    if now is None or before is None or before <= 0:
        return None
    drop = (before - now) / before
    limit = ratio(ctx.config.drop_ratio)
    if drop < limit:
        return None
    when = read_date((ctx.previous_visit or {}).get("visit_date"))
    at_zh = f"上次走访（{when.isoformat()}）" if when else "上次走访"
    at_en = f"the previous visit ({when.isoformat()})" if when else "the previous visit"
    return make_flag(
        ctx,
        "INCOME_DROP",
        INCOME_FIELDS,
        f"人均纯收入 {yuan(now)} 元，比{at_zh}的 {yuan(before)} 元下降 {percent(drop)}"
        f"（预警幅度 {percent(limit)}）",
        f"Per-capita net income {yuan(now)} yuan fell {percent(drop)} from {yuan(before)} yuan "
        f"at {at_en} (alert at {percent(limit)})",
    )


def rigid_medical(ctx: RuleContext) -> Flag | None:
    """RIGID_MEDICAL: out-of-pocket medical spending >= ratio x (net income + insurance payouts)."""
    spent = read_number(ctx.income.get("medical_out_of_pocket"))
    net = ctx.net_income
    if spent is None or spent <= 0 or net is None:
        return None
    payout = read_number(ctx.income.get("insurance_payout")) or Decimal(0)
    base = net + payout
    limit = ratio(ctx.config.rigid_medical_ratio)
    if spent < limit * base:
        return None
    if base > 0:
        share_zh = f"占纯收入与理赔收入之和 {yuan(base)} 元的 {percent(spent / base)}"
        share_en = f"is {percent(spent / base)} of net income plus insurance payouts"
    else:
        share_zh = f"而纯收入与理赔收入之和仅 {yuan(base)} 元"
        share_en = "exceeds net income plus insurance payouts"
    return make_flag(
        ctx,
        "RIGID_MEDICAL",
        ("income.medical_out_of_pocket", "income.insurance_payout", *INCOME_FIELDS),
        f"合规自付医疗费用 {yuan(spent)} 元，{share_zh}（预警线 {percent(limit)}）",
        f"Out-of-pocket medical spending of {yuan(spent)} yuan {share_en} "
        f"({yuan(base)} yuan; alert at {percent(limit)})",
    )
